package org.hesse.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.hesse.linalg.Gemm;
import org.hesse.linalg.Linalg;
import org.hesse.nativelib.OpenBlas;

/**
 * The GEMM floor of Hesse's gradient and Hessian-vector product on compare-pytorch.sh's case (MLP 784-512-512-10,
 * batch 256; docs/performance.md, "Roofline"): replays, back to back with nothing in between, exactly the GEMMs
 * (shapes, transposes, beta) that {@code Workspace32.lossAndGradient} and {@code Float32Curvature.update} +
 * one apply call (the float64 path makes the same calls by dgemm), and times the sequence. That time is the
 * fastest either product can be with this BLAS and zero element-wise work. Each shape is also timed alone in a hot
 * loop at 1 thread and at OPENBLAS_NUM_THREADS (the machine's GEMM peak at these shapes); the sum of those bests
 * over a product's calls is its GEMM floor, which survives background load better than the replay's minimum.
 *
 * <p>Usage: {@code Roofline [f32|f64] [rounds]} (defaults f32, 200).
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
    int threads = Math.max(1, OpenBlas.numThreads());
    System.out.printf(Locale.ROOT, "BLAS %s, %s, %d rounds; per shape the best of each round's call, at 1 and %d OpenBLAS "
        + "threads%n", Linalg.blasName(), f32 ? "sgemm" : "dgemm", rounds, threads);
    SplittableRandom r = new SplittableRandom(1);
    System.out.printf(Locale.ROOT, "  %-26s %10s %9s %10s %9s%n", "shape", "1 thr ms", "GFlop/s", threads + " thr ms",
        "GFlop/s");
    Map<String, double[]> best = new LinkedHashMap<>();  // shape → {ms at 1 thread, ms at `threads`}
    for (int[][] seq : new int[][][] {GRADIENT, HVP}) {
      for (int[] s : seq) {
        if (best.containsKey(name(s))) continue;
        Runnable g = call(s, f32, r);
        double[] b = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int side = 0; side < 2; side++) {
          OpenBlas.setNumThreads(side == 0 ? 1 : threads);
          for (int i = 0; i < 20; i++) g.run();
          for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            g.run();
            b[side] = Math.min(b[side], (System.nanoTime() - t0) * 1e-6);
          }
        }
        best.put(name(s), b);
        double f = 2.0 * s[2] * s[3] * s[4];
        System.out.printf(Locale.ROOT, "  %-26s %10.4f %9.1f %10.4f %9.1f%n", name(s), b[0], f / (b[0] * 1e6), b[1],
            f / (b[1] * 1e6));
      }
    }
    OpenBlas.setNumThreads(threads);
    for (int[][] seq : new int[][][] {GRADIENT, HVP}) {
      double one = 0;
      double many = 0;
      double mixed = 0;
      for (int[] s : seq) {
        double[] b = best.get(name(s));
        one += b[0];
        many += b[1];
        mixed += Math.min(b[0], b[1]);
      }
      Runnable[] calls = new Runnable[seq.length];
      for (int i = 0; i < seq.length; i++) calls[i] = call(seq[i], f32, r);
      double min = Double.MAX_VALUE;
      for (int w = 0; w < 20; w++) for (Runnable c : calls) c.run();
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        for (Runnable c : calls) c.run();
        min = Math.min(min, (System.nanoTime() - t0) * 1e-6);
      }
      double f = flops(seq);
      System.out.printf(Locale.ROOT, "%s: %d GEMMs, %.1f MFlop; GEMM floor (sum of the per-shape bests) %.3f ms at 1 thread, "
              + "%.3f ms at %d, %.3f ms each at its better count; the sequence replayed at %d threads: min %.3f ms "
              + "(%.1f GFlop/s)%n", seq == HVP ? "hvp " : "grad", seq.length, f * 1e-6, one, many, threads, mixed,
          threads, min, f / (min * 1e6));
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
