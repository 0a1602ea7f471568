package org.hesse.data.catalog;

import org.hesse.data.Dataset;
import org.hesse.data.Table;
import org.hesse.io.InputException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

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
        Set<String> names = new HashSet<>();
        for (StudyDatasets.StudyDataset s : all) {
            assertTrue(names.add(s.name()), "unique name " + s.name());
            assertTrue(!s.source().isBlank() && !s.licence().isBlank() && !s.citation().isBlank(), s.name());
        }
    }

    @Test
    void unknownNameIsRefusedListingTheKnownOnes() {
        InputException e = assertThrows(InputException.class, () -> StudyDatasets.info("no-such-set"));
        assertTrue(e.getMessage().contains("no-such-set") && e.getMessage().contains("iris"), e.getMessage());
    }
}
