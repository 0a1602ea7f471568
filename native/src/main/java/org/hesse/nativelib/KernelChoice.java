package org.hesse.nativelib;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which OpenBLAS kernel set this process asks for, and who decided. OpenBLAS reads {@code OPENBLAS_CORETYPE}
 * once, when it is loaded, so the choice is made here, in the library, just before our first dlopen of it
 * ({@link OpenBlas}); {@code org.hesse.linalg.Linalg} and {@code org.hesse.eigen.Arpack} go through
 * {@link OpenBlas#ensureLoaded()} before netlib's first BLAS, LAPACK or ARPACK instance. So {@code mvn test},
 * plain {@code java} and {@code ./hesse} run the same kernels, and a library user gets them without doing anything.
 *
 * <p>Why choose at all: Debian's OpenBLAS 0.3.21 falls back to Prescott (SSE3) kernels on CPUs newer than it
 * knows (an AVX-512 Intel, family 6 model 207): a quarter of the dgemm speed, and kernels whose rounding depends
 * on the 16-byte alignment of the Java arrays (see README, "Determinism and BLAS kernels"). The rule is
 * {@link CoreTypeAdvisor#forCpu}: the best tier the CPU flags allow (SkylakeX, Haswell, SandyBridge). It is
 * applied whatever OpenBLAS would detect (we cannot ask before loading it): on an AMD Zen 4, where 0.3.21 picks
 * Cooperlake, SkylakeX has the same double-precision kernels and measured the same dgemm speed.
 *
 * <p>Order of precedence: {@code OPENBLAS_CORETYPE} set by the user (always respected); the opt-out
 * ({@code -Dhesse.openblas.coretype=off} or environment {@code HESSE_NO_CORETYPE} non-empty and not 0: OpenBLAS
 * detects by itself); OpenBLAS already loaded by someone else (too late: reported); a CPU without AVX (nothing
 * to choose); otherwise Hesse sets the variable (setenv, in our JNI bridge).
 */
public final class KernelChoice {
  public static final String ENV = "OPENBLAS_CORETYPE";
  public static final String OPT_OUT_ENV = "HESSE_NO_CORETYPE";
  /** {@code auto} (default): Hesse chooses; {@code off}: OpenBLAS's own detection. */
  public static final String PROPERTY = "hesse.openblas.coretype";

  /** Who decided the kernel set. */
  public enum Source {
    /** Hesse set OPENBLAS_CORETYPE from the CPU flags. */
    HESSE,
    /** The user's OPENBLAS_CORETYPE. */
    USER,
    /** Turned off by -Dhesse.openblas.coretype=off or HESSE_NO_CORETYPE: OpenBLAS detects. */
    OPT_OUT,
    /** The CPU has no AVX (or is not x86): OpenBLAS detects. */
    NO_TIER,
    /** OpenBLAS was already loaded when Hesse came to choose: it detected by itself. */
    TOO_LATE,
    /** Our JNI bridge is not loaded, so nothing can be set: OpenBLAS detects. */
    UNAVAILABLE,
    /** -Dhesse.openblas.coretype has a value other than auto/off: ignored (with a warning), OpenBLAS detects. */
    INVALID_PROPERTY
  }

  private final Source source;
  private final String requested;
  private final String detail;

  private KernelChoice(Source source, String requested, String detail) {
    this.source = source;
    this.requested = requested;
    this.detail = detail;
  }

  public Source source() {
    return source;
  }

  /** The kernel set asked for through OPENBLAS_CORETYPE (by Hesse or the user), or null when OpenBLAS detects. */
  public String requested() {
    return requested;
  }

  /** Whether Hesse itself chose the kernels. */
  public boolean chosenByHesse() {
    return source == Source.HESSE;
  }

  /**
   * One phrase for {@code hesse info}, given the kernel set OpenBLAS actually runs ({@code running}, may be
   * null): e.g. "chosen by Hesse from the CPU flags (AVX-512)" or "OPENBLAS_CORETYPE=Prescott set by the user".
   */
  public String describe(String running) {
    String s = detail;
    if (requested != null && running != null && !running.equalsIgnoreCase(requested)) {
      s += "; OpenBLAS runs " + running + " instead of " + requested + " (a build without DYNAMIC_ARCH ignores " + ENV + ")";
    }
    return s;
  }

  @Override
  public String toString() {
    return source + (requested != null ? " " + requested : "") + ": " + detail;
  }

  /**
   * The decision, as a pure function of its inputs. {@code userValue}: OPENBLAS_CORETYPE as the process
   * environment holds it now; {@code property}: -Dhesse.openblas.coretype; {@code optOutEnv}: HESSE_NO_CORETYPE;
   * {@code alreadyLoaded}: an OpenBLAS library name found loaded, or null; {@code cpuFlags}: /proc/cpuinfo's flags.
   */
  static KernelChoice decide(String userValue, String property, String optOutEnv, String alreadyLoaded,
                             Set<String> cpuFlags) {
    Objects.requireNonNull(cpuFlags, "cpuFlags");
    String mode = property == null || property.isBlank() ? "auto" : property.trim().toLowerCase(Locale.ROOT);
    if (!mode.equals("auto") && !mode.equals("off")) {
      throw new IllegalArgumentException("-D" + PROPERTY + ": expected auto or off, got '" + property + "'");
    }
    if (userValue != null && !userValue.isEmpty()) {
      return new KernelChoice(Source.USER, userValue, ENV + "=" + userValue + " set by the user");
    }
    if (mode.equals("off")) {
      return new KernelChoice(Source.OPT_OUT, null, "OpenBLAS's own detection (-D" + PROPERTY + "=off)");
    }
    if (optOutEnv != null && !optOutEnv.isEmpty() && !optOutEnv.equals("0")) {
      return new KernelChoice(Source.OPT_OUT, null, "OpenBLAS's own detection (" + OPT_OUT_ENV + "=" + optOutEnv + ")");
    }
    if (alreadyLoaded != null) {
      return new KernelChoice(Source.TOO_LATE, null, "OpenBLAS's own detection: " + alreadyLoaded
          + " was loaded before Hesse could choose (obtain BLAS/LAPACK/ARPACK through Hesse first, or set " + ENV + ")");
    }
    String want = CoreTypeAdvisor.forCpu(cpuFlags);
    if (want == null) {
      return new KernelChoice(Source.NO_TIER, null, "OpenBLAS's own detection (no AVX in the CPU flags: nothing to choose)");
    }
    return new KernelChoice(Source.HESSE, want, "chosen by Hesse from the CPU flags: " + CoreTypeAdvisor.tierName(cpuFlags));
  }

  /**
   * Makes the choice for this process and, when it is Hesse's, sets OPENBLAS_CORETYPE. Must run before any
   * OpenBLAS is loaded; {@code candidates} are the names to check with dlopen(RTLD_NOLOAD).
   */
  static KernelChoice beforeLoading(List<String> candidates) {
    String property = System.getProperty(PROPERTY);
    try {
      decide(null, property, null, null, Set.of());
    } catch (IllegalArgumentException e) {
      // This runs inside a class initialiser (OpenBlas.Holder): throwing here would break BLAS for the whole
      // process with an ExceptionInInitializerError, so a bad value is reported and ignored instead.
      java.util.logging.Logger.getLogger(KernelChoice.class.getName()).warning(e.getMessage() + " (ignored)");
      return new KernelChoice(Source.INVALID_PROPERTY, null, "OpenBLAS's own detection (" + e.getMessage() + "; ignored)");
    }
    if (!OpenBlasLibrary.bridge().loaded()) {
      return new KernelChoice(Source.UNAVAILABLE, null,
          "OpenBLAS's own detection (nothing set: JNI bridge " + OpenBlasLibrary.bridge() + ")");
    }
    try {
      return chooseAndSet(candidates, property);
    } catch (UnsatisfiedLinkError e) { // a bridge built from older sources (-Dhesse.native.hesse_openblas=...)
      return new KernelChoice(Source.UNAVAILABLE, null, "OpenBLAS's own detection (nothing set: the JNI bridge lacks " + e.getMessage() + ")");
    }
  }

  private static KernelChoice chooseAndSet(List<String> candidates, String property) {
    Set<String> names = new LinkedHashSet<>(candidates);
    names.addAll(OpenBlas.DEFAULT_CANDIDATES);
    String loaded = null;
    for (String n : names) {
      if (OpenBlasLibrary.nativeIsLoaded(n)) {
        loaded = n;
        break;
      }
    }
    KernelChoice c = decide(OpenBlasLibrary.nativeGetenv(ENV), property, OpenBlasLibrary.nativeGetenv(OPT_OUT_ENV), loaded,
        CoreTypeAdvisor.cpuFlags(Path.of("/proc/cpuinfo")));
    if (c.source == Source.HESSE && !OpenBlasLibrary.nativeSetenvIfUnset(ENV, c.requested)) {
      return new KernelChoice(Source.UNAVAILABLE, null, "OpenBLAS's own detection (setenv " + ENV + "=" + c.requested + " failed)");
    }
    return c;
  }

  /** For tests: the names in {@code candidates} that are loaded in this process now. */
  static List<String> loaded(List<String> candidates) {
    List<String> out = new ArrayList<>();
    if (!OpenBlasLibrary.bridge().loaded()) return out;
    for (String n : candidates) if (OpenBlasLibrary.nativeIsLoaded(n)) out.add(n);
    return out;
  }
}
