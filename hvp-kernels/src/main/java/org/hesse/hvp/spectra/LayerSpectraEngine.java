package org.hesse.hvp.spectra;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.BlockLanczos;
import org.hesse.eigen.DenseEigen;
import org.hesse.eigen.DenseSpectrum;
import org.hesse.eigen.KrylovBasis;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.ProductLog;
import org.hesse.eigen.Slq;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.eigen.SpectrumEnds;
import org.hesse.eigen.Trace;
import org.hesse.eigen.TraceEstimate;
import org.hesse.eigen.Which;
import org.hesse.io.InputException;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;

/**
 * Per-layer spectra of one curvature at fixed weights and data: the engine of {@code hesse spectrum},
 * {@code hesse analyze} and the Spark {@code spectrum}, over any {@link CurvatureSource}.
 *
 * <p>Sources: when the block's structure gives its whole spectrum (back-matching's dense layers), top, bottom and
 * trace come from it; else with {@link SpectraOptions#full}, every eigenvalue by dense LAPACK (refused beyond the
 * memory budget) and top/bottom/trace from it; otherwise top and bottom by {@link SpectrumEnds} and the trace by
 * Hutch++ on the top search's Lanczos basis ({@link Trace#hutchPlusPlusOnBasis}; on its eigenvectors, or plain
 * Hutch++, where there is none; exact, from the whole spectrum, where the ends were solved densely): dense LAPACK
 * when the block has at most {@link SpectrumEnds#DENSE_MAX_DIM} parameters (or
 * -Dhesse.spectra.denseMaxDim) and it fits the memory budget (whatever {@link CurvatureSource#denseAllowed()}: so few
 * products cost less than ARPACK's), else for the top plain ARPACK (with -Dhesse.spectra.topBlock=b an
 * early-stopping block Lanczos of block size b first, {@link BlockLanczos}, labelled "block-lanczos", ARPACK where it
 * does not converge within its product budget); then (and for the bottom) ARPACK relative to the
 * block's norm (so a zero cluster converges), restarted with more Lanczos vectors when it stops early, and abandoned
 * for the dense spectrum once it has spent the n products the dense path costs (when that fits the memory budget).
 * Where the source gives the trace from the block's structure ({@link CurvatureSource#structureTrace}: a dense
 * layer's Hessian or GGN, per sample at the layer output), that trace replaces the Hutch++ variants. The top
 * eigenpairs' residuals ‖Av − λv‖ come from the products the top search made ({@link ProductLog}) where it converged
 * before an implicit restart, else from new products. Metrics that need the whole spectrum come from the whole spectrum or from SLQ
 * ({@link SpectraOptions#density}), labelled with their source, else are absent. The eigen-solvers are called in a
 * fixed order with the options' seeds, so two sources with the same products give the same numbers.
 *
 * <p>Not thread-safe: the source's operators hold buffers. Use one engine per thread.
 */
public final class LayerSpectraEngine {
  private final CurvatureSource source;
  private final SpectraOptions o;
  private final int denseMaxDim;
  private final int topBlock;

  /**
   * System property: the block size b of an early-stopping {@link BlockLanczos} top search tried before ARPACK; 0
   * (the default) goes to ARPACK directly. b = 1 is single-vector Lanczos (17–18 products per big layer against
   * ARPACK's 21, blind to a repeated top); b ≥ 2 sees copies and then runs again with a block of k, so it returns
   * every copy among the top k (22–24 products with b = 2). Not the default: on the Fashion-MNIST case a 2-direction
   * apply did not cost enough less than two products to make up for them (docs/performance.md, fourth round).
   */
  static final String TOP_BLOCK_PROPERTY = "hesse.spectra.topBlock";

  /** The default of {@link #TOP_BLOCK_PROPERTY}: ARPACK alone. */
  static final int DEFAULT_TOP_BLOCK = 0;

