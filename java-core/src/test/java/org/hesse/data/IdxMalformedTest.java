package org.hesse.data;

import static org.hesse.data.ReaderInputs.cut;
import static org.hesse.data.ReaderInputs.gzip;
import static org.hesse.data.ReaderInputs.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.hesse.io.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed IDX files (issue 11): sizes claimed by the header are checked before anything is allocated; every
 * case is a one-line {@link InputException} naming the file.
 */
class IdxMalformedTest {
  @TempDir Path dir;

  static Stream<Arguments> images() {
    byte[] ok = idx(0x803, new int[] {50, 28, 28}, new byte[50 * 784]);
    return Stream.of(
        Arguments.of("2.7M images claimed", idx(0x803, new int[] {2_700_000, 28, 28}, new byte[784]), "memory budget"),
        Arguments.of("rows x cols overflow", idx(0x803, new int[] {1, 65536, 65536}, new byte[10]), "more than one Java array holds"),
        Arguments.of("more images claimed than present", idx(0x803, new int[] {1000, 28, 28}, new byte[784]),
            "truncated: the header announces 1000 images of 28 × 28 pixels (784000 bytes) but only 784 bytes follow"),
        Arguments.of("truncated gzip", cut(gzip(ok), gzip(ok).length / 2), "gzip data truncated or corrupt"),
        Arguments.of("wrong magic", idx(0x801, new int[] {1}, new byte[1]), "magic number 0x00000801, expected 0x00000803"),
        Arguments.of("negative size", idx(0x803, new int[] {-1, 2, 2}, new byte[4]), "size 4294967295 in dimension 0"),
        Arguments.of("short header", new byte[] {0, 0, 8, 3, 0}, "truncated header"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void imagesRefusedNamingTheFile(String name, byte[] content, String expected) throws IOException {
    Path p = dir.resolve("img-idx3-ubyte");
    Files.write(p, content);
    check(assertThrows(InputException.class, () -> Idx.readImages(p, 0)), p, expected);
  }

  static Stream<Arguments> labels() {
    return Stream.of(
        Arguments.of("2^31-1 labels claimed", idx(0x801, new int[] {Integer.MAX_VALUE}, new byte[10]), "labels"),
        Arguments.of("more labels claimed than present", idx(0x801, new int[] {100}, new byte[10]),
            "truncated: the header announces 100 labels (100 bytes) but only 10 bytes follow"),
        Arguments.of("images given as labels", idx(0x803, new int[] {1, 1, 1}, new byte[1]), "expected 0x00000801"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("labels")
  void labelsRefusedNamingTheFile(String name, byte[] content, String expected) throws IOException {
    Path p = dir.resolve("lab-idx1-ubyte");
    Files.write(p, content);
    check(assertThrows(InputException.class, () -> Idx.readLabels(p, 0)), p, expected);
  }

  private static void check(InputException e, Path p, String expected) {
    String m = e.getMessage();
    assertTrue(m.startsWith("IDX " + p), m);
    assertTrue(m.contains(expected), m);
    assertFalse(m.contains("\n"), m);
    assertTrue(m.length() < 400, m.length() + ": " + m);
  }

  @Test
  void validEdgeCases() throws IOException {
    // a limit reads only the first images even when the header claims more than the file holds
    Path p = dir.resolve("i.gz");
    Files.write(p, gzip(idx(0x803, new int[] {1000, 1, 2}, new byte[] {0, (byte) 255, 51, 102})));
    Idx.Images im = Idx.readImages(p, 2);
    assertEquals(2, im.count());
    assertArrayEquals(new double[] {0, 1, 0.2, 0.4}, im.pixels(), 1e-15);
    // zero images is a valid (empty) file
    Path z = dir.resolve("z");
    Files.write(z, idx(0x801, new int[] {0}, new byte[0]));
    assertEquals(0, Idx.readLabels(z, 0).length);
  }
}
