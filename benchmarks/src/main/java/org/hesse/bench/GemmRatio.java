package org.hesse.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.linalg.Gemm;
import org.hesse.linalg.Linalg;

/**
 * SGEMM against DGEMM through {@link Gemm} (the BLAS Hesse loaded), same JVM, alternating which goes first, at the
 * shapes of the MLP 784-512-512-10 at batch 256 (forward, input gradient, weight gradient): what bounds the float32
 * path's speed-up over float64 (issue 13). Prints each shape's median times and the median per-round ratio s/d.
 *
 * <p>Usage: {@code GemmRatio [rounds]} (default 50); threads from OPENBLAS_NUM_THREADS.
 */
public final class GemmRatio {
  private GemmRatio() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    // {transA, transB, m, n, k}: row-major C[m×n] = op(A)·op(B)
    int[][] shapes = {
        {0, 1, 256, 512, 784},  // forward dense 0: X·Wᵀ
        {0, 1, 256, 512, 512},  // forward dense 1
        {0, 1, 256, 10, 512},   // forward dense 2
        {0, 0, 256, 512, 512},  // input gradient G·W
        {1, 0, 512, 784, 256},  // weight gradient Gᵀ·X (dense 0)
        {1, 0, 512, 512, 256},  // weight gradient (dense 1)
    };
    SplittableRandom r = new SplittableRandom(1);
    System.out.printf(Locale.ROOT, "BLAS %s, %d rounds alternating%n", Linalg.blasName(), rounds);
    System.out.printf(Locale.ROOT, "  %-30s %9s %9s %8s %8s%n", "C[m×n] = op(A)·op(B)", "dgemm ms", "sgemm ms", "s/d", "GFlop/s s");
    for (int[] s : shapes) {
      boolean ta = s[0] == 1;
      boolean tb = s[1] == 1;
      int m = s[2];
      int n = s[3];
      int k = s[4];
      double[] a = new double[m * k];
      double[] b = new double[k * n];
      double[] c = new double[m * n];
      for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
      for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
      float[] af = new float[a.length];
      float[] bf = new float[b.length];
      float[] cf = new float[c.length];
      for (int i = 0; i < a.length; i++) af[i] = (float) a[i];
      for (int i = 0; i < b.length; i++) bf[i] = (float) b[i];
      Runnable dg = () -> Gemm.gemm(ta, tb, m, n, k, 1.0, a, b, 0.0, c);
      Runnable sg = () -> Gemm.gemm(ta, tb, m, n, k, 1.0, af, bf, 0.0, cf);
      for (int w = 0; w < 10; w++) {
        dg.run();
        sg.run();
      }
      double[] td = new double[rounds];
      double[] ts = new double[rounds];
      double[] ratio = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        for (int side = 0; side < 2; side++) {
          boolean single = (i + side) % 2 == 1;
          long t0 = System.nanoTime();
          (single ? sg : dg).run();
          double ms = (System.nanoTime() - t0) * 1e-6;
          if (single) ts[i] = ms;
          else td[i] = ms;
        }
        ratio[i] = ts[i] / td[i];
      }
      double sm = PeerCompare.median(ts);
      System.out.printf(Locale.ROOT, "  %-30s %9.3f %9.3f %8.2f %8.1f%n",
          (ta ? "Aᵀ" : "A") + "·" + (tb ? "Bᵀ" : "B") + " " + m + "×" + n + "×" + k, PeerCompare.median(td), sm,
          PeerCompare.median(ratio), 2.0 * m * n * k / (sm * 1e6));
    }
  }
}
