package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float kernels of every back end (ScalarKernels, the reference, and the Panama kernels when available) against
 * the scalar double kernels run on the same inputs widened to double (exactly), on awkward lengths (around the
 * vector length and around the Panama kernels' 512-element blocks), at non-zero offsets, with guard cells around each
 * output that must stay untouched.
 *
 * <p>Tolerances (ε = 2⁻⁵², the double ulp of 1; ulp_f(v) = Math.ulp((float) v)):
 * <ul>
 *   <li>axpy, scale, mul, outerAdd, softmaxRows, identity, relu, leaky_relu, softplus, GELU (values, backward,
 *   derivatives), and every activation of the scalar back end: the double result rounded to float once, so
 *   <em>equal</em> to {@code (float) expected}.</li>
 *   <li>dot, sum (double sums of products exact in double): |Δ| ≤ 2(n + 1)ε Σ|terms|; matVec the same plus one
 *   rounding to float, ulp_f.</li>
 *   <li>mulMulAdd (three float roundings): |Δ| ≤ 3·2⁻²³ (|xyz| + |out|).</li>
 *   <li>tanh, the logistic function, ELU in the Panama kernels (their double exp family, rounded once): ulp_f plus
 *   the double kernels' tolerance of PanamaVsScalarTest (8ε relative, 4ε absolute for derivatives); the tanh
 *   value, computed in float lanes, 3 ulp_f (PanamaKernels.TANH_F_ULP; {@link #tanhInFloatLanes}).</li>
 * </ul>
 */
class FloatKernelsTest {
  static final double EPS = Math.ulp(1.0);
  static final double EPS_F = Math.ulp(1.0f);
  static final int GUARD = 5;
  static final Kernels DOUBLE_REF = ScalarKernels.INSTANCE;

  static Stream<Named<Kernels>> backEnds() {
    List<Named<Kernels>> list = new ArrayList<>();
    list.add(Named.of("scalar", ScalarKernels.INSTANCE));
    Kernels p = KernelProvider.panamaOrNull();
    if (p != null) list.add(Named.of(p.name(), p));
    return list.stream();
  }

  static int[] lengths() {
    int l = PanamaVsScalarTest.lanes();
    return IntStream.of(0, 1, 2, 3, l - 1, l, l + 1, 2 * l + 3, 4 * l - 1, 4 * l, 4 * l + 5, 8 * l + 7, 511, 512, 513 + l,
        1003).filter(n -> n >= 0).distinct().toArray();
  }

  static Stream<Arguments> backEndsAndLengths() {
    return backEnds().flatMap(k -> Arrays.stream(lengths()).mapToObj(n -> Arguments.of(k, n)));
  }

  static Stream<Arguments> backEndsActivationsAndLengths() {
    return backEnds().flatMap(k -> Arrays.stream(Activation.values())
        .flatMap(f -> Arrays.stream(lengths()).mapToObj(n -> Arguments.of(k, f, n))));
  }

  static float[] gaussian(Random r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
    return x;
  }

  /** Every activation regime, plus float's extremes: ±max, ±∞, NaN, subnormals, the softplus threshold. */
  static float[] awkward(Random r, int n) {
    float[] special = {0f, -0f, 1e-30f, -1e-30f, Float.MIN_VALUE, -Float.MIN_VALUE, 20f, Math.nextUp(20f),
        Math.nextDown(20f), -20f, 40f, -40f, 88f, -88f, 104f, -104f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f, -1f, -3f, 1e-8f};
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(5)) {
        case 0: x[i] = special[r.nextInt(special.length)]; break;
        case 1: x[i] = (float) (20 + r.nextGaussian()); break;
        case 2: x[i] = (float) (40 * (r.nextDouble() - 0.5)); break;
        default: x[i] = (float) (2 * r.nextGaussian());
      }
    }
    return x;
  }

  static double[] widen(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) d[i] = x[i];
    return d;
  }

  static float[] sentinels(int off, int n, Random r) {
    float[] a = new float[off + n + GUARD];
    for (int i = 0; i < a.length; i++) a[i] = (float) (1000 + r.nextGaussian());
    return a;
  }

  /** The cells outside [off, off + n) still hold the sentinels they were created with. */
  static void assertGuards(float[] before, float[] after, int off, int n, String what) {
    for (int i = 0; i < off; i++) assertEquals(before[i], after[i], what + ": cell " + i + " before the range written");
    for (int i = off + n; i < before.length; i++) assertEquals(before[i], after[i], what + ": cell " + i + " after the range written");
  }

  static void assertRounded(double expected, float actual, String what) {
    assertEquals(Float.floatToIntBits((float) expected), Float.floatToIntBits(actual),
        () -> what + ": expected (float) " + expected + " = " + (float) expected + ", got " + actual);
  }

  static void assertClose(double expected, double actual, double tol, String what) {
    assertTrue(Math.abs(expected - actual) <= tol || (Double.isNaN(expected) && Double.isNaN(actual))
            || expected == actual,
        () -> what + ": expected " + expected + " got " + actual + " (|Δ| = " + Math.abs(expected - actual) + " > " + tol + ")");
  }

  static double ulpF(double v) {
    return Math.ulp((float) v);
  }

  // ---- level 1 -------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} n={1}")
  @MethodSource("backEndsAndLengths")
  void reductionsAndLevelOne(Kernels k, int n) {
    Random r = new Random(17 + n);
    float[] x = gaussian(r, n + 3), y = gaussian(r, n + 5), z = gaussian(r, n + 1);
    double[] xd = widen(x), yd = widen(y), zd = widen(z);
    double bound = 0, abs = 0;
    for (int i = 0; i < n; i++) {
      bound += Math.abs(xd[3 + i] * yd[5 + i]);
      abs += Math.abs(xd[3 + i]);
    }
    assertClose(DOUBLE_REF.dot(xd, 3, yd, 5, n), k.dot(x, 3, y, 5, n), 2 * (n + 1) * EPS * bound, "dot");
    assertClose(DOUBLE_REF.sum(xd, 3, n), k.sum(x, 3, n), 2 * (n + 1) * EPS * abs, "sum");

    float[] m = sentinels(4, n, r), m0 = m.clone();
    k.mul(x, 3, y, 5, m, 4, n);
    assertGuards(m0, m, 4, n, "mul");
    for (int i = 0; i < n; i++) assertRounded(xd[3 + i] * yd[5 + i], m[4 + i], "mul at " + i);

    float[] acc = sentinels(2, n, r), acc0 = acc.clone();
    k.mulMulAdd(x, 3, y, 5, z, 1, acc, 2, n);
    assertGuards(acc0, acc, 2, n, "mulMulAdd");
    for (int i = 0; i < n; i++) {
      double t = xd[3 + i] * yd[5 + i] * zd[1 + i];
      assertClose(acc0[2 + i] + t, acc[2 + i], 3 * EPS_F * (Math.abs(t) + Math.abs(acc0[2 + i])), "mulMulAdd at " + i);
    }

    float[] b = sentinels(6, n, r), b0 = b.clone();
    double[] bd = widen(b);
    k.axpy(-0.3, x, 3, b, 6, n);
    DOUBLE_REF.axpy(-0.3, xd, 3, bd, 6, n);
    assertGuards(b0, b, 6, n, "axpy");
    for (int i = 0; i < n; i++) assertRounded(bd[6 + i], b[6 + i], "axpy at " + i);
    double[] sd = widen(b);
    k.scale(1.7, b, 6, n);
    DOUBLE_REF.scale(1.7, sd, 6, n);
    assertGuards(b0, b, 6, n, "scale");
    for (int i = 0; i < n; i++) assertRounded(sd[6 + i], b[6 + i], "scale at " + i);
  }

  // ---- activations -------------------------------------------------------------------------------

  static boolean roundedOnce(Kernels k, Activation f) {
    return k == ScalarKernels.INSTANCE
        || !(f == Activation.TANH || f == Activation.SIGMOID || f == Activation.ELU);
  }

  /**
   * For the exp family in the Panama kernels: ulp_f plus the double kernels' tolerance; the tanh value (float lanes)
   * {@link PanamaKernels#TANH_F_ULP} ulp_f.
   */
  static double tol(Activation f, double expected, boolean derivative) {
    if (f == Activation.TANH && !derivative) return PanamaKernels.TANH_F_ULP * ulpF(expected);
    double abs = derivative && (f == Activation.TANH || f == Activation.SIGMOID) ? 4 * EPS : 0.0;
    return ulpF(expected) + 8 * EPS * Math.abs(expected) + abs;
  }

  static void check(Kernels k, Activation f, double expected, float actual, double tol, String what) {
    if (roundedOnce(k, f)) assertRounded(expected, actual, what);
    else assertClose(expected, actual, tol, what);
  }

  @ParameterizedTest(name = "{0} {1} n={2}")
  @MethodSource("backEndsActivationsAndLengths")
  void activations(Kernels k, Activation f, int n) {
    Random r = new Random(31L * n + f.ordinal());
    float[] x = awkward(r, n + 7);
    float[] g = gaussian(r, n + 2);
    double[] xd = widen(x), gd = widen(g);
    int xo = 7, go = 2;

    float[] v = sentinels(3, n, r), v0 = v.clone();
    double[] vd = new double[n];
    k.activation(f, x, xo, v, 3, n);
    DOUBLE_REF.activation(f, xd, xo, vd, 0, n);
    assertGuards(v0, v, 3, n, f + " value");
    for (int i = 0; i < n; i++) check(k, f, vd[i], v[3 + i], tol(f, vd[i], false), f + " value at x=" + x[xo + i]);

    float[] bw = sentinels(5, n, r), bw0 = bw.clone();
    double[] bwd = new double[n];
    k.activationBackward(f, x, xo, g, go, bw, 5, n);
    DOUBLE_REF.activationBackward(f, xd, xo, gd, go, bwd, 0, n);
    assertGuards(bw0, bw, 5, n, f + " backward");
    for (int i = 0; i < n; i++) {
      double d1 = f.d1(xd[xo + i]);
      double t = (tol(f, d1, true) - ulpF(d1)) * Math.abs(gd[go + i]) + 2 * EPS * Math.abs(bwd[i]) + ulpF(bwd[i]);
      check(k, f, bwd[i], bw[5 + i], t, f + " backward at x=" + x[xo + i]);
    }
    // in place (out is g): the same numbers
    float[] gi = g.clone();
    k.activationBackward(f, x, xo, gi, go, gi, go, n);
    for (int i = 0; i < n; i++) assertEquals(bw[5 + i], gi[go + i], 0f, f + " in-place backward at " + i);

    float[] d1 = sentinels(1, n, r), d10 = d1.clone(), d2 = sentinels(4, n, r), d20 = d2.clone();
    double[] d1d = new double[n], d2d = new double[n];
    k.activationDerivatives(f, x, xo, d1, 1, d2, 4, n);
    DOUBLE_REF.activationDerivatives(f, xd, xo, d1d, 0, d2d, 0, n);
    assertGuards(d10, d1, 1, n, f + " d1");
    assertGuards(d20, d2, 4, n, f + " d2");
    for (int i = 0; i < n; i++) {
      check(k, f, d1d[i], d1[1 + i], tol(f, d1d[i], true), f + " d1 at x=" + x[xo + i]);
      check(k, f, d2d[i], d2[4 + i], tol(f, d2d[i], true), f + " d2 at x=" + x[xo + i]);
    }
    // either output may be null (and both): the same numbers
    float[] only1 = new float[n], only2 = new float[n];
    k.activationDerivatives(f, x, xo, only1, 0, null, 0, n);
    k.activationDerivatives(f, x, xo, null, 0, only2, 0, n);
    k.activationDerivatives(f, x, xo, null, 0, null, 0, n);
    for (int i = 0; i < n; i++) {
      assertEquals(d1[1 + i], only1[i], 0f, f + " d1 alone at " + i);
      assertEquals(d2[4 + i], only2[i], 0f, f + " d2 alone at " + i);
    }
  }

  /** NaN in, NaN out where the double kernels give NaN; ±∞ and float's extremes as the double kernels. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backEnds")
  void extremeInputsFollowTheDoubleKernels(Kernels k) {
    float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE,
        1e30f, -1e30f, 100f, -100f, 88.8f, -88.8f, -104f, 1e-40f, -1e-40f, -0f, 0f, Float.NaN};
    double[] xd = widen(x);
    int n = x.length;
    for (Activation f : Activation.values()) {
      float[] v = new float[n], d1 = new float[n], d2 = new float[n];
      double[] vd = new double[n], d1d = new double[n], d2d = new double[n];
      k.activation(f, x, 0, v, 0, n);
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
      DOUBLE_REF.activation(f, xd, 0, vd, 0, n);
      DOUBLE_REF.activationDerivatives(f, xd, 0, d1d, 0, d2d, 0, n);
      for (int i = 0; i < n; i++) {
        check(k, f, vd[i], v[i], tol(f, vd[i], false), f + " value at " + x[i]);
        check(k, f, d1d[i], d1[i], tol(f, d1d[i], true), f + " d1 at " + x[i]);
        check(k, f, d2d[i], d2[i], tol(f, d2d[i], true), f + " d2 at " + x[i]);
        assertEquals(Double.isNaN(vd[i]), Float.isNaN(v[i]), f + " NaN-ness of the value at " + x[i]);
      }
    }
  }

  // ---- small dense --------------------------------------------------------------------------------

  static Stream<Arguments> backEndsAndShapes() {
    int[] rows = {0, 1, 3, 4, 5, 9};
    return backEnds().flatMap(k -> Arrays.stream(rows).boxed()
        .flatMap(m -> Arrays.stream(lengths()).filter(n -> n < 600).mapToObj(n -> Arguments.of(k, m, n))));
  }

  @ParameterizedTest(name = "{0} {1} x {2}")
  @MethodSource("backEndsAndShapes")
  void softmaxOuterAddMatVec(Kernels k, int m, int n) {
    Random r = new Random(m * 7919L + n);
    float[] z = new float[2 + m * n];
    for (int i = 0; i < z.length; i++) z[i] = (float) (30 * r.nextGaussian());
    float[] sm = sentinels(3, m * n, r), sm0 = sm.clone();
    double[] smd = new double[m * n];
    k.softmaxRows(z, 2, sm, 3, m, n);
    DOUBLE_REF.softmaxRows(widen(z), 2, smd, 0, m, n);
    assertGuards(sm0, sm, 3, m * n, "softmax");
    for (int i = 0; i < m * n; i++) assertRounded(smd[i], sm[3 + i], "softmax at " + i);

    float[] x = gaussian(r, m + 1), y = gaussian(r, n + 2);
    float[] a = sentinels(4, m * n, r), a0 = a.clone();
    double[] ad = widen(a);
    k.outerAdd(-1.25, x, 1, y, 2, a, 4, m, n);
    DOUBLE_REF.outerAdd(-1.25, widen(x), 1, widen(y), 2, ad, 4, m, n);
    assertGuards(a0, a, 4, m * n, "outerAdd");
    for (int i = 0; i < m * n; i++) assertRounded(ad[4 + i], a[4 + i], "outerAdd at " + i);

    float[] xv = gaussian(r, n + 3);
    float[] yv = sentinels(2, m, r), yv0 = yv.clone();
    double[] yd = new double[m];
    double[] aw = widen(a), xw = widen(xv);
    k.matVec(a, 4, m, n, xv, 3, yv, 2);
    DOUBLE_REF.matVec(aw, 4, m, n, xw, 3, yd, 0);
    assertGuards(yv0, yv, 2, m, "matVec");
    for (int i = 0; i < m; i++) {
      double bound = 0;
      for (int j = 0; j < n; j++) bound += Math.abs(aw[4 + i * n + j] * xw[3 + j]);
      assertClose(yd[i], yv[2 + i], ulpF(yd[i]) + 2 * (n + 1) * EPS * bound, "matVec row " + i);
    }
  }

  /**
   * The float-lane tanh against Math.tanh (rounded to float: within half an ulp_f of tanh) on every 1021st float
   * below 12 in magnitude and every 99,991st above, both signs, plus ±0 (sign kept), subnormals (tanh x = x exactly),
   * float's extremes, ±∞ (±1) and NaN; lanes and scalar tail give the same bits (the array's length is not a
   * multiple of the lane count; the scalar mirror is checked on every value). Bound: TANH_F_ULP = 3 ulp_f of the
   * rounded result (every float checked once by a sweep: at most 2.50 ulp of tanh; docs/precision.md).
   */
  @Test
  void tanhInFloatLanes() {
    Kernels k = KernelProvider.panamaOrNull();
    // no Panama back end: the scalar reference rounds Math.tanh (the tests above)
    org.junit.jupiter.api.Assumptions.assumeTrue(k != null, "no Panama back end");
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -3e-39f, Float.MIN_NORMAL, -Float.MIN_NORMAL,
        1e-20f, 2.4e-4f, 9.0f, 9.01f, -9.02f, 10f, 10.000001f, 88.8f, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xFFC00001)};
    int twelve = Float.floatToRawIntBits(12f);
    float[] x = new float[2 * (twelve / 1021 + (0x7F800000 - twelve) / 99_991 + 2) + special.length + 1];
    int n = 0;
    for (long b = 0; b <= 0x7F800000L; b += b < twelve ? 1021 : 99_991) {
      x[n++] = Float.intBitsToFloat((int) b);
      x[n++] = -Float.intBitsToFloat((int) b);
    }
    for (float f : special) x[n++] = f;
    n |= 1;  // odd: a scalar tail
    float[] t = new float[n];
    k.activation(Activation.TANH, x, 0, t, 0, n);
    for (int i = 0; i < n; i++) {
      float xi = x[i];
      float ti = t[i];
      double expected = Math.tanh(xi);
      java.util.function.Supplier<String> at = () -> "tanh at " + xi + " (bits " + Integer.toHexString(Float.floatToRawIntBits(xi))
          + "): expected " + expected + ", got " + ti;
      assertEquals(Float.floatToRawIntBits(PanamaKernels.tanhScalarF(xi)), Float.floatToRawIntBits(ti), at);
      if (Float.isNaN(xi)) {
        assertTrue(Float.isNaN(ti), at);
      } else if (Math.abs(xi) < Float.MIN_NORMAL * 64 || Math.abs(xi) >= 10f) {
        assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(ti), at);  // x or ±1 exactly
      } else {
        assertTrue(Math.abs(expected - ti) <= PanamaKernels.TANH_F_ULP * ulpF(expected), at);
      }
    }
  }

  /** The same results once C2 has compiled the float kernels (the tests above run mostly interpreted). */
  @Test
  void compiledFloatKernelsStillAgree() {
    Kernels k = KernelProvider.panamaOrNull();
    if (k == null) k = ScalarKernels.INSTANCE;
    Random r = new Random(99);
    int n = 4099;
    float[] x = awkward(r, n), g = gaussian(r, n);
    double[] xd = widen(x);
    float[] v = new float[n], d1 = new float[n], d2 = new float[n];
    double[] vd = new double[n], d1d = new double[n], d2d = new double[n];
    for (Activation f : Activation.values()) {
      for (int rep = 0; rep < 150; rep++) {
        k.activation(f, x, 0, v, 0, n);
        k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
        k.activationBackward(f, x, 0, g, 0, v, 0, n);
      }
      k.activation(f, x, 0, v, 0, n);
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
      DOUBLE_REF.activation(f, xd, 0, vd, 0, n);
      DOUBLE_REF.activationDerivatives(f, xd, 0, d1d, 0, d2d, 0, n);
      for (int i = 0; i < n; i++) {
        check(k, f, vd[i], v[i], tol(f, vd[i], false), f + " compiled value at " + x[i]);
        check(k, f, d1d[i], d1[i], tol(f, d1d[i], true), f + " compiled d1 at " + x[i]);
        check(k, f, d2d[i], d2[i], tol(f, d2d[i], true), f + " compiled d2 at " + x[i]);
      }
    }
    float[] y = gaussian(r, n);
    double[] yd = widen(y), gd = widen(g);
    double s = 0;
    for (int rep = 0; rep < 2000; rep++) s = k.dot(g, 0, y, 0, n) + k.sum(y, 0, n);
    double bound = 0, abs = 0;
    for (int i = 0; i < n; i++) {
      bound += Math.abs(gd[i] * yd[i]);
      abs += Math.abs(yd[i]);
    }
    assertClose(DOUBLE_REF.dot(gd, 0, yd, 0, n) + DOUBLE_REF.sum(yd, 0, n), s, 2 * (n + 1) * EPS * (bound + abs) + EPS * Math.abs(s),
        "compiled dot + sum");
  }
}
