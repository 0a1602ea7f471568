package org.hesse.hvp.interlayer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hesse.eigen.Probes;
import org.hesse.hvp.curvature.ActivationSpace;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.hvp.interlayer.BlockNorms.Block;
import org.hesse.hvp.interlayer.BlockNorms.Estimate;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.runtime.MemoryBudget;

/**
 * Inter-layer curvature (arXiv 2604.11639) between pairs of parametrised layers v &lt; w, from the off-diagonal
 * parameter blocks {@code H_vw = ∂²L/∂θ_v∂θ_w} (and the GGN's, tensor part {@code H^T = H − GGN}):
 * resonance {@code R = ‖H_vw‖_F}, coupling {@code C = R / √(‖H_vv‖_F ‖H_ww‖_F)}, {@code ‖H_vw‖_2}, stable rank
 * {@code ‖H_vw‖_F² / ‖H_vw‖_2²}, GN-Gap {@code ‖H^T_vw‖_F / ‖H^GN_vw‖_F}; and for the whole model
 * {@code Φ = 1 − Σ_v ‖H_vv‖_F² / ‖H‖_F²}, the share of curvature (in Frobenius mass) a block-diagonal
 * preconditioner discards.
 *
 * <p>A block is assembled densely (exact: Frobenius norm and singular values by LAPACK) when it fits the memory
 * budget and the stochastic path is not forced; otherwise ‖·‖_F² comes from Hutchinson on AᵀA
 * ({@link BlockNorms#frobeniusSquared}) and ‖·‖_2 from power iteration on AᵀA, whose adjoint product is the
 * transposed block {@code H_wv}. Standard errors of derived quantities use the delta method with the estimates
 * treated as independent (each norm uses its own probes: seed + a per-estimate index).
 */
public final class InterLayer {
  /** Settings. */
  public static final class Options {
    /** Force the stochastic path even where the blocks fit. */
    public boolean stochastic;
    public int probes = 64;
    public Probes.Distribution distribution = Probes.Distribution.RADEMACHER;
    public int powerIterations = 200;
    public double powerTol = 1e-10;
    public long seed;
    /** Also the activation-space blocks of each pair (exact; needs per-sample curvature). */
    public boolean activations = true;
  }

  /** One pair's parameter-space metrics (standard errors 0 on the exact path). */
  public record PairMetrics(int v, int w, String nameV, String nameW, int rows, int cols, int distance, String path,
                            Estimate resonance, Estimate ggnResonance, Estimate tensorResonance, Estimate coupling,
                            double spectralNorm, int powerIterations, Estimate stableRank, Estimate gnGap,
                            double[] singularValues, ActivationMetrics activation) {}

  /** The activation-space metrics of the layers' outputs, or why they were not computed. */
  public record ActivationMetrics(double resonance, double coupling, double gnGap, String skipped) {}

  /** Everything: the pairs, Φ and mean coupling per node distance. */
  public record Result(List<PairMetrics> pairs, Estimate phi, String phiPath, Map<Integer, Double> meanCouplingByDistance) {}

  private final Curvature c;
  private final Network net;
  private final Options o;
  private final Map<Integer, Estimate> diagonal = new HashMap<>();
  private final Map<Integer, String> diagonalPath = new HashMap<>();
  private int estimates;  // per-estimate seed offset

  public InterLayer(Curvature c, Options o) {
    this.c = c;
    this.net = c.network();
    this.o = o;
  }

