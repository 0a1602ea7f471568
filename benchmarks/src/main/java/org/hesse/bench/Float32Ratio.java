package org.hesse.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.Float32Curvature;
import org.hesse.linalg.Linalg;
import org.hesse.nn.Workspace32;
import org.hesse.precision.Precision;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.hesse.simd.KernelProvider;

/**
 * float32 against float64 in the same JVM (issue 13): gradient, HVP from (θ, batch, v) (update then apply, as
 * PeerCompare's headline) and the cached HVP, on an MLP 784-512-512-10 (tanh by default, cross-entropy), batch 256, random
 * data. Rounds alternate the two precisions operation by operation; the report gives each side's median and the
 * median of the per-round ratios f32/f64, and the products' relative difference.
 *
 * <p>Usage: {@code Float32Ratio [rounds [batch [activation]]]} (default 30 rounds, batch 256, tanh).
 */
public final class Float32Ratio {
  private Float32Ratio() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    String act = args.length > 2 ? args[2] : "tanh";
    Network net = Network.builder(784).dense(512).activation(act).dense(512).activation(act).dense(10)
        .build("cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 1);
    SplittableRandom r = new SplittableRandom(2);
    double[] x = new double[batch * 784];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    double[] y = new double[batch];
    for (int i = 0; i < batch; i++) y[i] = r.nextInt(10);
    double[] v = new double[net.paramCount()];
    for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();

    Workspace ws = net.newWorkspace(batch);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    double[] g64 = new double[net.paramCount()];
    Workspace32 ws32 = net.newWorkspace32(batch);
    for (int i = 0; i < x.length; i++) ws32.input()[i] = (float) x[i];
    float[] theta32 = Precision.round(theta, null);
    float[] g32 = new float[net.paramCount()];
    Curvature c64 = Curvature.of(net, theta, x, y, batch);
    Float32Curvature c32 = Float32Curvature.of(net, theta, x, y, batch);
    LinearOperator h64 = c64.full(Kind.HESSIAN);
    LinearOperator h32 = c32.full(Kind.HESSIAN);
    double[] hv64 = new double[v.length];
    double[] hv32 = new double[v.length];

    Runnable[][] ops = {
        {() -> {
          Arrays.fill(g64, 0.0);
          net.lossAndGradient(theta, ws, y, batch, 1.0 / batch, g64);
        }, () -> {
          Arrays.fill(g32, 0f);
          Precision.round(theta, theta32);
          net.lossAndGradient(theta32, ws32, y, batch, 1.0 / batch, g32);
        }},
        {() -> {
          c64.update(theta);
          h64.apply(v, hv64);
        }, () -> {
          c32.update(theta);
          h32.apply(v, hv32);
        }},
        {() -> h64.apply(v, hv64), () -> h32.apply(v, hv32)},
    };
    String[] names = {"gradient", "hvp (update + apply)", "hvp (cached apply)"};
    for (int w = 0; w < 5; w++) for (Runnable[] op : ops) for (Runnable p : op) p.run();
    double[][][] ms = new double[ops.length][2][rounds];
    double[][] ratio = new double[ops.length][rounds];
    for (int k = 0; k < rounds; k++) {
      for (int i = 0; i < ops.length; i++) {
        for (int s = 0; s < 2; s++) {
          int side = (k + s) % 2;  // alternate which precision goes first
          long t0 = System.nanoTime();
          ops[i][side].run();
          ms[i][side][k] = (System.nanoTime() - t0) * 1e-6;
        }
        ratio[i][k] = ms[i][1][k] / ms[i][0][k];
      }
    }
    double d = 0;
    double n = 0;
    for (int i = 0; i < v.length; i++) {
      d += (hv32[i] - hv64[i]) * (hv32[i] - hv64[i]);
      n += hv64[i] * hv64[i];
    }
    System.out.printf(Locale.ROOT, "MLP 784-512-512-10 %s, batch %d, %d rounds; BLAS %s, kernels %s%n", act, batch, rounds,
        Linalg.blasName(), KernelProvider.get().name());
    System.out.printf(Locale.ROOT, "  %-22s %10s %10s %14s%n", "operation", "f64 ms", "f32 ms", "f32/f64 (median)");
    for (int i = 0; i < ops.length; i++) {
      System.out.printf(Locale.ROOT, "  %-22s %10.2f %10.2f %13.2fx%n", names[i], PeerCompare.median(ms[i][0]),
          PeerCompare.median(ms[i][1]), PeerCompare.median(ratio[i]));
    }
    System.out.printf(Locale.ROOT, "  hvp relative difference f32 vs f64: %.2e%n", Math.sqrt(d / n));
  }
}
