package org.hesse.data;

import org.hesse.io.InputException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoding rules of {@link Encoder} on small CSV tables ({@link Csv#readTable}) whose encoded matrices are
 * worked out by hand in each test.
 */
class EncoderTest {

    private static Table csv(String text) throws IOException {
        return Csv.readTable(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "t.csv");
    }

    @Test
    void oneHotImputationAndIndicators() throws IOException {
        Table t = csv("""
                size,colour,weight,label
                1,red,10,yes
                ,blue,NA,no
                3,red,20,no
                5,?,30,yes
                """);
        assertTrue(t.column("size") instanceof Table.Numeric);
        assertTrue(t.column("colour") instanceof Table.Categorical);
        Encoder enc = Encoder.fit(t, "label", Dataset.Task.CLASSIFICATION);
        assertEquals(List.of("size", "size:missing", "colour=blue", "colour=red", "colour:missing", "weight", "weight:missing"),
                enc.featureNames());
        Dataset d = enc.apply(t);
        // size mean over present (1+3+5)/3 = 3; weight mean (10+20+30)/3 = 20; levels ascending: blue, red
        assertArrayEquals(new double[] {
                1, 0, 0, 1, 0, 10, 0,
                3, 1, 1, 0, 0, 20, 1,
                3, 0, 0, 1, 0, 20, 0,
                5, 0, 0, 0, 1, 30, 0}, d.x());
        assertEquals(List.of("no", "yes"), d.classNames(), "string labels in ascending order, as Csv");
        assertArrayEquals(new int[] {1, 0, 0, 1}, d.labels());
    }

    @Test
    void testRowsAreEncodedWithTheTrainingFit() throws IOException {
        Table t = csv("""
                x,c,y
                1,a,0
                2,b,1
                3,c,0
                NA,a,1
                """);
        Table train = t.rows(new int[] {0, 1});
        Table test = t.rows(new int[] {2, 3});
        Encoder enc = Encoder.fit(train, "y", Dataset.Task.CLASSIFICATION);
        // training: x has no missing (no indicator), levels a, b only; test: 'c' is in the file's schema -> zeros,
        // the missing x -> the training mean 1.5
        assertEquals(List.of("x", "c=a", "c=b"), enc.featureNames());
        assertArrayEquals(new double[] {3, 0, 0, 1.5, 1, 0}, enc.apply(test).x());
        assertEquals(List.of("0", "1"), enc.classNames());
    }

    @Test
    void unknownCategoryOfAnotherFileIsRefusedNamingFileColumnRowAndValue() throws IOException {
        Table train = csv("x,c,y\n1,a,0\n2,b,1\n");
        Table test = Csv.readTable(new ByteArrayInputStream("x,c,y\n1,a,0\n2,zebra,1\n".getBytes(StandardCharsets.UTF_8)), "test.csv");
        Encoder enc = Encoder.fit(train, "y", Dataset.Task.CLASSIFICATION);
        InputException e = assertThrows(InputException.class, () -> enc.apply(test));
        assertEquals("CSV test.csv, line 3, column 'c': unknown category 'zebra'; the training data CSV t.csv has [a, b]",
                e.getMessage());
    }

    @Test
    void allMissingColumnIsRefused() throws IOException {
        Table t = csv("x,empty,y\n1,,0\n2,NA,1\n");
        InputException e = assertThrows(InputException.class, () -> Encoder.fit(t, "y", Dataset.Task.CLASSIFICATION));
        assertTrue(e.getMessage().startsWith("CSV t.csv: column 'empty' has no values (all 2 rows missing)"), e.getMessage());
    }

    @Test
    void raggedRowIsRefusedByTheReader() {
        InputException e = assertThrows(InputException.class, () -> csv("x,c,y\n1,a,0\n2,b\n"));
        assertEquals("CSV t.csv, line 3: expected 3 cells as in the header, found 2", e.getMessage());
    }

    @Test
    void oneClassIsRefused() throws IOException {
        Table t = csv("x,y\n1,cat\n2,cat\n");
        InputException e = assertThrows(InputException.class, () -> Encoder.fit(t, "y", Dataset.Task.CLASSIFICATION));
        assertTrue(e.getMessage().contains("one class only (cat) in 2 rows"), e.getMessage());
    }

    @Test
    void missingOrUnknownLabelIsRefused() throws IOException {
        Table t = csv("x,y\n1,a\n2,\n3,b\n");
        InputException e = assertThrows(InputException.class, () -> Encoder.fit(t, "y", Dataset.Task.CLASSIFICATION));
        assertEquals("CSV t.csv, line 3, column 'y': class label is missing, expected one of the classes", e.getMessage());
        Encoder enc = Encoder.fit(csv("x,y\n1,a\n3,b\n"), "y", Dataset.Task.CLASSIFICATION);
        e = assertThrows(InputException.class, () -> enc.apply(csv("x,y\n1,c\n")));
        assertTrue(e.getMessage().contains("unknown class label 'c'"), e.getMessage());
    }

    @Test
    void numericLabelsKeepTheCsvClassOrder() throws IOException {
        Dataset d = Encoder.encode(csv("x,y\n1,10\n2,9\n3,-1\n4,9.0\n"), "y", Dataset.Task.CLASSIFICATION);
        assertEquals(Csv.classOrder(List.of("10", "9", "-1")), d.classNames());
        assertEquals(List.of("-1", "9", "10"), d.classNames());
        assertArrayEquals(new int[] {2, 1, 0, 1}, d.labels(), "9 and 9.0 are one class");
    }

    @Test
    void regressionTargetStaysRawAndMustBeNumeric() throws IOException {
        Dataset d = Encoder.encode(csv("x,c,y\n1,a,2.5\n2,b,-7\n"), "y", Dataset.Task.REGRESSION);
        assertArrayEquals(new double[] {2.5, -7}, d.targets());
        InputException e = assertThrows(InputException.class,
                () -> Encoder.encode(csv("x,y\n1,2\n2,high\n"), "y", Dataset.Task.REGRESSION));
        assertEquals("CSV t.csv, line 3, column 'y': regression target holds text 'high', expected numbers", e.getMessage());
        e = assertThrows(InputException.class, () -> Encoder.encode(csv("x,y\n1,2\n2,NA\n"), "y", Dataset.Task.REGRESSION));
        assertEquals("CSV t.csv, line 3, column 'y': regression target is missing, expected a finite number", e.getMessage());
    }

    @Test
    void textInANumericTrainingColumnIsRefused() throws IOException {
        Encoder enc = Encoder.fit(csv("x,y\n1,a\n2,b\n"), "y", Dataset.Task.CLASSIFICATION);
        InputException e = assertThrows(InputException.class, () -> enc.apply(csv("x,y\n1,a\nlots,b\n")));
        assertEquals("CSV t.csv, line 3, column 'x': expected a number as in the training data, found 'lots'", e.getMessage());
        e = assertThrows(InputException.class, () -> enc.apply(csv("x,z,y\n1,2,a\n")));
        assertTrue(e.getMessage().contains("column 'z' was not in the training data"), e.getMessage());
    }

    @Test
    void existingCsvReaderAndTableAgreeOnNumericFiles() throws IOException {
        String text = "a,b,label\n0.5,1,2\n-1,3e2,0\n7,8,2\n";
        Dataset viaCsv = Csv.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "t.csv",
                Dataset.Task.CLASSIFICATION, List.of("label"), null);
        Dataset viaTable = Encoder.encode(csv(text), "label", Dataset.Task.CLASSIFICATION);
        assertArrayEquals(viaCsv.x(), viaTable.x());
        assertArrayEquals(viaCsv.labels(), viaTable.labels());
        assertEquals(viaCsv.classNames(), viaTable.classNames());
        assertEquals(viaCsv.featureNames(), viaTable.featureNames());
    }
}
