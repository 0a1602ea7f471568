package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Panama kernels' own tanh (IEEE-exact operations only, so JIT-independent) against StrictMath.tanh:
 * within 4 ulp of the result everywhere: across the first steps of the exponent reduction (|x| = k·ln2/4, where
 * n changes), near 0 and at tiny and subnormal magnitudes, around and past 20, and for ±0, ±∞ and NaN; the vector
 * body and the scalar tail give the same bits for the same input.
 */
class PanamaTanhTest {
  @Test
  void tanhIsWithinFourUlpOfStrictMath() {
    Kernels k = KernelProvider.panamaOrNull();
    assumeTrue(k != null, "jdk.incubator.vector is not enabled");
    SplittableRandom r = new SplittableRandom(7);
    int n = 200_003;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      switch (i % 5) {
        case 0: x[i] = 50 * r.nextDouble() - 25; break;
        case 1: x[i] = 2.2 * r.nextDouble() - 1.1; break;
        case 2: x[i] = Math.scalb(r.nextDouble(), -r.nextInt(60)); break;  // tiny magnitudes
        case 3: x[i] = (1 + r.nextInt(4)) * Math.log(2) / 4 + (r.nextDouble() - 0.5) * 1e-6; break;  // n changes
        default: x[i] = -(19 + 2 * r.nextDouble());
      }
    }
    double[] t = new double[n];
    k.activation(Activation.TANH, x, 0, t, 0, n);
    for (int i = 0; i < n; i++) {
      double ref = StrictMath.tanh(x[i]);
      assertEquals(ref, t[i], 4 * Math.ulp(ref), "tanh(" + x[i] + ")");
      // the same input through the scalar tail path (a one-element call) gives the same bits
      assertEquals(t[i], PanamaKernels.tanhScalar(x[i]), 0.0, "tail vs vector at " + x[i]);
    }
    double[] special = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 20.0, -20.0,
        0.55, -0.55, Double.MIN_VALUE, 1e300, -Double.MIN_VALUE, 1e-310, 19.999999, 0, 0};
    double[] out = new double[special.length];
    k.activation(Activation.TANH, special, 0, out, 0, special.length);
    for (int i = 0; i < special.length; i++) {
      double ref = StrictMath.tanh(special[i]);
      if (Double.isNaN(ref)) assertEquals(Double.NaN, out[i], 0.0);
      else assertEquals(ref, out[i], 4 * Math.ulp(ref), "tanh(" + special[i] + ")");
    }
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(out[1]), "tanh(−0) = −0");
  }
}
