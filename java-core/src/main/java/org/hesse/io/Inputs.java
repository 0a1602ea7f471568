package org.hesse.io;

import org.hesse.nn.Sizes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.MemoryBudgetExceededException;

/** Shared checks of the readers; every failure is an {@link InputException} naming the input. */
public final class Inputs {
  private Inputs() {}

  /**
   * Refuses a path that is not a readable regular file, one rule for every reader: "WHAT file not found: PATH", or
   * "WHAT PATH: a directory (or not a regular file), expected a file".
   */
  public static void requireFile(java.nio.file.Path file, String what) {
    if (!java.nio.file.Files.exists(file)) {
      throw new InputException(what + " file not found: " + file.toAbsolutePath());
    }
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new InputException(what + " " + file.toAbsolutePath() + ": "
          + (java.nio.file.Files.isDirectory(file) ? "a directory" : "not a regular file") + ", expected a file");
    }
  }

  /** Strict UTF-8 decoding; a byte that is not UTF-8 is reported with its offset. */
  public static String decodeUtf8(byte[] bytes, String what) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      return dec.decode(in).toString();
    } catch (CharacterCodingException e) {
      throw new InputException(what + ": not UTF-8 text (byte " + firstBadUtf8(bytes)
          + " is not valid UTF-8); expected a text file");
    }
  }

  /** Offset of the first byte that does not start or continue a valid UTF-8 sequence (-1 if none). */
  static int firstBadUtf8(byte[] b) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(1024);
    while (true) {
      java.nio.charset.CoderResult r = dec.decode(in, out, true);
      if (r.isError()) return in.position();
      if (r.isUnderflow()) return -1;
      out.clear();
    }
  }

  /**
   * A UTF-8 line reader: bytes that are not UTF-8 become U+FFFD, which {@link #checkUtf8Line} refuses with the
   * exact line number (a decoder that throws would only know the buffer, not the line).
   */
  public static BufferedReader utf8Lines(InputStream in) {
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
  }

  /** Refuses a line read by {@link #utf8Lines} that held bytes that are not UTF-8; where names file and line. */
  public static void checkUtf8Line(String line, String where) {
    int i = line.indexOf('\uFFFD');
    if (i >= 0) {
      throw new InputException(where + ": not UTF-8 text (character " + (i + 1)
          + " of the line); expected a UTF-8 text file (or gzip of one)");
    }
  }

  /**
   * The reading of a gzip stream failed part-way: its data are truncated or corrupt. {@code where} names the input.
   */
  public static InputException unreadable(String where, IOException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new InputException(where + ": gzip data truncated or corrupt (" + excerptOf(m) + ")", e);
  }

  /** Whether a failure while reading a stream is the data's fault (bad encoding, broken gzip), not the disk's. */
  public static boolean isDataError(IOException e) {
    return e instanceof java.util.zip.ZipException || e instanceof java.io.EOFException;
  }

  /**
   * Refuses an allocation of {@code bytes} (overflow-safe: pass {@link Long#MAX_VALUE} when the count overflowed)
   * that exceeds the memory budget, before it is made; the message names the input and what would be allocated.
   */
  public static void checkBudget(String where, long bytes, String what) {
    try {
      MemoryBudget.current().check(bytes, what);
    } catch (MemoryBudgetExceededException e) {
      throw new InputException(where + ": " + e.getMessage(), e);
    }
  }

  /** {@code count} doubles: refused beyond one Java array or the memory budget. */
  public static void checkDoubles(String where, long count, String what) {
    if (count < 0 || count > Sizes.MAX_ARRAY) {
      throw new InputException(where + ": " + what + " has " + (count < 0 ? "more than 2^63" : Long.toString(count))
          + " values, more than one Java array holds (" + Sizes.MAX_ARRAY + ")");
    }
    checkBudget(where, count * Double.BYTES, what);
  }

  /** a·b, or -1 when the product overflows a long (for size messages). */
  public static long times(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  private static String excerptOf(String s) {
    return InputException.excerpt(s);
  }
}