  /** Every pair v &lt; w of parametrised layers. */
  public List<int[]> allPairs() {
    List<Integer> ls = net.parametrisedLayers();
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) for (int j = i + 1; j < ls.size(); j++) out.add(new int[] {ls.get(i), ls.get(j)});
    return out;
  }

  public Result compute(List<int[]> pairs) {
    List<PairMetrics> out = new ArrayList<>();
    TreeMap<Integer, double[]> byDistance = new TreeMap<>();
    for (int[] p : pairs) {
      PairMetrics m = pair(p[0], p[1]);
      out.add(m);
      double[] acc = byDistance.computeIfAbsent(m.distance(), d -> new double[2]);
      acc[0] += m.coupling().value();
      acc[1]++;
    }
    Map<Integer, Double> mean = new TreeMap<>();
    byDistance.forEach((d, acc) -> mean.put(d, acc[0] / acc[1]));
    double sum = 0;
    double sumVar = 0;
    boolean stochastic = false;
    for (int l : net.parametrisedLayers()) {
      Estimate f = diagonalSquared(l);
      sum += f.value();
      sumVar += f.standardError() * f.standardError();
      stochastic |= "stochastic".equals(diagonalPath.get(l));
    }
    CurvatureOperator full = c.full(Kind.HESSIAN);
    Estimate total;
    if (exact(full.rows(), full.cols())) {
      total = Estimate.exact(BlockNorms.frobeniusSquared(BlockNorms.dense(block(full, full))));
    } else {
      total = BlockNorms.frobeniusSquared(block(full, full), o.distribution, o.probes, nextSeed());
      stochastic = true;
    }
    double ratio = sum / total.value();
    double rel2 = sq(Math.sqrt(sumVar) / sum) + sq(total.standardError() / total.value());
    Estimate phi = new Estimate(1 - ratio, Math.abs(ratio) * Math.sqrt(rel2));
    return new Result(out, phi, stochastic ? "stochastic" : "exact", mean);
  }

  /** The metrics of the pair (v, w), v ≠ w parametrised layers. */
  public PairMetrics pair(int v, int w) {
    if (v == w) throw new IllegalArgumentException("pair: expected two different layers, got " + v + ":" + w);
    CurvatureOperator h = c.block(Kind.HESSIAN, v, w);
    CurvatureOperator hT = c.block(Kind.HESSIAN, w, v);
    CurvatureOperator g = c.block(Kind.GGN, v, w);
    CurvatureOperator gT = c.block(Kind.GGN, w, v);
    Block hb = block(h, hT);
    Block gb = block(g, gT);
    Block tb = difference(hb, gb);
    int rows = h.rows();
    int cols = h.cols();
    Estimate r2;
    Estimate g2;
    Estimate t2;
    double spectral;
    int iterations = 0;
    double[] sv = null;
    boolean isExact = exact(rows, cols);
    if (isExact) {
      double[] hd = BlockNorms.dense(hb);
      double[] gd = BlockNorms.dense(gb);
      double[] td = new double[hd.length];
      for (int i = 0; i < hd.length; i++) td[i] = hd[i] - gd[i];
      r2 = Estimate.exact(BlockNorms.frobeniusSquared(hd));
      g2 = Estimate.exact(BlockNorms.frobeniusSquared(gd));
      t2 = Estimate.exact(BlockNorms.frobeniusSquared(td));
      sv = BlockNorms.singularValues(hd, rows, cols);
      spectral = sv.length == 0 ? 0 : sv[0];
    } else {
      r2 = BlockNorms.frobeniusSquared(hb, o.distribution, o.probes, nextSeed());
      g2 = BlockNorms.frobeniusSquared(gb, o.distribution, o.probes, nextSeed());
      t2 = BlockNorms.frobeniusSquared(tb, o.distribution, o.probes, nextSeed());
      BlockNorms.PowerResult pr = BlockNorms.spectralNorm(hb, o.powerIterations, o.powerTol, nextSeed());
      spectral = pr.norm();
      iterations = pr.iterations();
    }
    Estimate dv = diagonalSquared(v);
    Estimate dw = diagonalSquared(w);
    boolean stochastic = !isExact || "stochastic".equals(diagonalPath.get(v)) || "stochastic".equals(diagonalPath.get(w));
    // C = (R²)^{1/2} (‖H_vv‖_F²)^{-1/4} (‖H_ww‖_F²)^{-1/4}: relative errors add in quadrature with those powers
    double coupling = Math.sqrt(r2.value()) / Math.pow(dv.value() * dw.value(), 0.25);
    double couplingSe = coupling * Math.sqrt(sq(0.5 * rel(r2)) + sq(0.25 * rel(dv)) + sq(0.25 * rel(dw)));
    double gap = Math.sqrt(t2.value()) / (Math.sqrt(g2.value()) + ActivationSpace.GN_GAP_EPSILON);
    double gapSe = gap * Math.sqrt(sq(0.5 * rel(t2)) + sq(0.5 * rel(g2)));
    double s2 = spectral * spectral;
    Estimate stable = s2 == 0 ? Estimate.exact(0) : new Estimate(r2.value() / s2, r2.standardError() / s2);
    return new PairMetrics(v, w, net.layerName(v), net.layerName(w), rows, cols, distance(v, w),
        stochastic ? "stochastic" : "exact", root(r2), root(g2), root(t2), new Estimate(coupling, couplingSe),
        spectral, iterations, stable, new Estimate(gap, gapSe), sv, o.activations ? activation(v, w) : null);
  }

  /** ‖H_vv‖_F² of layer l (cached). */
  Estimate diagonalSquared(int l) {
    Estimate e = diagonal.get(l);
    if (e != null) return e;
    CurvatureOperator op = c.block(Kind.HESSIAN, l);
    Block b = block(op, op);
    if (exact(op.rows(), op.cols())) {
      e = Estimate.exact(BlockNorms.frobeniusSquared(BlockNorms.dense(b)));
      diagonalPath.put(l, "exact");
    } else {
      e = BlockNorms.frobeniusSquared(b, o.distribution, o.probes, nextSeed());
      diagonalPath.put(l, "stochastic");
    }
    diagonal.put(l, e);
    return e;
  }

  /** The activation-space R, C and GN-Gap of the outputs of layers v and w (exact), or why not. */
  ActivationMetrics activation(int v, int w) {
    int a = Math.min(v, w);
    int b = Math.max(v, w);
    if (net.batchCoupled() && c.mode() != Mode.EVAL) {
      return new ActivationMetrics(Double.NaN, Double.NaN, Double.NaN,
          "batch norm with batch statistics couples the samples (use eval mode)");
    }
    long wa = net.width(a + 1);
    long wb = net.width(b + 1);
    if (!MemoryBudget.current().fits(8L * 3 * (wa * wb + wa * wa + wb * wb))) {
      return new ActivationMetrics(Double.NaN, Double.NaN, Double.NaN, "activation blocks exceed the memory budget");
    }
    ActivationSpace as = new ActivationSpace(c);
    ActivationSpace.Blocks vw = as.blocks(a, b);
    double r = Math.sqrt(BlockNorms.frobeniusSquared(vw.hessian));
    double fa = Math.sqrt(BlockNorms.frobeniusSquared(as.block(Kind.HESSIAN, a, a)));
    double fb = Math.sqrt(BlockNorms.frobeniusSquared(as.block(Kind.HESSIAN, b, b)));
    return new ActivationMetrics(r, r / Math.sqrt(fa * fb), vw.gnGap(), null);
  }

  /**
   * Node distance of layers v and w: the fewest edges between any node of one and any node of the other in the
   * undirected graph whose edges join a node to the nodes producing its inputs.
   */
  public int distance(int v, int w) {
    int n = net.nodeCount();
    List<List<Integer>> adj = new ArrayList<>();
    for (int j = 0; j < n; j++) adj.add(new ArrayList<>());
    for (Node node : net.nodes()) {
      for (int in : node.inputs()) {
        if (in >= 1) {  // activation in is the output of node in − 1; 0 is the network input
          adj.get(node.index).add(in - 1);
          adj.get(in - 1).add(node.index);
        }
      }
    }
    int[] dist = new int[n];
    Arrays.fill(dist, -1);
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int j = net.firstNode(v); j <= net.lastNode(v); j++) {
      dist[j] = 0;
      queue.add(j);
    }
    while (!queue.isEmpty()) {
      int j = queue.poll();
      if (j >= net.firstNode(w) && j <= net.lastNode(w)) return dist[j];
      for (int k : adj.get(j)) {
        if (dist[k] < 0) {
          dist[k] = dist[j] + 1;
          queue.add(k);
        }
      }
    }
    return -1;
  }

  private boolean exact(long rows, long cols) {
    // the dense block plus one pass's directions and products
    long k = Math.min(cols, BlockNorms.DIRECTIONS_PER_PASS);
    return !o.stochastic && MemoryBudget.current().fits(8L * (3 * rows * cols + k * (rows + cols)));
  }

  private long nextSeed() {
    return o.seed + 1_000_003L * (estimates++);
  }

  static Block block(CurvatureOperator a, CurvatureOperator aT) {
    return new Block() {
      @Override public int rows() { return a.rows(); }

      @Override public int cols() { return a.cols(); }

      @Override public void apply(double[] x, double[] y, int k) { a.applyMany(x, y, k); }

      @Override public void applyTranspose(double[] y, double[] x, int k) { aT.applyMany(y, x, k); }
    };
  }

  /** A − B for blocks of one shape. */
  static Block difference(Block a, Block b) {
    return new Block() {
      private double[] tmp = new double[0];

      @Override public int rows() { return a.rows(); }

      @Override public int cols() { return a.cols(); }

      @Override public void apply(double[] x, double[] y, int k) {
        if (tmp.length != k * a.rows()) tmp = new double[k * a.rows()];
        a.apply(x, y, k);
        b.apply(x, tmp, k);
        for (int i = 0; i < k * a.rows(); i++) y[i] -= tmp[i];
      }

      @Override public void applyTranspose(double[] y, double[] x, int k) {
        double[] t = new double[k * a.cols()];
        a.applyTranspose(y, x, k);
        b.applyTranspose(y, t, k);
        for (int i = 0; i < k * a.cols(); i++) x[i] -= t[i];
      }
    };
  }

  private static Estimate root(Estimate sq) {
    double r = Math.sqrt(sq.value());
    return new Estimate(r, r == 0 ? 0 : sq.standardError() / (2 * r));
  }

  private static double rel(Estimate e) {
    return e.value() == 0 ? 0 : e.standardError() / e.value();
  }

  private static double sq(double x) {
    return x * x;
  }
}
