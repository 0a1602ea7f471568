package org.hesse.nativelib;

import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;

/**
 * The process-wide OpenBLAS, opened once on first use: the same library netlib-java's JNI back end uses
 * ({@code libblas.so.3}, on Debian a thin layer over {@code libopenblas.so.0}), falling back to
 * {@code libopenblas.so.0}. {@code -Dhesse.openblas.lib=name1,name2} overrides the candidates.
 * Without the library every method returns null / -1 / false, and one log line says why.
 *
 * <p>Opening it is preceded by the {@link KernelChoice} (OPENBLAS_CORETYPE, read by OpenBLAS when it loads), so
 * code that obtains netlib's BLAS/LAPACK/ARPACK calls {@link #ensureLoaded()} first.
 */
public final class OpenBlas {
  private static final Logger LOG = Logger.getLogger(OpenBlas.class.getName());
  /** Debian/Ubuntu names first (netlib opens libblas.so.3), then OpenBLAS's own sonames elsewhere. */
  public static final List<String> DEFAULT_CANDIDATES =
      List.of("libblas.so.3", "libopenblas.so.0", "libopenblasp.so.0", "libopenblas.so");

  private OpenBlas() {}

  private static final class Holder {
    static final List<String> CANDIDATES = candidates();
    // The choice first: it must precede the first load of OpenBLAS in the process, ours included.
    static final KernelChoice CHOICE = KernelChoice.beforeLoading(CANDIDATES);
    static final OpenBlasLibrary LIB = openDefault(CANDIDATES);
  }

  private static List<String> candidates() {
    String prop = System.getProperty("hesse.openblas.lib");
    return prop == null || prop.isBlank() ? DEFAULT_CANDIDATES : Arrays.asList(prop.trim().split("\\s*,\\s*"));
  }

  private static OpenBlasLibrary openDefault(List<String> candidates) {
    OpenBlasLibrary lib = OpenBlasLibrary.open(candidates);
    KernelChoice choice = Holder.CHOICE;
    if (choice.source() == KernelChoice.Source.TOO_LATE) {
      LOG.info("OpenBLAS kernels " + lib.coreName() + ": " + choice.describe(lib.coreName()));
    } else {
      LOG.fine("OpenBLAS kernels " + lib.coreName() + ": " + choice.describe(lib.coreName()));
    }
    if (lib.isAvailable()) {
      LOG.fine("OpenBLAS: " + lib.name() + " (" + lib.config() + ")");
    } else {
      LOG.info("OpenBLAS controls unavailable (thread count and core type cannot be set or reported): " + lib.reason());
    }
    return lib;
  }

  /**
   * Makes the kernel choice (once per process) and opens OpenBLAS. Call it before netlib's first
   * {@code BLAS/LAPACK/ARPACK.getInstance()}: those load OpenBLAS too, and after that the choice is too late.
   */
  public static OpenBlasLibrary ensureLoaded() {
    return Holder.LIB;
  }

  /** Who chose the kernels OpenBLAS runs (forces the choice and the load, as {@link #ensureLoaded()}). */
  public static KernelChoice kernelChoice() {
    ensureLoaded();
    return Holder.CHOICE;
  }

  public static boolean isAvailable() {
    return Holder.LIB.isAvailable();
  }

  /** Why OpenBLAS is unavailable, or null. */
  public static String unavailableReason() {
    return Holder.LIB.reason();
  }

  /** The kernel set in use (e.g. "SkylakeX", "Haswell", "Prescott"), or null. */
  public static String coreName() {
    return Holder.LIB.coreName();
  }

  /** e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64", or null. */
  public static String config() {
    return Holder.LIB.config();
  }

  /** OpenBLAS's thread count, or -1. */
  public static int numThreads() {
    return Holder.LIB.numThreads();
  }

  /** Sets OpenBLAS's thread count (process-wide); false if it could not. */
  public static boolean setNumThreads(int n) {
    return Holder.LIB.setNumThreads(n);
  }

  /** Prints what was found, one {@code key: value} per line (used by the launcher and for diagnosis). */
  public static void main(String[] args) {
    OpenBlasLibrary lib = ensureLoaded();
    System.out.println("available: " + lib.isAvailable());
    System.out.println("choice: " + kernelChoice().source() + " " + kernelChoice().describe(lib.coreName()));
    if (!lib.isAvailable()) {
      System.out.println("reason: " + lib.reason());
      return;
    }
    System.out.println("library: " + lib.name() + " -> " + lib.libraryPath());
    System.out.println("core: " + lib.coreName());
    System.out.println("config: " + lib.config());
    System.out.println("threads: " + lib.numThreads());
  }
}
