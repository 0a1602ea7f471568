package org.hesse.eigen;

import dev.ludovic.netlib.arpack.ARPACK;
import dev.ludovic.netlib.arpack.JavaARPACK;
import dev.ludovic.netlib.arpack.NativeARPACK;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.hesse.linalg.Linalg;
import org.netlib.util.doubleW;
import org.netlib.util.intW;

/**
 * k eigenpairs of a symmetric {@link LinearOperator} through ARPACK's implicitly restarted Lanczos
 * (dsaupd/dseupd reverse communication, mode 1, exact shifts), the model being Spark MLlib's
 * {@code EigenValueDecomposition.symmetricEigs}.
 *
 * <p><b>Not re-entrant.</b> ARPACK keeps state between calls in Fortran SAVE variables (native) or static
 * fields (F2j), so at most one solve runs per process at any time: every solve holds {@link #LOCK} for its whole
 * duration, whichever back end it uses. Concurrent callers wait; they get correct answers. The operator is
 * applied while the lock is held, so an operator must not itself start an ARPACK solve.
 *
 * <p>A single-vector Krylov method: an eigenvalue of multiplicity &gt; 1 may be returned fewer times than its
 * multiplicity (copies appear only through rounding), in which case the next eigenvalue takes its place. Every
 * pair returned is a true, converged eigenpair.
 *
 * <p>Problems too small for ARPACK (it needs k &lt; ncv ≤ n, and with k ≥ n − 1 there is no room to restart)
 * are solved densely through LAPACK after n applications; {@link ArpackResult#method()} says so.
 *
 * <pre>{@code ArpackResult r = Arpack.request(5).which(Which.LA).tol(1e-10).solve(op);}</pre>
 */
public final class Arpack {
  /** The global lock serialising all ARPACK solves in this JVM. */
  public static final ReentrantLock LOCK = new ReentrantLock(true);

  /** Default number of implicit restarts. */
  public static final int DEFAULT_MAX_ITERATIONS = 300;
  /** Default seed of the start vector (a fixed seed keeps runs reproducible; ARPACK's own seed is global). */
  public static final long DEFAULT_SEED = 0x5EEDL;

  private Arpack() {}

  private static final ARPACK DEFAULT = chooseDefault();

  /**
   * The default back end: JNI when libarpack.so.2 loads, else F2j; chosen once, logged in one line.
   *
   * @return the back end every request uses unless it names another
   */
  public static ARPACK defaultBackend() {
    return DEFAULT;
  }

  private static ARPACK chooseDefault() {
    // libarpack.so.2 links libblas.so.3: the OpenBLAS kernel choice must come first (see Linalg).
    org.hesse.nativelib.OpenBlas.ensureLoaded();
    ARPACK a = ARPACK.getInstance();
    boolean nat = a instanceof NativeARPACK;
    java.util.logging.Logger.getLogger(Arpack.class.getName()).info("ARPACK: " + a.getClass().getSimpleName()
        + (nat ? " (native)" : " (java; install libarpack2 for the native one)"));
    return a;
  }

  /**
   * The pure-Java (F2j) back end.
   *
   * @return F2j's ARPACK
   */
  public static ARPACK javaBackend() {
    return JavaARPACK.getInstance();
  }

  /**
   * The JNI back end.
   *
   * @return netlib's native ARPACK, or null when libarpack.so.2 is not available
   */
  public static ARPACK nativeBackend() {
    try {
      return NativeARPACK.getInstance();
    } catch (Throwable t) {
      return null;
    }
  }

  /**
   * A solve for k eigenpairs, with the defaults: largest algebraic ({@link Which#LA}), machine-precision tolerance,
   * {@link #DEFAULT_MAX_ITERATIONS}, start vector from {@link #DEFAULT_SEED}, eigenvectors computed.
   *
   * @param k number of eigenpairs, &gt; 0
   * @return the request, to be refined and {@link Request#solve solved}
   */
  public static Request request(int k) {
    return new Request(k);
  }

  /** Options of one solve (a mutable builder; {@link #solve} does not change it). */
  public static final class Request {
    private final int k;
    private Which which = Which.LA;
    private double tol = 0.0;
    private int ncv = 0;
    private int maxIterations = DEFAULT_MAX_ITERATIONS;
    private long seed = DEFAULT_SEED;
    private double[] start;
    private boolean vectors = true;
    private double shift = 0.0;
    private ARPACK backend;
    private java.util.function.Consumer<KrylovBasis> basis;

    private Request(int k) {
      Checks.positive("k", k);
      this.k = k;
    }

    /**
     * Which end of the spectrum.
     *
     * @param w largest/smallest algebraic, largest magnitude or both ends
     * @return this request
     */
    public Request which(Which w) {
      Checks.notNull("which", w);
      this.which = w;
      return this;
    }