  /** The block Lanczos block size from {@link #TOP_BLOCK_PROPERTY}; 0: ARPACK only. */
  static int topBlock() {
    if (System.getProperty("hesse.spectra.topLanczos") != null) {
      throw new InputException("system property hesse.spectra.topLanczos: removed; single-vector Lanczos is now -D"
          + TOP_BLOCK_PROPERTY + "=1 (a block of b: =b, ARPACK alone: =0)");
    }
    return nonNegativeIntProperty(TOP_BLOCK_PROPERTY, DEFAULT_TOP_BLOCK);
  }

  /** An integer system property ≥ 0, {@code fallback} when unset; anything else is refused in one line. */
  private static int nonNegativeIntProperty(String name, int fallback) {
    String value = System.getProperty(name);
    if (value == null) return fallback;
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= 0) return v;
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new InputException("system property " + name + ": expected an integer >= 0, got '"
        + InputException.excerpt(value) + "'");
  }

  /**
   * The block Lanczos top search's product budget: four times ARPACK's first run's Lanczos vectors plus k (measured:
   * 35–40 products with a block of 5 on a Hessian block's top 5; 50 on an MSE output layer's fourfold top, after the
   * first run's with a smaller block).
   */
  public static int blockLanczosProducts(int steps, int k) {
    return 4 * steps + k;
  }

  /**
   * Blocks whose every eigenvalue repeats by structure ({@link #repeatsByStructure}) are solved densely up to this
   * many parameters: a single start vector (ARPACK's, or Lanczos') sees a repeated eigenvalue once, so the matrix-free
   * ends miss copies (measured: ARPACK returned 3 of the 4 copies of an MSE net's top on a 164-parameter last layer).
   * The dense path costs n cheap products of a last layer plus dsyevr (2048³ flops: about a second).
   */
  static final int REPEATED_DENSE_MAX_DIM = 2048;

  /**
   * Whether layer l's block has every eigenvalue repeated: the dense output layer of an MSE net with several outputs.
   * Its Hessian and GGN block is (Σ_n ã_n ã_nᵀ) ⊗ c·I (the mean squared error's output Hessian is a multiple of I),
   * so each eigenvalue appears once per output.
   */
  static boolean repeatsByStructure(Network net, int l, CurvatureKind kind) {
    if (kind != CurvatureKind.HESSIAN && kind != CurvatureKind.GGN) return false;
    if (!"mse".equals(net.loss().name()) || !net.layer(l).affine() || net.layer(l).outputSize() < 2) return false;
    return net.firstNode(l) == net.lastNode(l) && net.node(net.lastNode(l)).output() == net.outputActivation();
  }

  /** System property overriding {@link SpectrumEnds#DENSE_MAX_DIM} (e.g. 0 forces ARPACK on every block). */
  static final String DENSE_MAX_PROPERTY = "hesse.spectra.denseMaxDim";

  /**
   * An engine over a curvature source.
   *
   * @param source  the blocks and gradient
   * @param options what to compute
   */
  public LayerSpectraEngine(CurvatureSource source, SpectraOptions options) {
    this(source, options, denseMaxDim(), topBlock());
  }

  /**
   * The largest block solved densely for top/bottom: {@link SpectrumEnds#DENSE_MAX_DIM} unless the system property
   * {@code hesse.spectra.denseMaxDim} says otherwise.
   *
   * @return the threshold in parameters
   */
  public static int denseMaxDim() {
    return nonNegativeIntProperty(DENSE_MAX_PROPERTY, SpectrumEnds.DENSE_MAX_DIM);
  }

  /** With another dense threshold (tests force the ARPACK path with 0). */
  LayerSpectraEngine(CurvatureSource source, SpectraOptions options, int denseMaxDim) {
    this(source, options, denseMaxDim, topBlock());
  }

  /** With another dense threshold and top block size (0: ARPACK only). */
  LayerSpectraEngine(CurvatureSource source, SpectraOptions options, int denseMaxDim, int topBlock) {
    if (topBlock < 0) throw new IllegalArgumentException(TOP_BLOCK_PROPERTY + " must be >= 0, got " + topBlock);
    this.source = source;
    this.o = options;
    this.denseMaxDim = denseMaxDim;
    this.topBlock = topBlock;
  }

  /**
   * {@link #layer(int, Consumer)} without phase messages.
   *
   * @param l a parametrised layer's index
   * @return the layer's spectra
   */
  public LayerSpectra layer(int l) {
    return layer(l, phase -> {});
  }

  /**
   * The spectra of layer {@code l}'s block.
   *
   * @param l      a parametrised layer's index
   * @param phases told each phase as it starts (e.g. {@code "layer 2: top 5 (ARPACK)"}), for a progress display
   * @throws NonFiniteSpectrumException when an eigenvalue or the trace is not finite
   * @throws IllegalArgumentException   when the layer has no parameters, the source lacks the curvature kind, or
   *                                    the dense spectrum is refused (memory budget, or a source without it)
   * @return the layer's spectra
   */
  public LayerSpectra layer(int l, Consumer<String> phases) {
    Network net = source.network();
    LinearOperator op = source.block(o.curvature(), l);
    int p = op.dim();

    double[] full = source.structureEigenvalues(o.curvature(), l);
    String fullSource = full != null ? "structure" : null;
    double[][] vectors = null;
    if (full == null && o.full()) {
      if (!source.denseAllowed()) {
        throw new IllegalArgumentException("full spectrum: not available from this curvature source (its products are "
            + "distributed); ask for top/bottom eigenvalues and the density instead");
      }
      phases.accept("layer " + l + ": full spectrum (dense, " + p + " parameters)");
      DenseSpectrum ds = DenseEigen.all(DenseEigen.materialize(op, MemoryBudget.current().bytes()), p, o.vectors());
      full = ds.eigenvalues();
      fullSource = "dense";
      if (o.vectors()) {
        int k = Math.min(o.top(), p);
        vectors = new double[k][];
        for (int j = 0; j < k; j++) vectors[j] = ds.eigenvector(p - 1 - j);
      }
    }
    // with the whole spectrum known exactly, SLQ would only approximate it
    SlqResult slq = null;
    if (o.density() && full == null) {
      phases.accept("layer " + l + ": density (SLQ, " + o.slqProbes() + " probes)");
      slq = Slq.run(op, Math.min(o.slqSteps(), p), o.slqProbes(), o.seed());
    }

    LayerSpectra.TraceValue trace;
    LayerSpectra.End top;
    LayerSpectra.End bottom;
    if (full != null) {
      double t = 0;
      for (double v : full) t += v;
      trace = new LayerSpectra.TraceValue(t, fullSource, null);
      top = new LayerSpectra.End(topOf(full, o.top()), null, null);
      bottom = new LayerSpectra.End(Arrays.copyOf(full, Math.min(o.bottom(), full.length)), null, null);
    } else {
      top = new LayerSpectra.End(new double[0], null, null);
      bottom = new LayerSpectra.End(new double[0], null, null);
      DenseSpectrum small = null;
      double[] topProducts = null;  // A·v of the top eigenvectors, from the residual check
      // the Lanczos basis of the plain top solve, when that converged
      AtomicReference<KrylovBasis> krylov = new AtomicReference<>();
      // n products at most DENSE_MAX_DIM: cheaper than ARPACK's, so also where products are distributed
      if (o.top() > 0 || o.bottom() > 0) {
        int denseMax = denseMaxDim > 0 && repeatsByStructure(source.network(), l, o.curvature())
            ? Math.max(denseMaxDim, REPEATED_DENSE_MAX_DIM) : denseMaxDim;
        small = SpectrumEnds.denseIfSmall(op, denseMax, MemoryBudget.current().bytes());
      }
      // a dense layer's trace from its structure: no parameter products, so no Lanczos basis to keep for it
      LayerSpectra.TraceValue structured = null;
      if (small == null) {
        structured = source.structureTrace(o.curvature(), l, o.seed());
      }
      if (small != null) {
        phases.accept("layer " + l + ": top/bottom (dense, " + p + " parameters)");
        if (o.top() > 0) top = end(op, SpectrumEnds.fromDense(small, Which.LA, o.top()));
        if (o.bottom() > 0) bottom = end(op, SpectrumEnds.fromDense(small, Which.SA, o.bottom()));
      } else if (o.top() > 0 || o.bottom() > 0) {
        double norm = Double.NaN;  // ‖H_ll‖, estimated only when an end needs the shifted search
        if (o.top() > 0) {
          // The top of a Hessian block is a few large, separated values: plain ARPACK converges there at a third of
          // the shifted search's products (measured: 62 against 178 + the norm estimate on a 4160-parameter block).
          // Only a top that does not converge (a degenerate or zero cluster) pays for the shifted, deflated search.
          // its products are kept, so that the eigenvectors' products for the residual check need no new ones
          // where the solve converged before a restart (ProductLog)
          int kTop = Math.min(o.top(), p);
          int steps = SpectrumEnds.lanczosVectors(p, kTop, o.ncv());
          boolean block = topBlock > 0 && kTop < p - 1;
          // the basis (budget + a block of columns) within a quarter of the memory budget, else fewer products
          long fits = MemoryBudget.current().bytes() / 4 / (8L * p) - Math.max(topBlock, kTop);
          int budget = (int) Math.min(Math.min(p, blockLanczosProducts(steps, kTop)), Math.max(0, fits));
          ProductLog log = productLog(op, Math.max(steps + 1, block ? budget : 0));
          LinearOperator logged = log != null ? log : op;
          ArpackResult plain = null;
          long lanczosProducts = 0;
          // ARPACK with its default 20 vectors converges such a top at the end of its first Lanczos run, far below
          // the tolerance: block Lanczos stops once the top k have converged (and with a block of k start vectors
          // finds up to k copies of a repeated top); within its product budget, else ARPACK as before
          if (block && budget > kTop) {
            phases.accept("layer " + l + ": top " + o.top() + " (block Lanczos, block " + topBlock + ")");
            ArpackResult lz = BlockLanczos.solve(logged, kTop, topBlock, o.tol(), budget, o.seed(), krylov::set);
            if (lz.complete()) plain = lz;
            else lanczosProducts = lz.applications();
          }
          if (plain == null) {
            phases.accept("layer " + l + ": top " + o.top() + " (ARPACK)");
            plain = SpectrumEnds.arpack(logged, Which.LA, kTop, Double.NaN, o.tol(), o.ncv(), o.maxIterations(),
                o.seed(), krylov::set);
            if (lanczosProducts > 0) plain = withApplications(plain, plain.applications() + lanczosProducts);
          }
          if (!plain.complete()) {
            krylov.set(null);
            phases.accept("layer " + l + ": norm (ARPACK)");
            norm = SpectrumEnds.normEstimate(op, o.seed());
            ArpackResult shifted = arpackOrDense(op, Which.LA, o.top(), norm);
            plain = withApplications(shifted, shifted.applications() + plain.applications());
          }
          int k = plain.eigenvalues().length;
          topProducts = log != null && krylov.get() != null ? log.productsInSpan(krylov.get(), plain.eigenvectors(), k) : null;
          if (topProducts == null) {
            topProducts = new double[k * p];
            if (k > 0) op.applyMany(plain.eigenvectors(), topProducts, k);
          }
          top = new LayerSpectra.End(reverse(plain.eigenvalues()), plain, reverse(plain.residuals(topProducts)));
        }
        if (o.bottom() > 0) {
          if (Double.isNaN(norm)) {
            phases.accept("layer " + l + ": norm (ARPACK)");
            norm = SpectrumEnds.normEstimate(op, o.seed());
          }
          phases.accept("layer " + l + ": bottom " + o.bottom() + " (ARPACK)");
          bottom = end(op, arpackOrDense(op, Which.SA, o.bottom(), norm));
        }
      }
      if (small != null) {
        // the whole spectrum is at hand: the trace is exact
        double t = 0;
        for (double v : small.eigenvalues()) t += v;
        trace = new LayerSpectra.TraceValue(t, "dense", null);
      } else if (structured != null) {
        trace = structured;
      } else if (krylov.get() != null) {
        // Hutch++ whose Q is the top search's Lanczos basis: tr(QᵀAQ) from its tridiagonal T without products,
        // so only Hutch++'s Hutchinson probes cost products
        phases.accept("layer " + l + ": trace (Hutch++ on the top search's Lanczos basis)");
        TraceEstimate te = Trace.hutchPlusPlusOnBasis(op, krylov.get(), hutchinsonProbes(p), o.seed());
        trace = new LayerSpectra.TraceValue(te.estimate(), te.method(), te);
      } else if (top.arpack() != null && top.arpack().complete() && top.arpack().eigenvectors() != null) {
        // Hutch++ whose Q starts with the converged top eigenvectors: their products came with the residual check,
        // so the sketch shrinks by as many vectors and the estimate costs 2k products fewer
        phases.accept("layer " + l + ": trace (Hutch++ on the top eigenvectors)");
        ArpackResult t = top.arpack();
        TraceEstimate te = Trace.hutchPlusPlus(op, hutchBudget(p), o.seed(), t.eigenvectors(), topProducts,
            t.eigenvalues().length);
        trace = new LayerSpectra.TraceValue(te.estimate(), te.method(), te);
      } else {
        phases.accept("layer " + l + ": trace (Hutch++)");
        TraceEstimate te = Trace.hutchPlusPlus(op, hutchBudget(p), o.seed());
        trace = new LayerSpectra.TraceValue(te.estimate(), te.method(), te);
      }
      if (top.arpack() != null) {
        int k = top.values().length;
        vectors = new double[k][];
        for (int j = 0; j < k; j++) vectors[j] = top.arpack().eigenvector(k - 1 - j);
      }
    }
    double[] tv = top.values();
    double[] bv = bottom.values();
    // before the metrics, which refuse a non-finite spectrum as bad input
    requireFinite("layer " + l + " eigenvalues", full);
    requireFinite("layer " + l + " top eigenvalues", tv);
    requireFinite("layer " + l + " bottom eigenvalues", bv);
    if (!Double.isFinite(trace.value())) {
      throw new NonFiniteSpectrumException("numerical failure: layer " + l + " trace is " + trace.value() + " (not finite)");
    }
    SpectralMetrics m = full != null ? SpectralMetrics.fromSpectrum(full) : slq != null ? SpectralMetrics.fromSlq(slq) : null;
    String mSource = m == null ? null : full != null ? fullSource : "slq";
    LayerSpectra.Extreme max = full != null ? new LayerSpectra.Extreme(full[full.length - 1], fullSource)
        : tv.length > 0 ? new LayerSpectra.Extreme(tv[0], sourceOf(top.arpack()))
        : m != null ? new LayerSpectra.Extreme(m.lambdaMax(), "slq") : new LayerSpectra.Extreme(Double.NaN, null);
    LayerSpectra.Extreme min = full != null ? new LayerSpectra.Extreme(full[0], fullSource)
        : bv.length > 0 ? new LayerSpectra.Extreme(bv[0], sourceOf(bottom.arpack()))
        : m != null ? new LayerSpectra.Extreme(m.lambdaMin(), "slq") : new LayerSpectra.Extreme(Double.NaN, null);
    LayerSpectra.Density density = slq == null ? null
        : new LayerSpectra.Density(slq, slq.density(o.densityPoints(), slq.defaultSigma()));
    Double overlap = vectors == null ? null : gradientOverlap(net, l, vectors);

    return new LayerSpectra(net.layerName(l), net.layer(l).type(), p, trace, top, bottom, full, fullSource, o.full(),
        max, min, m, mSource, density, vectors, overlap);
  }

  /** A non-finite eigenvalue or trace is a numerical failure, never a missing value. */
  private static void requireFinite(String what, double[] values) {
    if (values == null) return;
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new NonFiniteSpectrumException("numerical failure: " + what + "[" + i + "] is " + values[i] + " (not finite)");
      }
    }
  }

  /** "dense" (LAPACK by choice, or ARPACK's own dense fallback for tiny blocks), "block-lanczos" or "arpack". */
  private static String sourceOf(ArpackResult a) {
    return a.method().startsWith("dense") ? "dense" : a.method().equals(BlockLanczos.METHOD) ? BlockLanczos.METHOD : "arpack";
  }

  /** One end as reported: top descending, bottom ascending, with the solver's residuals. */
  private static LayerSpectra.End end(LinearOperator op, ArpackResult a) {
    // values and residuals as reported: the top descending, the bottom ascending
    boolean descending = a.which() == Which.LA;
    double[] r = a.residuals(op);
    return new LayerSpectra.End(descending ? reverse(a.eigenvalues()) : a.eigenvalues(), a, descending ? reverse(r) : r);
  }

  /**
   * A log of the top search's products ({@code capacity} of them), or null when they would take more than an eighth of
   * the memory budget or one Java array (the residual check then makes new products).
   */
  private static ProductLog productLog(LinearOperator op, int capacity) {
    long values = (long) op.dim() * capacity;
    return 8L * values <= MemoryBudget.current().bytes() / 8 && values <= ProductLog.MAX_VALUES
        ? new ProductLog(op, capacity) : null;
  }

  /** The Hutchinson probes of Hutch++'s budget (the rest goes to its sketch and AQ): budget − 2⌊budget/3⌋. */
  private int hutchinsonProbes(int p) {
    int b = hutchBudget(p);
    return Math.max(1, b - 2 * (b / 3));
  }

  /** Hutch++'s budget for a block of p parameters: the option's, at most 3·⌊p/3⌋. */
  private int hutchBudget(int p) {
    return Math.min(o.hutchBudget(), 3 * Math.max(1, p / 3));
  }

  /** r with the products of every search that led to it counted. */
  private static ArpackResult withApplications(ArpackResult r, long applications) {
    return new ArpackResult(r.n(), r.which(), r.method(), r.requested(), r.converged(), r.eigenvalues(), r.eigenvectors(),
        applications, r.iterations(), r.info(), r.message(), r.backend());
  }

  /** ARPACK at one end, relative to the block's norm (see {@link SpectrumEnds}); a NaN norm: plain, unshifted. */
  private ArpackResult arpack(LinearOperator op, Which which, int k, double norm) {
    return SpectrumEnds.arpack(op, which, Math.min(k, op.dim()), norm, o.tol(), o.ncv(), o.maxIterations(), o.seed());
  }

  /**
   * The shifted search, abandoned for the dense spectrum once it has cost as many products as the dense path (see
   * {@link SpectrumEnds#arpackOrDense}), when the block fits the memory budget densely.
   */
  private ArpackResult arpackOrDense(LinearOperator op, Which which, int k, double norm) {
    return SpectrumEnds.arpackOrDense(op, which, Math.min(k, op.dim()), norm, o.tol(), o.ncv(), o.maxIterations(),
        o.seed(), MemoryBudget.current().bytes());
  }

  /** ‖Vᵀ g_l‖² / ‖g_l‖²: the share of layer l's gradient in the span of the given orthonormal vectors. */
  private double gradientOverlap(Network net, int l, double[][] vectors) {
    double[] g = Arrays.copyOfRange(source.gradient(), net.offset(l), net.offset(l) + net.blockSize(l));
    double gg = 0;
    for (double v : g) gg += v * v;
    if (gg == 0) return Double.NaN;
    double s = 0;
    for (double[] v : vectors) {
      double d = 0;
      for (int i = 0; i < g.length; i++) d += v[i] * g[i];
      s += d * d;
    }
    return s / gg;
  }

  private static double[] topOf(double[] ascending, int k) {
    int n = Math.min(k, ascending.length);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) out[i] = ascending[ascending.length - 1 - i];
    return out;
  }

  private static double[] reverse(double[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[a.length - 1 - i];
    return out;
  }
}
