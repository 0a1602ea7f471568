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

/** Malformed LibSVM files (issue 11): one-line {@link InputException} naming the file, line and expectation. */
class LibSvmMalformedTest {
  @TempDir Path dir;

  static Stream<Arguments> malformed() {
    byte[] big = gzip(utf8("1 1:0.5 3:2\n".repeat(20_000)));
    return Stream.of(
        Arguments.of("truncated gzip", cut(big, big.length / 2), "gzip data truncated or corrupt"),
        Arguments.of("latin-1", "1 1:0.5 # caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1), "line 1: not UTF-8 text"),
        Arguments.of("NaN value", utf8("1 1:nan\n"), "line 1, feature 1: expected a number, found 'nan'"),
        Arguments.of("Inf label", utf8("inf 1:1\n"), "line 1, label: expected a number, found 'inf'"),
        Arguments.of("index 0", utf8("1 0:1\n"), "feature indices are 1-based"),
        Arguments.of("decreasing", utf8("1 3:1 2:1\n"), "feature indices must increase, found 2 after 3"),
        Arguments.of("index beyond int", utf8("1 99999999999:1\n"), "expected an integer feature index"),
        Arguments.of("dense matrix too large", utf8("1 2147483647:1\n2 1:1\n"), "more than one Java array holds"),
        Arguments.of("no colon", utf8("1 abc\n"), "expected index:value, found 'abc'"),
        Arguments.of("long token", utf8("1 " + "x".repeat(7000) + "\n"), "(7000 characters)"),
        Arguments.of("only comments", utf8("# nothing\n\n"), "no samples"),
        Arguments.of("no features", utf8("1\n2\n"), "no feature appears"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusedNamingTheFile(String name, byte[] content, String expected) throws IOException {
    Path p = dir.resolve("d.svm");
    Files.write(p, content);
    InputException e = assertThrows(InputException.class, () -> LibSvm.read(p, Dataset.Task.CLASSIFICATION, 0));
    String m = e.getMessage();
    assertTrue(m.startsWith("LibSVM " + p), m);
    assertTrue(m.contains(expected), m);
    assertFalse(m.contains("\n"), m);
    assertTrue(m.length() < 400, m.length() + ": " + m);
  }

  @Test
  void validEdgeCases() throws IOException {
    Path p = dir.resolve("ok.svm.gz");
    Files.write(p, gzip(utf8("+1 1:0.5 3:-2 # c\n\n-1 2:1e-3\n7 3:4\n")));
    Dataset d = LibSvm.read(p, Dataset.Task.CLASSIFICATION, 0);
    assertEquals(3, d.numFeatures());
    assertArrayEquals(new double[] {0.5, 0, -2, 0, 1e-3, 0, 0, 0, 4}, d.x(), 0.0);
    assertEquals(List.of("-1", "1", "7"), d.classNames());
    assertArrayEquals(new int[] {1, 0, 2}, d.labels());
  }
}