    /**
     * ARPACK's relative tolerance: a Ritz pair is accepted when ‖r‖ ≤ tol·max(|λ|, ε^(2/3)); 0 means machine
     * precision. Being relative, it is never met by a cluster of (near-)zero eigenvalues: use
     * {@link #shift(double)} with σ of the order of ‖A‖ to make it absolute on that scale.
     *
     * @param t the tolerance, finite and &gt;= 0
     * @return this request
     */
    public Request tol(double t) {
      Checks.nonNegative("tol", t);
      this.tol = t;
      return this;
    }

    /**
     * Number of Lanczos vectors (k &lt; ncv ≤ n).
     *
     * @param v the number; 0 picks min(n, max(2k + 1, 20))
     * @return this request
     */
    public Request ncv(int v) {
      if (v < 0) throw new IllegalArgumentException("ncv must be >= 0 (0 = default), got " + v);
      this.ncv = v;
      return this;
    }

    /**
     * Solve for A + σI and report its eigenvalues minus σ (same eigenvectors). Turns ARPACK's relative test into
     * one on the scale |λ + σ|, so eigenvalues at zero converge; with which = SA/LA/BE the selection is unchanged,
     * with LM it is by |λ + σ|. The dense fallback ignores the shift (it needs none).
     *
     * @param sigma the shift σ, finite
     * @return this request
     */
    public Request shift(double sigma) {
      if (!Double.isFinite(sigma)) throw new IllegalArgumentException("shift must be finite, got " + sigma);
      this.shift = sigma;
      return this;
    }

    /**
     * ARPACK's limit on implicit restarts.
     *
     * @param m the limit, &gt; 0
     * @return this request
     */
    public Request maxIterations(int m) {
      Checks.positive("maxIterations", m);
      this.maxIterations = m;
      return this;
    }

    /**
     * Seed of the uniform(−1, 1) start vector; replaces an explicit start vector.
     *
     * @param s the seed
     * @return this request
     */
    public Request seed(long s) {
      this.seed = s;
      this.start = null;
      return this;
    }

    /**
     * An explicit start vector.
     *
     * @param v the vector, length n, non-zero (copied)
     * @return this request
     */
    public Request startVector(double[] v) {
      Checks.notNull("startVector", v);
      boolean nonzero = false;
      for (double x : v) nonzero |= x != 0;
      if (!nonzero) throw new IllegalArgumentException("startVector must be non-zero");
      this.start = v.clone();
      return this;
    }

    /**
     * Whether to compute the eigenvectors.
     *
     * @param want true (the default) for eigenpairs, false for eigenvalues only
     * @return this request
     */
    public Request vectors(boolean want) {
      this.vectors = want;
      return this;
    }

    /**
     * The ARPACK back end.
     *
     * @param b the back end; null (the default) uses {@link #defaultBackend()}
     * @return this request
     */
    public Request backend(ARPACK b) {
      this.backend = b;
      return this;
    }

    /**
     * Hands the Lanczos basis of a converged solve (ARPACK's V and the trace of its T, taken before dseupd) to a
     * consumer; nothing is handed over when the solve did not converge or fell back to the dense path.
     *
     * @param sink receives the basis; null (the default) keeps none
     * @return this request
     */
    public Request basis(java.util.function.Consumer<KrylovBasis> sink) {
      this.basis = sink;
      return this;
    }

    /**
     * Runs ARPACK's symmetric driver on op (a dense eigensolver when op is too small for Lanczos).
     *
     * @param op a symmetric operator
     * @return the converged eigenpairs, ascending, with ARPACK's status
     */
    public ArpackResult solve(LinearOperator op) {
      return Arpack.solve(op, this);
    }
  }

