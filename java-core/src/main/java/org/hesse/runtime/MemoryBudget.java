package org.hesse.runtime;

import java.util.Locale;

/**
 * How many bytes one large allocation (a dense Hessian block, a LAPACK workspace) may take, checked before
 * allocating so that a too-large request fails with a clear message instead of an OutOfMemoryError half-way.
 * Default: {@value #DEFAULT_SHARE_PERCENT}% of the maximum heap. Set with {@code -Dhesse.memory.budget=<bytes>}
 * (suffix k, m or g, powers of 1024) or {@link #install(MemoryBudget)}.
 */
public final class MemoryBudget {
  public static final String PROPERTY = "hesse.memory.budget";
  /** Half the heap: the other half is for the network, data and workspaces alive at the same time. */
  public static final int DEFAULT_SHARE_PERCENT = 50;

  private static MemoryBudget current;

  private final long bytes;
  private final String source;

  private MemoryBudget(long bytes, String source) {
    this.bytes = bytes;
    this.source = source;
  }

  /** A budget of {@code bytes} bytes. */
  public static MemoryBudget of(long bytes) {
    if (bytes < 1) throw new IllegalArgumentException("bytes: expected a budget >= 1, got " + bytes);
    return new MemoryBudget(bytes, "set");
  }

  /** {@value #DEFAULT_SHARE_PERCENT}% of {@code Runtime.maxMemory()}. */
  public static MemoryBudget defaults() {
    long max = Runtime.getRuntime().maxMemory();
    // maxMemory() is Long.MAX_VALUE when the heap is unbounded.
    long share = max == Long.MAX_VALUE ? Long.MAX_VALUE : max / 100 * DEFAULT_SHARE_PERCENT;
    return new MemoryBudget(Math.max(1, share), DEFAULT_SHARE_PERCENT + "% of max heap " + format(max));
  }

  /**
   * From {@code -Dhesse.memory.budget}, else the default. A budget above the JVM's maximum heap is refused: an
   * allocation it allows would end in an OutOfMemoryError, the very failure the budget exists to prevent.
   */
  public static MemoryBudget fromSystemProperties() {
    String v = System.getProperty(PROPERTY);
    if (v == null || v.isBlank()) return defaults();
    long bytes = parseBytes(v, "-D" + PROPERTY);
    checkWithinHeap(bytes, configuredMaxHeap(), "-D" + PROPERTY);
    return new MemoryBudget(bytes, "-D" + PROPERTY + "=" + v.trim());
  }

  /**
   * The heap the JVM was given ({@code -Xmx}, HotSpot's MaxHeapSize), else {@code Runtime.maxMemory()}. Not
   * maxMemory() itself: under the serial and parallel collectors it leaves out one survivor space, so
   * {@code -Xmx1g -Dhesse.memory.budget=1g} would be refused.
   */
  static long configuredMaxHeap() {
    try {
      var hotspot = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      if (hotspot != null) return Long.parseLong(hotspot.getVMOption("MaxHeapSize").getValue());
    } catch (RuntimeException | LinkageError e) {
      // not HotSpot, or no java.management: the conservative figure below
    }
    return Runtime.getRuntime().maxMemory();
  }

  /** Refuses a budget of {@code bytes} above a maximum heap of {@code maxHeap} bytes; name is the setting. */
  static void checkWithinHeap(long bytes, long maxHeap, String name) {
    if (maxHeap != Long.MAX_VALUE && bytes > maxHeap) {
      throw new IllegalArgumentException(name + ": a budget of " + format(bytes) + " exceeds the JVM's maximum heap of "
          + format(maxHeap) + "; expected at most the heap (raise -Xmx or lower the budget)");
    }
  }

  /** The process-wide budget: the one last installed, else from the system property. */
  public static synchronized MemoryBudget current() {
    if (current == null) current = fromSystemProperties();
    return current;
  }

  public static synchronized void install(MemoryBudget budget) {
    if (budget == null) throw new IllegalArgumentException("budget: expected a MemoryBudget, got null");
    current = budget;
  }

  /**
   * Parses "123", "512k", "64m", "2g" (case-insensitive, powers of 1024, optional trailing "b").
   *
   * @param name the argument's name for the error message
   */
  public static long parseBytes(String text, String name) {
    if (text == null) throw new IllegalArgumentException(name + ": expected a byte count such as 512m or 2g, got null");
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
    long unit = 1;
    if (!t.isEmpty()) {
      char c = t.charAt(t.length() - 1);
      if (c == 'k' || c == 'm' || c == 'g' || c == 't') {
        unit = c == 'k' ? 1L << 10 : c == 'm' ? 1L << 20 : c == 'g' ? 1L << 30 : 1L << 40;
        t = t.substring(0, t.length() - 1);
      }
    }
    try {
      long n = Long.parseLong(t.trim());
      if (n >= 1) return Math.multiplyExact(n, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      // fall through
    }
    throw new IllegalArgumentException(name + ": expected a positive byte count such as 512m or 2g, got '" + text + "'");
  }

  public long bytes() {
    return bytes;
  }

  public boolean fits(long needed) {
    return needed >= 0 && needed <= bytes;
  }

  /**
   * Throws {@link MemoryBudgetExceededException} if {@code needed} bytes exceed the budget.
   *
   * @param what what would be allocated, for the message (e.g. "dense Hessian block 20000×20000")
   */
  public void check(long needed, String what) {
    if (needed < 0) throw new IllegalArgumentException("needed: expected a byte count >= 0, got " + needed);
    if (needed > bytes) throw new MemoryBudgetExceededException(what, needed, bytes);
  }

  /** {@link #check} for a {@code rows × cols} array of doubles; an overflowing size is over any budget. */
  public void checkDoubles(long rows, long cols, String what) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("rows, cols: expected >= 0, got " + rows + " × " + cols);
    }
    long values;
    try {
      values = Math.multiplyExact(rows, cols);
    } catch (ArithmeticException e) {
      values = Long.MAX_VALUE;
    }
    checkValues(values, Double.BYTES, what);
  }

  /** {@link #check} for {@code values} values of {@code bytesPerValue} bytes each; an overflowing size is over any budget. */
  public void checkValues(long values, int bytesPerValue, String what) {
    if (values < 0) throw new IllegalArgumentException("values: expected >= 0, got " + values);
    long needed;
    try {
      needed = Math.multiplyExact(values, bytesPerValue);
    } catch (ArithmeticException e) {
      needed = Long.MAX_VALUE;
    }
    check(needed, what);
  }

  /** e.g. "2.0 GiB (50% of max heap 4.0 GiB)". */
  public String describe() {
    return format(bytes) + " (" + source + ")";
  }

  @Override
  public String toString() {
    return describe();
  }

  /** Bytes in the largest binary unit that keeps the number ≥ 1, one decimal. */
  public static String format(long bytes) {
    if (bytes == Long.MAX_VALUE) return "unlimited";
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
