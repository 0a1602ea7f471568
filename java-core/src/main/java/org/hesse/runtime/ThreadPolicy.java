package org.hesse.runtime;

import java.util.Properties;
import java.util.logging.Logger;
import org.hesse.nativelib.OpenBlas;

/**
 * The one thread policy of a Hesse process: Java worker threads × OpenBLAS threads ≤ available cores, so that
 * parallel Java work and a threaded BLAS never oversubscribe the machine. Defaults: 1 Java worker and as many
 * BLAS threads as cores. Set with {@code -Dhesse.threads.java=N} / {@code -Dhesse.threads.blas=M} (one given:
 * the other gets the remaining cores) or with {@link #install(ThreadPolicy)}.
 */
public final class ThreadPolicy {
  private static final Logger LOG = Logger.getLogger(ThreadPolicy.class.getName());
  public static final String JAVA_PROPERTY = "hesse.threads.java";
  public static final String BLAS_PROPERTY = "hesse.threads.blas";

  private static ThreadPolicy current;
  private static boolean currentApplied;

  private final int javaWorkers;
  private final int blasThreads;
  private final int cores;

  private ThreadPolicy(int javaWorkers, int blasThreads, int cores) {
    this.javaWorkers = javaWorkers;
    this.blasThreads = blasThreads;
    this.cores = cores;
  }

  /** The number of cores this JVM may use. */
  public static int availableCores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** A policy for this machine; throws if {@code javaWorkers × blasThreads} exceeds its cores. */
  public static ThreadPolicy of(int javaWorkers, int blasThreads) {
    return of(javaWorkers, blasThreads, availableCores());
  }

  /** A policy for a machine with {@code cores} cores. */
  public static ThreadPolicy of(int javaWorkers, int blasThreads, int cores) {
    if (cores < 1) throw new IllegalArgumentException("cores: expected >= 1, got " + cores);
    if (javaWorkers < 1) throw new IllegalArgumentException("javaWorkers: expected >= 1, got " + javaWorkers);
    if (blasThreads < 1) throw new IllegalArgumentException("blasThreads: expected >= 1, got " + blasThreads);
    if ((long) javaWorkers * blasThreads > cores) {
      throw new IllegalArgumentException("javaWorkers × blasThreads: expected at most " + cores + " (available cores), got "
          + javaWorkers + " × " + blasThreads + " = " + (long) javaWorkers * blasThreads);
    }
    return new ThreadPolicy(javaWorkers, blasThreads, cores);
  }

  /** 1 Java worker, BLAS threads = cores. */
  public static ThreadPolicy defaults() {
    return fromProperties(new Properties(), availableCores());
  }

  /** From {@code hesse.threads.java} / {@code hesse.threads.blas}, defaults for what is not set. */
  public static ThreadPolicy fromSystemProperties() {
    return fromProperties(System.getProperties(), availableCores());
  }

  /** From the two properties in {@code props} on a machine with {@code cores} cores. */
  public static ThreadPolicy fromProperties(Properties props, int cores) {
    if (cores < 1) throw new IllegalArgumentException("cores: expected >= 1, got " + cores);
    Integer java = parse(props, JAVA_PROPERTY);
    Integer blas = parse(props, BLAS_PROPERTY);
    if (java == null && blas == null) return of(1, cores, cores);
    int j = java != null ? java : Math.max(1, cores / blas);
    int b = blas != null ? blas : Math.max(1, cores / j);
    if ((long) j * b > cores) {
      throw new IllegalArgumentException("-D" + JAVA_PROPERTY + " × -D" + BLAS_PROPERTY + ": expected at most " + cores
          + " (available cores), got " + j + (java == null ? " (default)" : "") + " × " + b
          + (blas == null ? " (default)" : "") + " = " + (long) j * b);
    }
    return of(j, b, cores);
  }

  private static Integer parse(Properties props, String key) {
    String v = props.getProperty(key);
    if (v == null || v.isBlank()) return null;
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 1) return n;
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException("-D" + key + ": expected a thread count >= 1, got '" + v + "'");
  }

  /**
   * The process-wide policy: the one last {@link #install installed}, else the system properties'; applied to
   * OpenBLAS on first use.
   */
  public static synchronized ThreadPolicy current() {
    if (current == null) current = fromSystemProperties();
    if (!currentApplied) {
      current.apply();
      currentApplied = true;
    }
    return current;
  }

  /** Makes {@code policy} the process-wide one and applies it to OpenBLAS. */
  public static synchronized void install(ThreadPolicy policy) {
    if (policy == null) throw new IllegalArgumentException("policy: expected a ThreadPolicy, got null");
    current = policy;
    policy.apply();
    currentApplied = true;
  }

  /** Java worker threads (for parallel loops over samples, layers or probe vectors). */
  public int javaWorkers() {
    return javaWorkers;
  }

  /** OpenBLAS threads per BLAS call. */
  public int blasThreads() {
    return blasThreads;
  }

  public int cores() {
    return cores;
  }

  /** Sets OpenBLAS's thread count to {@link #blasThreads()}; false (with a log line) when OpenBLAS cannot be reached. */
  public boolean apply() {
    boolean ok = OpenBlas.setNumThreads(blasThreads);
    if (!ok) LOG.fine("BLAS thread count not applied: OpenBLAS controls unavailable");
    return ok;
  }

  /** e.g. "1 Java worker × 2 BLAS threads on 2 cores (OpenBLAS now uses 2)". */
  public String describe() {
    int now = OpenBlas.numThreads();
    return javaWorkers + " Java worker" + (javaWorkers == 1 ? "" : "s") + " × " + blasThreads + " BLAS thread"
        + (blasThreads == 1 ? "" : "s") + " on " + cores + " core" + (cores == 1 ? "" : "s")
        + (now > 0 ? " (OpenBLAS now uses " + now + ")" : " (OpenBLAS thread control unavailable)");
  }

  @Override
  public String toString() {
    return describe();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ThreadPolicy && ((ThreadPolicy) o).javaWorkers == javaWorkers
        && ((ThreadPolicy) o).blasThreads == blasThreads && ((ThreadPolicy) o).cores == cores;
  }

  @Override
  public int hashCode() {
    return (javaWorkers * 31 + blasThreads) * 31 + cores;
  }
}
