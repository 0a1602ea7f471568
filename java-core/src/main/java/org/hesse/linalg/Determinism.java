package org.hesse.linalg;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Set;
import org.hesse.nativelib.OpenBlas;

/**
 * Hesse's promise about bitwise repeatable numbers, and whether this process meets its conditions (README,
 * "Determinism and BLAS kernels", has the measurements).
 *
 * <p>The promise: the same inputs and seed give the same bits, in one process, across processes on one machine,
 * and under concurrent callers, <em>for a fixed kernel set and BLAS thread count</em>, when either
 * <ul>
 *   <li>the OpenBLAS kernels do not depend on where the Java arrays lie in memory ({@link #ALIGNMENT_INDEPENDENT}:
 *       the sets Hesse chooses on AVX2 and AVX-512 CPUs), or</li>
 *   <li>the JVM runs with {@code -XX:ObjectAlignmentInBytes=16} (the tests and {@code ./hesse} do): then every
 *       array starts at the same address modulo 16 and the routines of Hesse's default paths repeat themselves
 *       under every kernel set measured.</li>
 * </ul>
 * Outside the promise: dasum, which changes with 16-byte shifts under SkylakeX and Haswell (not removed by the
 * alignment flag) and is called by LAPACK's dstein, i.e. dsyevr with a selected range and eigenvectors
 * ({@code DenseEigen.indexRange}/{@code valueRange} with vectors).
 * Why: netlib's JNI hands OpenBLAS pointers into the Java heap, and the GC decides their alignment (8 or 16 bytes
 * modulo 16). The SSE kernels (Prescott and the other tier-0 sets) and SandyBridge peel one element to reach
 * 16-byte alignment, which changes the order of a dot product's partial sums: ddot, dgemv, dtrmv, dtrsv then
 * differ in the last bits (≤ a few ε relative), and so do QR, ARPACK and everything above them.
 *
 * <p>Not promised: the same bits across BLAS thread counts (OpenBLAS partitions dgemm/dgemv differently; the
 * difference is within the usual forward error bound, γ_k·(|A|·|B|) elementwise), nor across kernel sets or
 * machines. Pure-Java back ends (VectorBLAS, F2j) do not depend on alignment.
 */
public final class Determinism {
  /**
   * Kernel sets (lower case) whose results were measured not to depend on array alignment, for every BLAS
   * routine Hesse's default LAPACK and ARPACK paths call (OpenBLAS 0.3.21; dasum, which only dstein calls, does
   * depend on it under SkylakeX and Haswell). See DeterminismTest, which checks it for the running set.
   */
  public static final Set<String> ALIGNMENT_INDEPENDENT = Set.of("haswell", "zen", "skylakex", "cooperlake");

  private Determinism() {}

  /** The JVM's -XX:ObjectAlignmentInBytes (8 by default), or 8 when it cannot be read (not HotSpot). */
  public static int objectAlignmentInBytes() {
    try {
      return Integer.parseInt(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
          .getVMOption("ObjectAlignmentInBytes").getValue());
    } catch (RuntimeException | LinkageError e) {
      return 8;
    }
  }

  /** Whether the kernels OpenBLAS runs are in {@link #ALIGNMENT_INDEPENDENT}. */
  public static boolean kernelsAlignmentIndependent() {
    String core = OpenBlas.coreName();
    return core != null && ALIGNMENT_INDEPENDENT.contains(core.toLowerCase(Locale.ROOT));
  }

  /** Whether this process meets the conditions of the promise (for a fixed BLAS thread count). */
  public static boolean bitwiseRepeatable() {
    if (objectAlignmentInBytes() >= 16) return true;
    if (OpenBlas.isAvailable()) return kernelsAlignmentIndependent();
    // another native BLAS behind libblas.so.3: unknown kernels; the pure-Java back ends are fine
    return !Linalg.nativeBlas() && !Linalg.nativeLapack();
  }

  /** One line for {@code hesse info}: what is bitwise here and why, or what to change. */
  public static String describe() {
    String core = OpenBlas.coreName();
    String scope = "same seed, same bits (in and across processes, concurrent callers; fixed BLAS thread count)";
    if (objectAlignmentInBytes() >= 16) return scope + ": -XX:ObjectAlignmentInBytes=16 fixes the arrays' alignment";
    if (OpenBlas.isAvailable()) {
      if (kernelsAlignmentIndependent()) return scope + ": " + core + " kernels do not depend on array alignment";
      return "last bits may differ between runs: " + core + " kernels round by the 16-byte alignment of Java arrays,"
          + " which the GC decides; run the JVM with -XX:ObjectAlignmentInBytes=16 for bitwise repeatable results";
    }
    if (Linalg.nativeBlas() || Linalg.nativeLapack()) {
      return "unknown native BLAS: run the JVM with -XX:ObjectAlignmentInBytes=16 for bitwise repeatable results";
    }
    return scope + ": pure-Java back ends";
  }
}
