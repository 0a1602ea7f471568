package org.hesse.nativelib;

import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;

/**
 * The process-wide OpenBLAS, opened once on first use: the same library netlib-java's JNI back end uses
 * ({@code libblas.so.3}, on Debian a thin layer over {@code libopenblas.so.0}), falling back to
 * {@code libopenblas.so.0}. {@code -Dhesse.openblas.lib=name1,name2} overrides the candidates.
 * Without the library every method returns null / -1 / false, and one log line says why.
 */
public final class OpenBlas {
  private static final Logger LOG = Logger.getLogger(OpenBlas.class.getName());
  /** Debian/Ubuntu names first (netlib opens libblas.so.3), then OpenBLAS's own sonames elsewhere. */
  public static final List<String> DEFAULT_CANDIDATES =
      List.of("libblas.so.3", "libopenblas.so.0", "libopenblasp.so.0", "libopenblas.so");

  private OpenBlas() {}

  private static final class Holder {
    static final OpenBlasLibrary LIB = openDefault();
  }

  private static OpenBlasLibrary openDefault() {
    String prop = System.getProperty("hesse.openblas.lib");
    List<String> candidates =
        prop == null || prop.isBlank() ? DEFAULT_CANDIDATES : Arrays.asList(prop.trim().split("\\s*,\\s*"));
    OpenBlasLibrary lib = OpenBlasLibrary.open(candidates);
    if (lib.isAvailable()) {
      LOG.fine("OpenBLAS: " + lib.name() + " (" + lib.config() + ")");
    } else {
      LOG.info("OpenBLAS controls unavailable (thread count and core type cannot be set or reported): " + lib.reason());
    }
    return lib;
  }

  /** The underlying library handle. */
  public static OpenBlasLibrary library() {
    return Holder.LIB;
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
    OpenBlasLibrary lib = library();
    System.out.println("available: " + lib.isAvailable());
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
