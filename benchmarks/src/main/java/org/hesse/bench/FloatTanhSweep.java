package org.hesse.bench;

import java.util.Locale;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * The float32 tanh kernel against Math.tanh over every float of magnitude below 12 and every {@code stride}-th bit
 * pattern above (to +∞), both signs: the largest error in ulp of the rounded result and how many values are not
 * correctly rounded (docs/precision.md quotes the run). NaN must give NaN. Usage: {@code FloatTanhSweep [stride]}
 * (default 997); minutes on one core.
 */
public final class FloatTanhSweep {
  private FloatTanhSweep() {}

  public static void main(String[] args) {
    int stride = args.length > 0 ? Integer.parseInt(args[0]) : 997;
    Kernels k = KernelProvider.get();
    int block = 1 << 16;
    float[] x = new float[block];
    float[] t = new float[block];
    double maxUlp = 0;
    float worst = 0;
    long notRounded = 0;
    long n = 0;
    int twelve = Float.floatToRawIntBits(12f);
    for (int sign : new int[] {0, 0x80000000}) {
      for (long bits = 0; bits <= 0x7F800000L; ) {
        int m = 0;
        while (m < block && bits <= 0x7F800000L) {
          x[m++] = Float.intBitsToFloat((int) bits | sign);
          bits += bits < twelve ? 1 : stride;
        }
        k.activation(Activation.TANH, x, 0, t, 0, m);
        for (int i = 0; i < m; i++) {
          double exact = Math.tanh(x[i]);
          float rounded = (float) exact;
          if (Float.floatToRawIntBits(t[i]) != Float.floatToRawIntBits(rounded)) notRounded++;
          double ulps = Math.abs(t[i] - exact) / Math.ulp(rounded);
          if (ulps > maxUlp) {
            maxUlp = ulps;
            worst = x[i];
          }
          n++;
        }
      }
    }
    float[] nan = {Float.NaN};
    k.activation(Activation.TANH, nan, 0, nan, 0, 1);
    System.out.printf(Locale.ROOT, "kernels %s: %d values, max error %.3f ulp (of the rounded tanh) at x = %s, %d not "
        + "correctly rounded; NaN -> %s%n", k.name(), n, maxUlp, worst, notRounded, nan[0]);
  }
}
