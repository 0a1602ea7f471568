package org.hesse.io;

/**
 * The one error type of Hesse's readers (model description, safetensors, CSV, LibSVM, IDX, bundled data): the
 * input is malformed or asks for more than can be held. The message is one line naming the input (file or
 * source), the place in it (field, tensor, line, byte offset) and what was expected; echoed content is cut to
 * {@value #EXCERPT_CHARS} characters. A subclass of {@link IllegalArgumentException}, so the CLI reports it as
 * bad input (exit 2). Genuine I/O failures of a file system stay {@link java.io.IOException}.
 */
public class InputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Longest piece of the input quoted in a message. */
  public static final int EXCERPT_CHARS = 60;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * {@code text} for a message: control and non-printable characters escaped ({@code \n}, {@code \u0000}), cut to
   * {@value #EXCERPT_CHARS} characters with the total length noted, so a binary or huge field stays one short line.
   */
  public static String excerpt(String text) {
    return excerpt(text, EXCERPT_CHARS);
  }

  /** {@link #excerpt(String)} cut at {@code max} characters (for a parser's own message, which is longer). */
  public static String excerpt(String text, int max) {
    if (text == null) return "null";
    StringBuilder b = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < text.length() && shown < max; i++, shown++) {
      char c = text.charAt(i);
      if (c == '\n') b.append("\\n");
      else if (c == '\r') b.append("\\r");
      else if (c == '\t') b.append("\\t");
      else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\uFFFD' || Character.isSurrogate(c)) {
        b.append(String.format("\\u%04x", (int) c));
      } else b.append(c);
    }
    if (text.length() > max) b.append("... (").append(text.length()).append(" characters)");
    return b.toString();
  }

  /** {@link #excerpt(String)} of {@code String.valueOf(o)}. */
  public static String excerpt(Object o) {
    return excerpt(String.valueOf(o));
  }
}
