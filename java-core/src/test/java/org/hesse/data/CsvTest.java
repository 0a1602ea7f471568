package org.hesse.data;

import org.hesse.io.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class CsvTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private IllegalArgumentException badClass(String text) throws IOException {
        Path p = file("bad.csv", text);
        return assertThrows(IllegalArgumentException.class, () -> Csv.readClassification(p, "label"));
    }

    @Test
    void readsClassificationAndRegression() throws IOException {
        Dataset c = Csv.readClassification(file("c.csv", "a,label,b\n1.5,2,-3\n\n4e-1, 0 ,5\n"), "label");
        assertEquals(2, c.size());
        assertEquals(List.of("a", "b"), c.featureNames());
        assertEquals(List.of("label"), c.targetNames());
        assertArrayEquals(new double[]{1.5, -3, 0.4, 5}, c.x(), 0.0);
        // the classes are the distinct labels {0, 2}: two classes, label 2 is class 1 (issue 11)
        assertArrayEquals(new int[]{1, 0}, c.labels());
        assertEquals(2, c.numClasses());
        assertEquals(List.of("0", "2"), c.classNames());

        Dataset r = Csv.readRegression(file("r.csv", "x0,y0,x1,y1\n1,2,3,4\n5,6,7,8\n"), "y0", "y1");
        assertEquals(List.of("x0", "x1"), r.featureNames());
        assertArrayEquals(new double[]{1, 3, 5, 7}, r.x(), 0.0);
        assertArrayEquals(new double[]{2, 4, 6, 8}, r.targets(), 0.0);
        assertEquals(2, r.numTargets());
    }

    @Test
    void quotedFieldsAndGzip() throws IOException {
        String text = "\"od280/od315, diluted\",\"say \"\"hi\"\"\",label\n\"1\",2,1\n";
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bo)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        Path p = dir.resolve("q.csv.gz");
        Files.write(p, bo.toByteArray());
        Dataset d = Csv.readClassification(p, "label");
        assertEquals(List.of("od280/od315, diluted", "say \"hi\""), d.featureNames());
        assertArrayEquals(new double[]{1, 2}, d.x(), 0.0);
    }

    @Test
    void writeReadRoundTripIsExact() throws IOException {
        double[] x = {Math.PI, -1e-300, 3, 0.1 + 0.2, -0.0, 7e22};
        Dataset c = Dataset.classification(x, 3, 2, new int[]{1, 0, 1}, 2, List.of("a,b", "c"), "label", null);
        for (String name : List.of("c.csv", "c.csv.gz")) {
            Csv.write(dir.resolve(name), c);
            Dataset back = Csv.readClassification(dir.resolve(name), "label");
            assertArrayEquals(x, back.x(), 0.0);
            assertArrayEquals(c.labels(), back.labels());
            assertEquals(c.featureNames(), back.featureNames());
        }
        Dataset r = Dataset.regression(x, 2, 3, new double[]{1.25, -2e-7}, 1, null, List.of("y"));
        Csv.write(dir.resolve("r.csv"), r);
        Dataset back = Csv.readRegression(dir.resolve("r.csv"), "y");
        assertArrayEquals(r.targets(), back.targets(), 0.0);
        assertArrayEquals(x, back.x(), 0.0);
    }

    @Test
    void badCellsNameLineAndColumn() throws IOException {
        IllegalArgumentException e = badClass("a,b,label\n1,2,0\n3,abc,1\n");
        assertTrue(e.getMessage().endsWith("line 3, column 'b': expected a number, found 'abc'"), e.getMessage());
        e = badClass("a,b,label\n1,2,0\n\n3,,1\n");
        assertTrue(e.getMessage().endsWith("line 4, column 'b': empty cell, expected a number"), e.getMessage());
        e = badClass("a,b,label\nNaN,2,0\n");
        assertTrue(e.getMessage().endsWith("line 2, column 'a': expected a finite number, found 'NaN'"), e.getMessage());
        e = badClass("a,b,label\n1,-Infinity,0\n");
        assertTrue(e.getMessage().contains("line 2, column 'b': expected a finite number"), e.getMessage());
        e = badClass("a,b,label\n1,2d,0\n");
        assertTrue(e.getMessage().contains("line 2, column 'b': expected a number, found '2d'"), e.getMessage());
        e = badClass("a,b,label\n1,2,0\n1,2\n");
        assertTrue(e.getMessage().endsWith("line 3: expected 3 cells as in the header, found 2"), e.getMessage());
        e = badClass("a,b,label\n1,2,0,5\n");
        assertTrue(e.getMessage().endsWith("line 2: expected 3 cells as in the header, found 4"), e.getMessage());
        e = badClass("a,b,label\n1,2,0,\n");
        assertTrue(e.getMessage().endsWith("line 2: expected 3 cells as in the header, found 4"), e.getMessage());
        e = badClass("a,b,label\n1,2,\n");
        assertTrue(e.getMessage().endsWith("line 2, column 'label': empty cell, expected a class label (a number or a name)"),
                e.getMessage());
        e = badClass("a,b,label\n\"1\",2,0,5\n");
        assertTrue(e.getMessage().endsWith("line 2: expected 3 cells as in the header, found 4"), e.getMessage());
        e = badClass("a,b,label\n1,2,0\n1,2,NaN\n");
        assertTrue(e.getMessage().endsWith("line 3, column 'label': expected a class label (a number or a name), found 'NaN'"),
                e.getMessage());
        e = badClass("a,b,label\n1,\"2,0\n");
        assertTrue(e.getMessage().contains("line 2: unterminated quoted field"), e.getMessage());
        e = badClass("a,b,label\n");
        assertTrue(e.getMessage().contains("no data rows"), e.getMessage());
        e = badClass("a,a,label\n1,2,0\n");
        assertTrue(e.getMessage().contains("'a' appears twice"), e.getMessage());
    }

    @Test
    void missingTargetColumnListsHeader() throws IOException {
        Path p = file("h.csv", "x0,x1,y0\n1,2,3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Csv.readRegression(p, "y0", "y1"));
        assertTrue(e.getMessage().endsWith("target column 'y1' not found; header: [x0, x1, y0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Csv.readClassification(dir.resolve("none.csv"), "label"));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("none.csv"), e.getMessage());
    }

    @Test
    void classNamesFixTheClassCount() throws IOException {
        byte[] b = "a,label\n1,0\n2,1\n".getBytes(StandardCharsets.UTF_8);
        Dataset d = Csv.read(new ByteArrayInputStream(b), "(mem)", Dataset.Task.CLASSIFICATION, List.of("label"),
                List.of("x", "y", "z"));
        assertEquals(3, d.numClasses());
        assertArrayEquals(new int[]{1, 1, 0}, d.classCounts());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Csv.read(new ByteArrayInputStream(b),
                "(mem)", Dataset.Task.CLASSIFICATION, List.of("label"), List.of("x")));
        assertTrue(e.getMessage().contains("line 3, column 'label': expected a class index in 0..0, found '1'"), e.getMessage());
    }

    @Test
    void readsTheFixtures() throws IOException {
        Dataset ce = Csv.readClassification(Fixtures.dir("pytorch-mlp-tanh-ce").resolve("data.csv"), "label");
        assertEquals(List.of("x0", "x1", "x2", "x3"), ce.featureNames());
        long lines = Files.lines(Fixtures.dir("pytorch-mlp-tanh-ce").resolve("data.csv")).filter(l -> !l.isBlank()).count();
        assertEquals(lines - 1, ce.size());
        Dataset mse = Csv.readRegression(Fixtures.dir("pytorch-mlp-gelu-mse").resolve("data.csv"), "y0", "y1");
        assertEquals(3, mse.numFeatures());
        assertEquals(2, mse.numTargets());
    }
}
