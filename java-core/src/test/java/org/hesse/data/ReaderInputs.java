package org.hesse.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/** Byte builders for the malformed-input tests of the data readers. */
final class ReaderInputs {
  private ReaderInputs() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] gzip(byte[] b) {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
      g.write(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bo.toByteArray();
  }

  /** The first {@code keep} of the bytes, e.g. a gzip stream cut short. */
  static byte[] cut(byte[] b, int keep) {
    return Arrays.copyOf(b, keep);
  }

  static byte[] idx(int magic, int[] dims, byte[] body) {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    DataOutputStream o = new DataOutputStream(bo);
    try {
      o.writeInt(magic);
      for (int d : dims) o.writeInt(d);
      o.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bo.toByteArray();
  }
}
