package org.hesse.data;

import static org.hesse.data.ReaderInputs.cut;
import static org.hesse.data.ReaderInputs.gzip;
import static org.hesse.data.ReaderInputs.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.hesse.io.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed CSV files (issue 11): one-line {@link InputException} naming the file, the line and the expectation. */
class CsvMalformedTest {
  @TempDir Path dir;

  static Stream<Arguments> malformed() {
    byte[] big = gzip(utf8("a,label\n" + "1,0\n".repeat(20_000)));
    StringBuilder g = new StringBuilder();
    for (int i = 0; i < 700; i++) g.append(i > 0 ? "," : "").append("\u0001").append(Integer.toHexString(i * 7919));
    String garbage = g.toString();
    return Stream.of(
        Arguments.of("garbage header", utf8(garbage + "\n1\n"), "target column 'label' not found; header: [", "characters)"),
        Arguments.of("NUL byte in a number", utf8("a,label\n2\u0000,0\n"), "found control character U+0000 in", "line 2"),
        Arguments.of("truncated gzip", cut(big, big.length / 2), "gzip data truncated or corrupt", "c.csv"),
        Arguments.of("gzip magic only", new byte[] {0x1f, (byte) 0x8b, 8}, "gzip data truncated or corrupt", "c.csv"),
        Arguments.of("latin-1 bytes", "a,label\n1,caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1), "line 2: not UTF-8 text (character 6 of the line)", "c.csv"),
        Arguments.of("NaN feature", utf8("a,label\nNaN,0\n"), "line 2, column 'a': expected a finite number, found 'NaN'", "c.csv"),
        Arguments.of("Inf feature", utf8("a,label\n-Infinity,0\n"), "expected a finite number, found '-Infinity'", "c.csv"),
        Arguments.of("NaN label", utf8("a,label\n1,nan\n"), "line 2, column 'label': expected a class label", "c.csv"),
        Arguments.of("empty label", utf8("a,label\n1,\n"), "empty cell, expected a class label", "c.csv"),
        Arguments.of("long text cell", utf8("a,label\n" + "z".repeat(9000) + ",0\n"), "(9000 characters)", "line 2"),
        Arguments.of("binary", new byte[] {0, 1, 2, (byte) 0xff, 10, 0}, "not UTF-8 text", "c.csv"),
        Arguments.of("empty", new byte[0], "empty file, expected a header row", "c.csv"),
        Arguments.of("header only", utf8("a,label\n"), "no data rows after the header", "c.csv"),
        Arguments.of("too many cells", utf8("a,label\n1,2,3\n"), "line 2: expected 2 cells as in the header, found 3", "c.csv"),
        Arguments.of("unterminated quote", utf8("a,label\n\"1,0\n"), "line 2: unterminated quoted field", "c.csv"),
        Arguments.of("duplicate column", utf8("a,a,label\n1,2,0\n"), "column name 'a' appears twice", "c.csv"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusedNamingTheFile(String name, byte[] content, String expected, String alsoExpected) throws IOException {
    Path p = dir.resolve("c.csv");
    Files.write(p, content);
    InputException e = assertThrows(InputException.class, () -> Csv.readClassification(p, "label"));
    String m = e.getMessage();
    assertTrue(m.startsWith("CSV " + p), m);
    assertTrue(m.contains(expected) && m.contains(alsoExpected), m);
    assertFalse(m.contains("\n"), m);
    assertTrue(m.length() < 400, m.length() + ": " + m);
  }

  @Test
  void classesAreTheDistinctLabels() throws IOException {
    Path p = dir.resolve("gap.csv");
    Files.writeString(p, "a,label\n1,0\n2,7\n3,1\n4,2\n5,7\n");
    Dataset d = Csv.readClassification(p, "label");
    assertEquals(4, d.numClasses());
    assertEquals(List.of("0", "1", "2", "7"), d.classNames());
    assertArrayEquals(new int[] {0, 3, 1, 2, 3}, d.labels());
    // 0..C-1 keep their indices (same numbers as before the mapping), 1.0 is label 1
    Files.writeString(p, "a,label\n1,2\n2,0\n3,1.0\n");
    Dataset same = Csv.readClassification(p, "label");
    assertArrayEquals(new int[] {2, 0, 1}, same.labels());
    assertEquals(List.of("0", "1", "2"), same.classNames());
    // names: ascending string order, quoted or not
    Files.writeString(p, "a,species\n1,versicolor\n2,setosa\n3,\"virginica\"\n4,setosa\n");
    Dataset s = Csv.readClassification(p, "species");
    assertEquals(List.of("setosa", "versicolor", "virginica"), s.classNames());
    assertArrayEquals(new int[] {1, 0, 2, 0}, s.labels());
    assertArrayEquals(new double[] {1, 2, 3, 4}, s.x(), 0.0);
    // -1/+1 as LibSVM has them
    Files.writeString(p, "a,label\n1,+1\n2,-1\n");
    assertArrayEquals(new int[] {1, 0}, Csv.readClassification(p, "label").labels());
  }

  @Test
  void gzipAndBomRead() throws IOException {
    Path p = dir.resolve("g.csv.gz");
    Files.write(p, gzip(utf8("\uFEFFa,y\n1.5,2\n")));
    Dataset d = Csv.readRegression(p, "y");
    assertArrayEquals(new double[] {1.5}, d.x(), 0.0);
    assertArrayEquals(new double[] {2}, d.targets(), 0.0);
  }

  @Test
  void aTestFileTakesTheTrainingClasses() throws IOException {
    Path train = dir.resolve("train.csv");
    Files.writeString(train, "a,label\n1,0\n2,1\n3,2\n");
    Path test = dir.resolve("test.csv");
    Files.writeString(test, "a,label\n1,2\n2,0\n");
    Dataset tr = Csv.readClassification(train, "label");
    Dataset te = Csv.readClassification(test, "label").withClassNames(tr.classNames(), "CSV " + test);
    assertArrayEquals(new int[] {2, 0}, te.labels()); // by itself the test file would make 2 its class 1
    assertEquals(3, te.numClasses());
    Files.writeString(test, "a,label\n1,5\n");
    InputException e = assertThrows(InputException.class,
        () -> Csv.readClassification(test, "label").withClassNames(tr.classNames(), "CSV " + test));
    assertEquals("CSV " + test + ": class label '5' is not one of the 3 classes [0, 1, 2]", e.getMessage());
  }
}