  private static ArpackResult solve(LinearOperator op, Request q) {
    Checks.symmetricOperator(op);
    int n = op.dim();
    if (q.k > n) throw new IllegalArgumentException("k must be <= n = " + n + ", got " + q.k);
    if (q.start != null && q.start.length != n) {
      throw new IllegalArgumentException("startVector must have length n = " + n + ", got " + q.start.length);
    }
    if (q.which == Which.BE && q.k < 2) {
      throw new IllegalArgumentException("k must be >= 2 for which = BE (both ends), got " + q.k);
    }
    if (q.k >= n - 1) {
      return denseFallback(op, q, "k = " + q.k + " >= n - 1 = " + (n - 1) + ": ARPACK needs k < ncv <= n with room to restart");
    }
    int ncv = q.ncv == 0 ? Math.min(n, Math.max(2 * q.k + 1, 20)) : q.ncv;
    if (ncv <= q.k || ncv > n) {
      throw new IllegalArgumentException("ncv must satisfy k < ncv <= n (k = " + q.k + ", n = " + n + "), got " + ncv);
    }
    ARPACK arpack = q.backend != null ? q.backend : defaultBackend();
    long bytes = MemoryBudget.doubles(MemoryBudget.mul(n, ncv), 3L * n, (long) ncv * (ncv + 8), q.vectors ? MemoryBudget.mul(n, q.k) : 0, 3L * n);
    MemoryBudget.check("ARPACK workspace (n = " + n + ", ncv = " + ncv + ")", bytes, MemoryBudget.defaultBytes());

    int lworkl = ncv * (ncv + 8);
    double[] resid = new double[n];
    if (q.start != null) {
      System.arraycopy(q.start, 0, resid, 0, n);
    } else {
      SplittableRandom rnd = new SplittableRandom(q.seed);
      for (int i = 0; i < n; i++) resid[i] = 2.0 * rnd.nextDouble() - 1.0;
    }
    double[] v = new double[n * ncv];
    double[] workd = new double[3 * n];
    double[] workl = new double[lworkl];
    int[] iparam = new int[11];
    int[] ipntr = new int[11];
    iparam[0] = 1; // exact shifts
    iparam[2] = q.maxIterations;
    iparam[6] = 1; // mode 1: A x = λ x
    double[] xs = new double[n];
    double[] ys = new double[n];
    String which = q.which.name();
    intW ido = new intW(0);
    intW info = new intW(1); // 1: resid holds our start vector
    doubleW tolW = new doubleW(q.tol);
    long applications = 0;

    if (LOCK.isHeldByCurrentThread()) {
      // the lock is reentrant: without this a solve started from inside an operator would corrupt ARPACK's state
      throw new IllegalStateException("an ARPACK solve was started while another runs on this thread (from inside an "
          + "operator?): ARPACK keeps global state and cannot nest");
    }
    LOCK.lock();
    try {
      while (true) {
        arpack.dsaupd(ido, "I", n, which, q.k, tolW, resid, ncv, v, n, iparam, ipntr, workd, workl, lworkl, info);
        if (ido.val == -1 || ido.val == 1) {
          // F2j starts with ido = 1, JNI with −1: both mean y = OP·x; ipntr holds 1-based offsets.
          System.arraycopy(workd, ipntr[0] - 1, xs, 0, n);
          op.apply(xs, ys);
          applications++;
          if (q.shift != 0.0) for (int i = 0; i < n; i++) ys[i] += q.shift * xs[i];
          System.arraycopy(ys, 0, workd, ipntr[1] - 1, n);
        } else if (ido.val == 99) {
          break;
        } else {
          throw new IllegalStateException("ARPACK dsaupd asked for ido = " + ido.val + ", unexpected in mode 1");
        }
      }
      int saupdInfo = info.val;
      int nconv = iparam[4];
      int iterations = iparam[2];
      long numop = iparam[8] > 0 ? iparam[8] : applications;
      String backendName = arpack.getClass().getSimpleName();
      if (saupdInfo < 0 || saupdInfo == 2 || nconv <= 0) {
        return new ArpackResult(n, q.which, "arpack", q.k, 0, new double[0], q.vectors ? new double[0] : null,
            numop, iterations, saupdInfo, saupdMessage(saupdInfo, nconv, q.k, ncv), backendName);
      }
      if (q.basis != null && saupdInfo == 0 && nconv >= q.k) {
        // T is NCV × 2 in workl from ipntr[4]: its second column the diagonal (shifted by σ: A + σI was solved)
        double t = 0;
        for (int i = 0; i < ncv; i++) t += workl[ipntr[4] - 1 + ncv + i] - q.shift;
        q.basis.accept(new KrylovBasis(n, ncv, v.clone(), t));
      }
      double[] d = new double[q.k];
      double[] z = new double[n * q.k]; // netlib checks z's bounds even without vectors
      intW nev = new intW(q.k);
      intW einfo = new intW(0);
      arpack.dseupd(q.vectors, "A", new boolean[ncv], d, z, n, 0.0, "I", n, which, nev, tolW.val, resid, ncv, v, n,
          iparam, ipntr, workd, workl, lworkl, einfo);
      if (einfo.val != 0) {
        return new ArpackResult(n, q.which, "arpack", q.k, 0, new double[0], q.vectors ? new double[0] : null,
            numop, iterations, einfo.val, "dseupd failed with info = " + einfo.val + ": " + seupdMessage(einfo.val),
            backendName);
      }
      int m = Math.min(nconv, q.k);
      // dseupd returns the converged values in ascending order; sort defensively and keep vectors aligned.
      Integer[] order = new Integer[m];
      for (int i = 0; i < m; i++) order[i] = i;
      Arrays.sort(order, Comparator.comparingDouble(i -> d[i]));
      double[] values = new double[m];
      double[] vecs = q.vectors ? new double[n * m] : null;
      for (int j = 0; j < m; j++) {
        values[j] = d[order[j]] - q.shift;
        if (vecs != null) System.arraycopy(z, order[j] * n, vecs, j * n, n);
      }
      return new ArpackResult(n, q.which, "arpack", q.k, m, values, vecs, numop, iterations, saupdInfo,
          saupdMessage(saupdInfo, nconv, q.k, ncv), backendName);
    } finally {
      LOCK.unlock();
    }
  }

