package org.hesse.data.catalog;

import org.hesse.data.Dataset;
import org.hesse.data.RData;
import org.hesse.data.Table;
import org.hesse.io.InputException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every catalog data set loads with the size docs/datasets.md states (rows, input columns, classes: taken from
 * DATASETS.md, where they were read from the files by an independent reader), and encodes to finite features.
 * Data sets of Debian packages that cannot be had here are skipped with the cache's message.
 */
class StudyDatasetsTest {

    @TestFactory
    Stream<DynamicTest> everyDataSetLoadsWithItsDocumentedShape() {
        return StudyDatasets.all().stream().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            StudyDatasets.Raw raw;
            try {
                raw = StudyDatasets.raw(info.name());
            } catch (DebianCache.Unavailable e) {
                Assumptions.abort(e.getMessage());
                return;
            }
            StudyDatasets.Shape shape = StudyDatasets.shape(info.name());
            Table t = raw.table();
            assertEquals(shape.rows(), t.rows(), "rows");
            assertEquals(shape.features(), t.columns().size() - 1, "input columns besides the target");
            Dataset d = StudyDatasets.load(info.name());
            assertEquals(info.task(), d.task());
            assertEquals(shape.rows(), d.size());
            if (d.isClassification()) {
                assertEquals(shape.classes(), d.numClasses(), "classes");
                for (int c : d.classCounts()) {
                    assertTrue(c > 0, "every class has rows: " + java.util.Arrays.toString(d.classCounts()));
                }
            }
            for (double v : d.x()) {
                assertTrue(Double.isFinite(v), "encoded features are finite");
            }
            assertTrue(d.numFeatures() >= shape.features(), "one-hot/indicator columns only add features");
        }));
    }

    @Test
    void catalogHasTheStudysSize() {
        List<StudyDatasets.StudyDataset> all = StudyDatasets.all();
        assertTrue(all.size() >= 40, "at least 40 data sets (the study needs 37), found " + all.size());
        long big = StudyDatasets.names().stream().filter(n -> StudyDatasets.shape(n).rows() >= 20_000).count();
        long reg = all.stream().filter(s -> s.task() == Dataset.Task.REGRESSION).count();
        assertTrue(big >= 3 && reg >= 8, big + " sets of >= 20k rows, " + reg + " regression sets");
        Set<String> names = new HashSet<>();
        for (StudyDatasets.StudyDataset s : all) {
            assertTrue(names.add(s.name()), "unique name " + s.name());
            assertTrue(!s.source().isBlank() && !s.licence().isBlank() && !s.citation().isBlank(), s.name());
        }
    }

    @Test
    void committedPenguinsCsvEqualsModeldatasCopyReadByTheRReader() throws IOException {
        Table csv = StudyDatasets.raw("penguins").table();
        Table r;
        try {
            Path rdx = DebianCache.file("r-cran-modeldata", "/usr/lib/R/site-library/modeldata/data/Rdata.rdx");
            r = RData.toTable(RData.openLazyLoad(rdx).get("penguins"), "modeldata penguins");
        } catch (DebianCache.Unavailable e) {
            Assumptions.abort(e.getMessage());
            return;
        }
        assertEquals(r.rows(), csv.rows());
        for (Table.Column rc : r.columns()) {
            Table.Column cc = csv.column(rc.name());
            for (int i = 0; i < r.rows(); i++) {
                if (rc instanceof Table.Numeric rn) {
                    assertEquals(rn.values()[i], ((Table.Numeric) cc).values()[i], 0.0, rc.name() + " row " + i);
                } else {
                    assertEquals(((Table.Categorical) rc).value(i), ((Table.Categorical) cc).value(i), rc.name() + " row " + i);
                }
            }
        }
    }

    @Test
    void usersCsvAndArffFilesLoadWithTheCatalogsRules(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("mine.csv");
        Files.writeString(csv, "size,colour,grade\n1.5,red,1\n2,blue,2\nNA,red,1\n");
        Dataset d = StudyDatasets.loadFile(csv, "grade");
        assertEquals(Dataset.Task.CLASSIFICATION, d.task(), "integer codes: classification");
        assertEquals(List.of("size", "size:missing", "colour=blue", "colour=red"), d.featureNames());
        assertEquals(Dataset.Task.REGRESSION, StudyDatasets.rawFile(csv, "size").task(), "non-integer numbers: regression");
        Path arff = dir.resolve("mine.arff");
        Files.writeString(arff, "@relation m\n@attribute a numeric\n@attribute k {u, v}\n@data\n1,u\n2,v\n3,u\n");
        Dataset a = StudyDatasets.loadFile(arff, "k");
        assertEquals(List.of("u", "v"), a.classNames());
        assertEquals(3, a.size());
        InputException e = assertThrows(InputException.class, () -> StudyDatasets.loadFile(dir.resolve("x.json"), "k"));
        assertTrue(e.getMessage().contains("expected a name ending in .csv"), e.getMessage());
    }

    @Test
    void trainAndTestPartsShareTheTrainingFit() throws IOException {
        StudyDatasets.Raw raw = StudyDatasets.raw("penguins");
        int n = raw.table().rows();
        int[] train = java.util.stream.IntStream.range(0, n).filter(i -> i % 4 != 0).toArray();
        int[] test = java.util.stream.IntStream.range(0, n).filter(i -> i % 4 == 0).toArray();
        StudyDatasets.Encoded e = raw.encode(train, test);
        assertEquals(e.encoder().featureNames(), e.train().featureNames());
        assertEquals(e.train().featureNames(), e.test().featureNames());
        assertEquals(train.length, e.train().size());
        assertEquals(test.length, e.test().size());
        // imputation means are the training rows': a missing bill length in the test part gets the training mean
        Table.Numeric bill = (Table.Numeric) raw.table().column("bill_length_mm");
        double sum = 0;
        int count = 0;
        for (int i : train) {
            if (!Double.isNaN(bill.values()[i])) {
                sum += bill.values()[i];
                count++;
            }
        }
        int j = e.test().featureNames().indexOf("bill_length_mm");
        for (int k = 0; k < test.length; k++) {
            if (Double.isNaN(bill.values()[test[k]])) {
                assertEquals(sum / count, e.test().x()[k * e.test().numFeatures() + j], 1e-12);
            }
        }
    }

    @Test
    void unknownNameIsRefusedListingTheKnownOnes() {
        InputException e = assertThrows(InputException.class, () -> StudyDatasets.info("no-such-set"));
        assertTrue(e.getMessage().contains("no-such-set") && e.getMessage().contains("iris"), e.getMessage());
    }
}
