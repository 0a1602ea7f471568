package org.hesse.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.linalg.Gemm;
import org.hesse.linalg.Linalg;

/**
 * The GEMM floor of Hesse's gradient and Hessian-vector product on compare-pytorch.sh's case (MLP 784-512-512-10,
 * batch 256; docs/performance.md, "Roofline"): replays, back to back with nothing in between, exactly the GEMMs
 * (shapes, transposes, beta) that {@code Float32Workspace.lossAndGradient} and {@code Float32Curvature.update} +
 * one apply call (the float64 path makes the same calls by dgemm), and times the sequence. That time is the
 * fastest either product can be with this BLAS and zero element-wise work. Also prints each shape's best rate
 * in a hot loop of that shape alone (the machine's GEMM peak at these shapes).
 *
 * <p>Usage: {@code Roofline [f32|f64] [rounds]} (defaults f32, 200); threads from OPENBLAS_NUM_THREADS. Prints the
 * minimum and the median over rounds.
 */
public final class Roofline {
  private Roofline() {}

  /** {transA, transB, m, n, k, beta}: row-major C[m×n] = op(A)·op(B) + beta·C. */
  static final int[][] GRADIENT = {
      {0, 1, 256, 512, 784, 1}, {0, 1, 256, 512, 512, 1}, {0, 1, 256, 10, 512, 1},  // forward X·Wᵀ (+ bias rows)
      {1, 0, 10, 512, 256, 1}, {0, 0, 256, 512, 10, 0},                            // dense 2: gᵀx, gW
      {1, 0, 512, 512, 256, 1}, {0, 0, 256, 512, 512, 0},                          // dense 1
      {1, 0, 512, 784, 256, 1},                                                    // dense 0: gᵀx (no input gradient)
  };

  static final int[][] HVP = {
      // update(θ): forward, and the input-gradient signals only (no weight gradient)
      {0, 1, 256, 512, 784, 1}, {0, 1, 256, 512, 512, 1}, {0, 1, 256, 10, 512, 1},
      {0, 0, 256, 512, 10, 0}, {0, 0, 256, 512, 512, 0},
      // apply, tangent forward: x Vᵀ on every layer, dx Wᵀ above the first
      {0, 1, 256, 512, 784, 1},
      {0, 1, 256, 512, 512, 1}, {0, 1, 256, 512, 512, 1},
      {0, 1, 256, 10, 512, 1}, {0, 1, 256, 10, 512, 1},
      // tangent backward: dgᵀx, dg W, and the residual gᵀdx, g V (dense 2, dense 1); dense 0: dgᵀx only
      {1, 0, 10, 512, 256, 1}, {0, 0, 256, 512, 10, 0}, {1, 0, 10, 512, 256, 1}, {0, 0, 256, 512, 10, 1},
      {1, 0, 512, 512, 256, 1}, {0, 0, 256, 512, 512, 0}, {1, 0, 512, 512, 256, 1}, {0, 0, 256, 512, 512, 1},
      {1, 0, 512, 784, 256, 1},
  };

  static double flops(int[][] seq) {
    double f = 0;
    for (int[] s : seq) f += 2.0 * s[2] * s[3] * s[4];
    return f;
  }

  public static void main(String[] args) {
    boolean f32 = args.length == 0 || args[0].equals("f32");
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    System.out.printf(Locale.ROOT, "BLAS %s, %s, OPENBLAS_NUM_THREADS=%s, %d rounds%n", Linalg.blasName(),
        f32 ? "sgemm" : "dgemm", System.getenv("OPENBLAS_NUM_THREADS"), rounds);
    SplittableRandom r = new SplittableRandom(1);
    System.out.printf(Locale.ROOT, "  %-26s %9s %9s%n", "shape (hot loop)", "min ms", "GFlop/s");
    int[][] shapes = {{0, 1, 256, 512, 784, 1}, {0, 1, 256, 512, 512, 1}, {0, 0, 256, 512, 512, 0},
        {1, 0, 512, 512, 256, 1}, {1, 0, 512, 784, 256, 1}, {0, 1, 256, 10, 512, 1}, {0, 0, 256, 512, 10, 0},
        {1, 0, 10, 512, 256, 1}};
    for (int[] s : shapes) {
      Runnable g = call(s, f32, r);
      double best = Double.MAX_VALUE;
      for (int i = 0; i < 20; i++) g.run();
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        g.run();
        best = Math.min(best, (System.nanoTime() - t0) * 1e-6);
      }
      System.out.printf(Locale.ROOT, "  %-26s %9.4f %9.1f%n", name(s), best, 2.0 * s[2] * s[3] * s[4] / (best * 1e6));
    }
    for (int[][] seq : new int[][][] {GRADIENT, HVP}) {
      Runnable[] calls = new Runnable[seq.length];
      for (int i = 0; i < seq.length; i++) calls[i] = call(seq[i], f32, r);
      double[] t = new double[rounds];
      for (int w = 0; w < 20; w++) for (Runnable c : calls) c.run();
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        for (Runnable c : calls) c.run();
        t[i] = (System.nanoTime() - t0) * 1e-6;
      }
      double min = Double.MAX_VALUE;
      for (double x : t) min = Math.min(min, x);
      double f = flops(seq);
      System.out.printf(Locale.ROOT, "%s GEMMs only: %d calls, %.1f MFlop, min %.3f ms (%.1f GFlop/s), median %.3f ms%n",
          seq == HVP ? "hvp " : "grad", seq.length, f * 1e-6, min, f / (min * 1e6), PeerCompare.median(t), f / 1e6);
    }
  }

  static String name(int[] s) {
    return (s[0] == 1 ? "Aᵀ" : "A") + "·" + (s[1] == 1 ? "Bᵀ" : "B") + " " + s[2] + "×" + s[3] + "×" + s[4];
  }

  /** One GEMM of shape s on its own random operands. */
  static Runnable call(int[] s, boolean f32, SplittableRandom r) {
    boolean ta = s[0] == 1;
    boolean tb = s[1] == 1;
    int m = s[2];
    int n = s[3];
    int k = s[4];
    double beta = s[5];
    double[] a = new double[m * k];
    double[] b = new double[k * n];
    double[] c = new double[m * n];
    for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian() * 1e-2;
    for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian() * 1e-2;
    if (!f32) return () -> Gemm.gemm(ta, tb, m, n, k, 1.0, a, b, beta, c);
    float[] af = new float[a.length];
    float[] bf = new float[b.length];
    float[] cf = new float[c.length];
    for (int i = 0; i < a.length; i++) af[i] = (float) a[i];
    for (int i = 0; i < b.length; i++) bf[i] = (float) b[i];
    return () -> Gemm.gemm(ta, tb, m, n, k, 1.0, af, bf, beta, cf);
  }
}