  static String saupdMessage(int info, int nconv, int k, int ncv) {
    return switch (info) {
      case 0 -> nconv >= k ? "converged: " + nconv + " of " + k + " eigenpairs"
          : "ARPACK reported success but only " + nconv + " of " + k + " converged";
      case 1 -> "maximum number of iterations reached: " + nconv + " of " + k
          + " eigenpairs converged (partial result; raise maxIterations, ncv or tol)";
      case 2 -> "no longer an informational error (ARPACK info = 2)";
      case 3 -> "no shifts could be applied during an implicit restart: " + nconv + " of " + k
          + " converged; increase ncv (now " + ncv + ")";
      case -1 -> "n must be positive";
      case -2 -> "k (nev) must be positive";
      case -3 -> "ncv must satisfy k < ncv <= n";
      case -4 -> "maxIterations must be positive";
      case -5 -> "which must be LM, SM, LA, SA or BE";
      case -6 -> "bmat must be I or G";
      case -7 -> "lworkl is not large enough";
      case -8 -> "error in LAPACK's tridiagonal eigenvalue calculation (dsteqr)";
      case -9 -> "the starting vector is zero, or the operator maps the Krylov space of the start vector to zero"
          + " (e.g. A = 0): no Lanczos vector could be built";
      case -10 -> "iparam[6] (mode) must be 1 to 5";
      case -11 -> "mode 1 is not compatible with bmat = G";
      case -12 -> "iparam[0] (shift strategy) must be 0 or 1";
      case -13 -> "k must be > 1 for which = BE";
      case -9999 -> "could not build a Lanczos factorisation: its size was " + nconv
          + "; the operator may be (numerically) rank deficient in the Krylov space of the start vector";
      default -> "ARPACK dsaupd info = " + info;
    } + (info == 0 && nconv >= k ? "" : " [info = " + info + "]");
  }

  static String seupdMessage(int info) {
    return switch (info) {
      case -14 -> "dsaupd did not find any eigenvalues to sufficient accuracy";
      case -15 -> "howmny must be A or S";
      case -16 -> "howmny = S is not implemented";
      case -17 -> "Ritz values from dseupd do not match dsaupd's (ncv too small?)";
      case -8 -> "error in LAPACK's tridiagonal eigenvalue calculation";
      case -9 -> "the starting vector is zero";
      default -> "see ARPACK's dseupd documentation";
    };
  }

  private static ArpackResult denseFallback(LinearOperator op, Request q, String reason) {
    int n = op.dim();
    long budget = MemoryBudget.defaultBytes();
    MemoryBudget.check("dense fallback (n = " + n + ")",
        MemoryBudget.doubles(MemoryBudget.mul(n, n)) + DenseEigen.bytesNeeded(n, n, q.vectors), budget);
    double[] a = DenseEigen.materialize(op, budget);
    DenseSpectrum s = DenseEigen.compute(Linalg.lapack(), a, n, 'A', 0, 0, 0, 0, q.vectors, budget);
    double[] w = s.eigenvalues();
    int k = q.k;
    int[] pick = new int[k];
    switch (q.which) {
      case LA -> { for (int j = 0; j < k; j++) pick[j] = n - k + j; }
      case SA -> { for (int j = 0; j < k; j++) pick[j] = j; }
      case BE -> {
        int low = k / 2;
        for (int j = 0; j < low; j++) pick[j] = j;
        for (int j = low; j < k; j++) pick[j] = n - (k - j);
      }
      case LM -> {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble(i -> -Math.abs(w[i])));
        for (int j = 0; j < k; j++) pick[j] = idx[j];
        Arrays.sort(pick);
      }
    }
    double[] values = new double[k];
    double[] vecs = q.vectors ? new double[n * k] : null;
    for (int j = 0; j < k; j++) {
      values[j] = w[pick[j]];
      if (vecs != null) System.arraycopy(s.eigenvectors(), pick[j] * n, vecs, j * n, n);
    }
    return new ArpackResult(n, q.which, "dense-fallback (" + reason + ")", k, k, values, vecs, n, 0, 0,
        "solved densely by LAPACK dsyevr: " + reason, Linalg.lapackName());
  }
}
