package org.hesse.nativelib;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One OpenBLAS opened through our JNI bridge ({@code libhesse_openblas.so}), with dlopen at run time. Every
 * accessor degrades instead of failing: null / -1 / false when the bridge, the library or the symbol is
 * missing; {@link #reason()} says which. Use {@link OpenBlas} for the process-wide instance.
 */
public final class OpenBlasLibrary {
  /** The symbol that identifies OpenBLAS (reference BLAS behind libblas.so.3 does not have it). */
  static final String MARKER_SYMBOL = "openblas_get_corename";

  private static final NativeLoader.Result BRIDGE = NativeLoader.load("hesse_openblas");

  private final long handle;
  private final String name;
  private final String reason;

  private OpenBlasLibrary(long handle, String name, String reason) {
    this.handle = handle;
    this.name = name;
    this.reason = reason;
  }

  /** Whether our JNI bridge itself loaded, and from where or why not. */
  public static NativeLoader.Result bridge() {
    return BRIDGE;
  }

  /**
   * Opens the first of {@code candidates} (sonames or absolute paths) that dlopen resolves and that exports
   * {@code openblas_get_corename}. Never throws for a missing library: the result is then unavailable.
   */
  public static OpenBlasLibrary open(List<String> candidates) {
    Objects.requireNonNull(candidates, "candidates");
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("candidates: expected at least one library name, got an empty list");
    }
    if (!BRIDGE.loaded()) return new OpenBlasLibrary(0, null, "JNI bridge " + BRIDGE);
    List<String> failures = new ArrayList<>();
    for (String c : candidates) {
      String[] err = new String[1];
      long h = nativeOpen(c, err);
      if (h == 0) {
        failures.add(err[0] != null ? err[0] : c + ": dlopen failed");
      } else if (!nativeHasSymbol(h, MARKER_SYMBOL)) {
        failures.add(c + " has no symbol " + MARKER_SYMBOL + " (not OpenBLAS)");
      } else {
        return new OpenBlasLibrary(h, c, null);
      }
    }
    return new OpenBlasLibrary(0, null, String.join("; ", failures));
  }

  public boolean isAvailable() {
    return handle != 0;
  }

  /** The candidate that was opened, or null. */
  public String name() {
    return name;
  }

  /** Why it is unavailable, or null when it is available. */
  public String reason() {
    return reason;
  }

  /** The file OpenBLAS was actually loaded from (symlinks resolved by the loader), or null. */
  public String libraryPath() {
    return isAvailable() ? nativeLibraryPath(handle) : null;
  }

  /** The kernel set in use, e.g. "Haswell", "SkylakeX", "Prescott"; null if unavailable. */
  public String coreName() {
    return isAvailable() ? trimOrNull(nativeCoreName(handle)) : null;
  }

  /** The build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"; or null. */
  public String config() {
    return isAvailable() ? trimOrNull(nativeConfig(handle)) : null;
  }

  /** OpenBLAS's current thread count, or -1 if unavailable. */
  public int numThreads() {
    return isAvailable() ? nativeNumThreads(handle) : -1;
  }

  /** The processor count OpenBLAS detected, or -1 if unavailable. */
  public int numProcs() {
    return isAvailable() ? nativeNumProcs(handle) : -1;
  }

  /**
   * Sets OpenBLAS's thread count for all later calls (process-wide). Returns false, changing nothing, when
   * the library or the symbol is unavailable.
   */
  public boolean setNumThreads(int n) {
    if (n < 1) throw new IllegalArgumentException("n: expected a thread count >= 1, got " + n);
    return isAvailable() && nativeSetNumThreads(handle, n);
  }

  private static String trimOrNull(String s) {
    return s == null ? null : s.trim();
  }

  private static native long nativeOpen(String name, String[] error);

  private static native boolean nativeHasSymbol(long handle, String symbol);

  private static native String nativeLibraryPath(long handle);

  private static native String nativeCoreName(long handle);

  private static native String nativeConfig(long handle);

  private static native int nativeNumThreads(long handle);

  private static native int nativeNumProcs(long handle);

  private static native boolean nativeSetNumThreads(long handle, int n);

  // For KernelChoice: they need the bridge, not an opened OpenBLAS.

  static native boolean nativeIsLoaded(String name);

  static native String nativeGetenv(String name);

  static native boolean nativeSetenvIfUnset(String name, String value);
}
