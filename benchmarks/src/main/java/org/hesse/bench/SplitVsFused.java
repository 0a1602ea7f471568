package org.hesse.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.hvp.rules.Conv2dSecondOrder;
import org.hesse.hvp.rules.Primal;
import org.hesse.hvp.rules.Scratch;
import org.hesse.hvp.rules.SecondOrderRule;
import org.hesse.hvp.rules.SecondOrderRules;
import org.hesse.hvp.rules.View;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Flatten;
import org.hesse.nn.Init;
import org.hesse.nn.Layer;
import org.hesse.nn.Network;

/**
 * Whether the conv rule's fused backward tangent pays: the full Hessian- and GGN-vector product of a small conv net
 * with the registered rule (fused {@code backwardTangent}) against the same rule run as BackPACK's split
 * ({@code vjpTangent}, then {@code residualTerms}), interleaved in one JVM (alternating which goes first), timed in
 * the calling thread's CPU time (run with {@code OPENBLAS_NUM_THREADS=1} so that every GEMM is on that thread; on a
 * shared machine wall time drifts more than the effect). Prints the median per-round ratio split / fused.
 *
 * <p>Usage: {@code OPENBLAS_NUM_THREADS=1 java --add-modules jdk.incubator.vector -cp hesse-benchmarks.jar
 * org.hesse.bench.SplitVsFused [rounds]} (default 81).
 */
public final class SplitVsFused {
  private SplitVsFused() {}

  /** The conv rule with the interface's backwardTangent (its two parts) instead of its fused override. */
  static final class SplitConv implements SecondOrderRule {
    final Conv2dSecondOrder rule = new Conv2dSecondOrder();

    @Override public Class<? extends Layer> layerType() { return rule.layerType(); }
    @Override public Object prepare(Primal p, Object previous) { return rule.prepare(p, previous); }
    @Override public void jvp(Primal p, double[][] dxs, View v, double[] dz, int k, Scratch s) { rule.jvp(p, dxs, v, dz, k, s); }

    @Override
    public void vjpTangent(Primal p, double[] dg, double[][] dgIns, View hv, int k, Scratch s) {
      rule.vjpTangent(p, dg, dgIns, hv, k, s);
    }

    @Override
    public void residualTerms(Primal p, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch s) {
      rule.residualTerms(p, dxs, v, dgIns, hv, k, s);
    }
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? PeerCompare.positive("rounds", args[0]) : 81;
    int n = 64;
    int[] img = {3, 16, 16};
    int[] feat = {16, 16, 16};
    Network net = Network.builder(3 * 16 * 16).inputShape(img)
        .add(new Conv2d(img, 16, 3, 1, 1)).add(new BatchNorm(feat)).activation("relu")
        .add(new Conv2d(feat, 16, 3, 1, 1)).add(new BatchNorm(feat)).activation("relu")
        .add(new Flatten(feat)).dense(10).build("cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 1);
    SplittableRandom rng = new SplittableRandom(2);
    double[] x = new double[n * net.inputSize()];
    for (int i = 0; i < x.length; i++) x[i] = rng.nextDouble() * 2 - 1;
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = i % 10;
    double[] v = new double[net.paramCount()];
    for (int i = 0; i < v.length; i++) v[i] = rng.nextDouble() * 2 - 1;
    Curvature fused = Curvature.of(net, theta, x, y, n);
    SecondOrderRule registered = SecondOrderRules.of(net.layer(0));
    SecondOrderRules.register(new SplitConv());
    Curvature split;
    try {
      split = Curvature.of(net, theta, x, y, n);  // rules are resolved here
    } finally {
      SecondOrderRules.register(registered);
    }
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    System.out.println("conv net [3,16,16] conv16-BN-relu-conv16-BN-relu-dense10, batch " + n + ", " + rounds + " rounds");
    for (Curvature.Kind kind : Curvature.Kind.values()) {
      CurvatureOperator s = split.full(kind);
      CurvatureOperator f = fused.full(kind);
      double[] os = new double[v.length];
      double[] of = new double[v.length];
      for (int w = 0; w < 5; w++) {
        s.apply(v, os);
        f.apply(v, of);
      }
      double[] ratio = new double[rounds];
      double[] ts = new double[rounds];
      double[] tf = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < 2; i++) {
          boolean runSplit = (r + i) % 2 == 0;
          long t0 = cpu.getCurrentThreadCpuTime();
          (runSplit ? s : f).apply(v, runSplit ? os : of);
          long t = cpu.getCurrentThreadCpuTime() - t0;
          if (runSplit) ts[r] = t; else tf[r] = t;
        }
        ratio[r] = ts[r] / tf[r];
      }
      Arrays.sort(ratio);
      Arrays.sort(ts);
      Arrays.sort(tf);
      System.out.printf(Locale.ROOT, "%s: split %.2f ms, fused %.2f ms (median thread CPU), split/fused median %.3f"
          + " (quartiles %.3f, %.3f)%n", kind.id, ts[rounds / 2] * 1e-6, tf[rounds / 2] * 1e-6, ratio[rounds / 2],
          ratio[rounds / 4], ratio[3 * rounds / 4]);
    }
  }
}
