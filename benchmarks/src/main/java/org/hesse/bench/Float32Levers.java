package org.hesse.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.Float32Curvature;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.precision.Precision;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 levers of issue 13, each old against new in one JVM, alternating call by call (which goes first
 * alternates too), on compare-pytorch.sh's case (MLP 784-512-512-10 tanh, batch 256, cross-entropy, random data):
 * <ul>
 *   <li>tanh forward on 256 × 512 floats: float lanes (new) against the double exp family on widened floats, rounded
 *   (the old route, rebuilt here from the double kernel);</li>
 *   <li>tanh' backward on 256 × 512 floats ({@code (1 − a²)·g}): the vector outputTangent (new) against the scalar loop
 *   with double arithmetic that ActivationLayer's float twin ran (old);</li>
 *   <li>the tanh tangent and residual term on 256 × 512 floats (outputTangent, outputCurvature, as the HVP calls
 *   them): float lanes (new) against the previous kernels, double operations on widened lanes rounded once (copied
 *   below as they were);</li>
 *   <li>the HVP from (θ, v) (update then apply) and the cached apply on {@link Float32Curvature}: float θ, v and Hv
 *   (new) against the double interface (old: θ and v rounded, Hv widened inside).</li>
 * </ul>
 * Prints each side's median and the median of the per-round ratios new/old. Usage: {@code Float32Levers [rounds]}.
 */
public final class Float32Levers {
  private Float32Levers() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int batch = 256;
    Kernels k = KernelProvider.get();
    SplittableRandom r = new SplittableRandom(3);
    int n = batch * 512;
    float[] pre = new float[n];
    for (int i = 0; i < n; i++) pre[i] = (float) (2 * r.nextGaussian());
    float[] out = new float[n];
    double[] wd = new double[n];
    double[] td = new double[n];
    float[] a = new float[n];
    k.activation(Activation.TANH, pre, 0, a, 0, n);
    float[] g = new float[n];
    for (int i = 0; i < n; i++) g[i] = (float) r.nextGaussian();

    Network net = Network.builder(784).dense(512).activation("tanh").dense(512).activation("tanh").dense(10)
        .build("cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 1);
    double[] x = new double[batch * 784];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    double[] y = new double[batch];
    for (int i = 0; i < batch; i++) y[i] = r.nextInt(10);
    double[] v = new double[net.paramCount()];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();  // float values: both sides see the same v
    float[] thetaF = Precision.round(theta, null);
    double[] thetaW = new double[theta.length];
    for (int i = 0; i < theta.length; i++) thetaW[i] = thetaF[i];
    float[] vF = Precision.round(v, null);
    Float32Curvature c = Float32Curvature.of(net, thetaW, x, y, batch);
    Float32Curvature.FloatOperator h = c.full(Kind.HESSIAN);
    double[] hv = new double[v.length];
    float[] hvF = new float[v.length];

    Runnable[][] ops = {
        {() -> {
          for (int i = 0; i < n; i++) wd[i] = pre[i];
          k.activation(Activation.TANH, wd, 0, td, 0, n);
          for (int i = 0; i < n; i++) out[i] = (float) td[i];
        }, () -> k.activation(Activation.TANH, pre, 0, out, 0, n)},
        {() -> {
          for (int i = 0; i < n; i++) out[i] = (float) ((1.0 - a[i] * a[i]) * g[i]);
        }, () -> k.outputTangent(Activation.TANH, a, 0, g, 0, out, 0, n)},
        {() -> {
          oldTangent(a, g, out, n);
          oldCurvature(a, g, pre, out, n);
        }, () -> {
          k.outputTangent(Activation.TANH, a, 0, g, 0, out, 0, n);
          k.outputCurvature(Activation.TANH, a, 0, g, 0, pre, 0, out, 0, n);
        }},
        {() -> {
          c.update(thetaW);
          h.apply(v, hv);
        }, () -> {
          c.update(thetaF);
          h.apply(vF, hvF);
        }},
        {() -> h.apply(v, hv), () -> h.apply(vF, hvF)},
    };
    String[] names = {"tanh 256x512", "tanh' backward 256x512", "tanh tangent + residual", "hvp (update + apply)", "hvp (cached apply)"};
    for (int w = 0; w < 20; w++) for (Runnable[] op : ops) for (Runnable p : op) p.run();
    double[][][] ms = new double[ops.length][2][rounds];
    double[][] ratio = new double[ops.length][rounds];
    for (int q = 0; q < rounds; q++) {
      for (int i = 0; i < ops.length; i++) {
        for (int s = 0; s < 2; s++) {
          int side = (q + s) % 2;
          long t0 = System.nanoTime();
          ops[i][side].run();
          ms[i][side][q] = (System.nanoTime() - t0) * 1e-6;
        }
        ratio[i][q] = ms[i][1][q] / ms[i][0][q];
      }
    }
    double d = 0;
    for (int i = 0; i < v.length; i++) d = Math.max(d, Math.abs(hvF[i] - (float) hv[i]));
    System.out.printf(Locale.ROOT, "float32 levers, %d rounds alternating; kernels %s%n", rounds, k.name());
    System.out.printf(Locale.ROOT, "  %-24s %10s %10s %16s%n", "operation", "old ms", "new ms", "new/old (median)");
    for (int i = 0; i < ops.length; i++) {
      System.out.printf(Locale.ROOT, "  %-24s %10.3f %10.3f %15.3fx%n", names[i], PeerCompare.median(ms[i][0]),
          PeerCompare.median(ms[i][1]), PeerCompare.median(ratio[i]));
    }
    System.out.printf(Locale.ROOT, "  float Hv vs double Hv rounded: max |difference| %.1e (expected 0)%n", d);
  }

  // The previous float outputTangent / outputCurvature of PanamaKernels (tanh), for the A/B above.
  private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(S.vectorBitSize() / 2));

  private static DoubleVector widen(float[] a, int off) {
    return (DoubleVector) FloatVector.fromArray(FH, a, off).convertShape(VectorOperators.F2D, S, 0);
  }

  private static void narrow(DoubleVector v, float[] a, int off) {
    ((FloatVector) v.convertShape(VectorOperators.D2F, FH, 0)).intoArray(a, off);
  }

  private static void oldTangent(float[] a, float[] dx, float[] out, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      DoubleVector v = widen(a, i);
      narrow(v.mul(v).neg().add(1.0).mul(widen(dx, i)), out, i);
    }
    for (; i < n; i++) out[i] = (float) ((1.0 - (double) a[i] * a[i]) * dx[i]);
  }

  private static void oldCurvature(float[] a, float[] dx, float[] g, float[] out, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      DoubleVector v = widen(a, i);
      DoubleVector d2 = v.mul(-2.0).mul(v.mul(v).neg().add(1.0));
      narrow(widen(out, i).add(d2.mul(widen(dx, i)).mul(widen(g, i))), out, i);
    }
    for (; i < n; i++) {
      double v = a[i];
      out[i] = (float) (out[i] + -2.0 * v * (1.0 - v * v) * dx[i] * g[i]);
    }
  }
}
