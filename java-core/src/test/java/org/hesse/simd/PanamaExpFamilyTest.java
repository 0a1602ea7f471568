package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Panama kernels' own exp family (IEEE-exact operations only, so JIT-independent): exp and expm1 on a ≤ 0
 * against StrictMath (correctly rounded to within 1 ulp), the logistic function against a 40-digit reference, and
 * ELU with its derivatives against its definition; across the reduction's steps, tiny and subnormal magnitudes,
 * the subnormal results of exp (one rounding there), the clamps, and ±0, −∞ and NaN. The vector body and the scalar
 * tail give the same bits for the same input.
 */
class PanamaExpFamilyTest {
  static final MathContext MC = new MathContext(40);

  static double[] arguments(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      switch (i % 6) {
        case 0: a[i] = -760 * r.nextDouble(); break;                                   // all of exp's range and past it
        case 1: a[i] = -42 * r.nextDouble(); break;                                    // expm1's range and its clamp
        case 2: a[i] = -Math.scalb(r.nextDouble(), -r.nextInt(60)); break;             // tiny magnitudes
        case 3: a[i] = -(1 + r.nextInt(60)) * Math.log(2) / 2 + (r.nextDouble() - 0.5) * 1e-9; break;  // n steps
        case 4: a[i] = -708.4 - 37 * r.nextDouble(); break;                           // subnormal results
        default: a[i] = -3 * r.nextDouble();
      }
    }
    return a;
  }

  @Test
  void expAndExpm1AreWithinTwoUlpOfStrictMath() {
    assumeTrue(KernelProvider.panamaOrNull() != null, "jdk.incubator.vector is not enabled");
    double[] a = arguments(3, 120_007);
    double[] exp = new double[a.length];
    double[] expm1 = new double[a.length];
    PanamaKernels.expNeg(a, exp, expm1);
    for (int i = 0; i < a.length; i++) {
      double e = StrictMath.exp(a[i]);
      // subnormal results: one rounding of the exact value, so within an ulp of the smallest subnormal
      double tolE = e < Double.MIN_NORMAL ? Double.MIN_VALUE : 2 * Math.ulp(e);
      assertEquals(e, exp[i], tolE, "exp(" + a[i] + ")");
      double m = StrictMath.expm1(a[i]);
      assertEquals(m, expm1[i], 2 * Math.ulp(m), "expm1(" + a[i] + ")");
      assertEquals(exp[i], PanamaKernels.expNegScalar(a[i]), 0.0, "tail vs vector exp at " + a[i]);
      assertEquals(expm1[i], PanamaKernels.expm1NegScalar(a[i]), 0.0, "tail vs vector expm1 at " + a[i]);
    }
    double[] special = {0.0, -0.0, Double.NEGATIVE_INFINITY, Double.NaN, -745.2, -745.1, -708.4, -40, -1e-320,
        -Double.MIN_VALUE, -1e300, 0, 0, 0, 0, 0};
    double[] se = new double[special.length];
    double[] sm = new double[special.length];
    PanamaKernels.expNeg(special, se, sm);
    for (int i = 0; i < special.length; i++) {
      assertEquals(StrictMath.exp(special[i]), se[i], Double.MIN_VALUE, "exp(" + special[i] + ")");
      double m = StrictMath.expm1(special[i]);
      if (Double.isNaN(m)) assertEquals(Double.NaN, sm[i], 0.0);
      else assertEquals(m, sm[i], 2 * Math.ulp(m), "expm1(" + special[i] + ")");
    }
    double[] zeros = {-0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0};  // vector lanes and a tail
    double[] elu = new double[zeros.length];
    KernelProvider.panamaOrNull().activation(Activation.ELU, zeros, 0, elu, 0, zeros.length);
    for (int i = 0; i < zeros.length; i++) {
      assertEquals(Double.doubleToRawLongBits(zeros[i]), Double.doubleToRawLongBits(elu[i]), "ELU(±0) = ±0 at " + i);
    }
  }

  /** σ(x) to 40 digits from BigDecimal's exp series on the reduced argument. */
  static double sigmoidReference(double x) {
    double e = StrictMath.exp(-Math.abs(x));                // within 1 ulp: its error enters σ at most 1×
    BigDecimal be = new BigDecimal(e);
    BigDecimal t = BigDecimal.ONE.divide(BigDecimal.ONE.add(be), MC);
    return (x >= 0 ? t : be.multiply(t, MC)).doubleValue();
  }

  @Test
  void logisticFunctionAndElu() {
    Kernels k = KernelProvider.panamaOrNull();
    assumeTrue(k != null, "jdk.incubator.vector is not enabled");
    SplittableRandom r = new SplittableRandom(5);
    int n = 100_003;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      switch (i % 4) {
        case 0: x[i] = 80 * r.nextDouble() - 40; break;
        case 1: x[i] = 1500 * r.nextDouble() - 750; break;
        case 2: x[i] = Math.scalb(r.nextDouble() - 0.5, -r.nextInt(60)); break;
        default: x[i] = 10 * r.nextDouble() - 5;
      }
    }
    for (Activation f : new Activation[] {Activation.SIGMOID, Activation.ELU}) {
      double[] v = new double[n];
      double[] d1 = new double[n];
      double[] d2 = new double[n];
      double[] g = new double[n];
      k.activation(f, x, 0, v, 0, n);
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
      double[] ones = new double[n];
      java.util.Arrays.fill(ones, 1.0);
      k.activationBackward(f, x, 0, ones, 0, g, 0, n);
      // in place (out = g): the same products
      double[] gr = new double[n];
      for (int i = 0; i < n; i++) gr[i] = r.nextDouble() - 0.5;
      double[] separate = new double[n];
      k.activationBackward(f, x, 0, gr, 0, separate, 0, n);
      k.activationBackward(f, x, 0, gr, 0, gr, 0, n);
      for (int i = 0; i < n; i++) assertEquals(separate[i], gr[i], 0.0, f + " in-place backward at " + i);
      double[] tail = new double[1];
      for (int i = 0; i < n; i++) {
        double xi = x[i];
        double want;
        double want1;
        double want2;
        if (f == Activation.SIGMOID) {
          double s = sigmoidReference(xi);
          want = s;
          want1 = s * (1 - s);
          want2 = s * (1 - s) * (1 - 2 * s);
          assertEquals(want, v[i], 4 * Math.ulp(want), "sigmoid(" + xi + ")");
          // derivatives from σ: an ulp of σ near 1 is an absolute error of that size in 1 − σ
          assertEquals(want1, d1[i], 8 * Math.ulp(want1) + 4 * Math.ulp(1.0) * s, "sigmoid'(" + xi + ")");
          assertEquals(want2, d2[i], 16 * Math.ulp(Math.abs(want2)) + 8 * Math.ulp(1.0) * s, "sigmoid''(" + xi + ")");
        } else {
          want = xi > 0 ? xi : StrictMath.expm1(xi);
          want1 = xi > 0 ? 1 : StrictMath.exp(xi);
          want2 = xi > 0 ? 0 : StrictMath.exp(xi);
          assertEquals(want, v[i], 2 * Math.ulp(want), "elu(" + xi + ")");
          assertEquals(want1, d1[i], xi > -708 ? 2 * Math.ulp(want1) : Double.MIN_VALUE, "elu'(" + xi + ")");
          assertEquals(want2, d2[i], xi > -708 ? 2 * Math.ulp(want2) : Double.MIN_VALUE, "elu''(" + xi + ")");
        }
        assertEquals(d1[i], g[i], 0.0, f + " backward = σ'·1");
        if (i % 97 == 0) {  // the same input through the scalar tail (a one-element call): the same bits
          double[] tail1 = new double[1];
          double[] tail2 = new double[1];
          k.activation(f, x, i, tail, 0, 1);
          k.activationDerivatives(f, x, i, tail1, 0, tail2, 0, 1);
          assertEquals(v[i], tail[0], 0.0, f + " tail vs vector at " + xi);
          assertEquals(d1[i], tail1[0], 0.0, f + "' tail vs vector at " + xi);
          assertEquals(d2[i], tail2[0], 0.0, f + "'' tail vs vector at " + xi);
        }
      }
    }
  }
}
