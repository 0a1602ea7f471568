package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every back end (scalar always; Panama when {@link KernelProvider#panamaOrNull()} finds the incubator module)
 * against independent references: exact BigDecimal sums and products, finite differences, closed forms, and
 * GELU values computed to 80 digits. ε = 2⁻⁵².
 */
class KernelsReferenceTest {
  static final double EPS = Math.ulp(1.0);
  static final MathContext MC = MathContext.DECIMAL128;
  static final int[] LENGTHS = {0, 1, 7, 8, 9, 19, 37, 1003};

  static Stream<Named<Kernels>> backEnds() {
    List<Named<Kernels>> list = new ArrayList<>();
    list.add(Named.of("scalar", ScalarKernels.INSTANCE));
    Kernels p = KernelProvider.panamaOrNull();
    if (p != null) list.add(Named.of(p.name(), p));
    return list.stream();
  }

  static double[] gaussian(Random r, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
    return x;
  }

  static void assertClose(double expected, double actual, double tol, String what) {
    assertTrue(Math.abs(expected - actual) <= tol,
        () -> what + ": expected " + expected + " got " + actual + " (|Δ| = " + Math.abs(expected - actual) + " > " + tol + ")");
  }

  // ---- level 1 against exact arithmetic ----------------------------------------------------------

  /** dot and sum: |computed − exact| ≤ nε Σ|terms| (recursive or blocked summation, with or without FMA). */
  @ParameterizedTest
  @MethodSource("backEnds")
  void dotSumMulAgainstExactArithmetic(Kernels k) {
    Random r = new Random(1);
    for (int n : LENGTHS) {
      double[] x = gaussian(r, n + 2), y = gaussian(r, n + 1), z = gaussian(r, n + 3);
      BigDecimal dot = BigDecimal.ZERO, sum = BigDecimal.ZERO;
      double absDot = 0, absSum = 0;
      for (int i = 0; i < n; i++) {
        dot = dot.add(new BigDecimal(x[2 + i]).multiply(new BigDecimal(y[1 + i])));
        sum = sum.add(new BigDecimal(x[2 + i]));
        absDot += Math.abs(x[2 + i] * y[1 + i]);
        absSum += Math.abs(x[2 + i]);
      }
      assertClose(dot.doubleValue(), k.dot(x, 2, y, 1, n), (n + 1) * EPS * absDot, "dot n=" + n);
      assertClose(sum.doubleValue(), k.sum(x, 2, n), (n + 1) * EPS * absSum, "sum n=" + n);

      double[] out = new double[n + 4];
      double[] acc = gaussian(r, n + 4);
      double[] acc0 = acc.clone();
      k.mul(x, 2, y, 1, out, 4 % (n + 1), n);
      k.mulMulAdd(x, 2, y, 1, z, 3, acc, 4, n);
      for (int i = 0; i < n; i++) {
        // one rounding for the product; two products and an add for mulMulAdd
        double exactP = new BigDecimal(x[2 + i]).multiply(new BigDecimal(y[1 + i])).doubleValue();
        assertEquals(exactP, out[4 % (n + 1) + i], 0.0, "mul is correctly rounded");
        BigDecimal t = new BigDecimal(x[2 + i]).multiply(new BigDecimal(y[1 + i])).multiply(new BigDecimal(z[3 + i]));
        double e = t.add(new BigDecimal(acc0[4 + i])).doubleValue();
        assertClose(e, acc[4 + i], 3 * EPS * (Math.abs(t.doubleValue()) + Math.abs(acc0[4 + i])), "mulMulAdd at " + i);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backEnds")
  void axpyAndScaleAreCorrectlyRoundedPerElement(Kernels k) {
    Random r = new Random(2);
    int n = 37;
    double[] x = gaussian(r, n + 1), y = gaussian(r, n + 3), y0 = y.clone();
    k.axpy(0.3, x, 1, y, 3, n);
    for (int i = 0; i < n; i++) {
      double e = new BigDecimal(0.3).multiply(new BigDecimal(x[1 + i])).add(new BigDecimal(y0[3 + i])).doubleValue();
      assertClose(e, y[3 + i], 2 * EPS * (Math.abs(0.3 * x[1 + i]) + Math.abs(y0[3 + i])), "axpy at " + i);
    }
    for (int i = 0; i < 3; i++) assertEquals(y0[i], y[i], "axpy wrote before its range");
    double[] s = y.clone();
    k.scale(-2.5, s, 3, n);
    for (int i = 0; i < n; i++) assertEquals(new BigDecimal(-2.5).multiply(new BigDecimal(y[3 + i])).doubleValue(), s[3 + i], 0.0);
  }

  // ---- small dense against exact arithmetic ------------------------------------------------------

  @ParameterizedTest
  @MethodSource("backEnds")
  void matVecAndOuterAddAgainstExactArithmetic(Kernels k) {
    Random r = new Random(3);
    int[][] shapes = {{0, 5}, {1, 1}, {3, 8}, {5, 9}, {7, 19}, {13, 130}};
    for (int[] sh : shapes) {
      int m = sh[0], n = sh[1];
      double[] a = gaussian(r, 3 + m * n), x = gaussian(r, n + 1), y = gaussian(r, m + 2);
      double[] out = new double[m + 2];
      k.matVec(a, 3, m, n, x, 1, out, 2);
      for (int i = 0; i < m; i++) {
        BigDecimal s = BigDecimal.ZERO;
        double abs = 0;
        for (int j = 0; j < n; j++) {
          s = s.add(new BigDecimal(a[3 + i * n + j]).multiply(new BigDecimal(x[1 + j])));
          abs += Math.abs(a[3 + i * n + j] * x[1 + j]);
        }
        assertClose(s.doubleValue(), out[2 + i], (n + 1) * EPS * abs, "matVec " + m + "x" + n + " row " + i);
      }
      double[] b = a.clone();
      double alpha = 0.7;
      k.outerAdd(alpha, y, 2, x, 1, b, 3, m, n);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double p = alpha * y[2 + i] * x[1 + j];
          BigDecimal e = new BigDecimal(alpha).multiply(new BigDecimal(y[2 + i])).multiply(new BigDecimal(x[1 + j]))
              .add(new BigDecimal(a[3 + i * n + j]));
          assertClose(e.doubleValue(), b[3 + i * n + j], 3 * EPS * (Math.abs(p) + Math.abs(a[3 + i * n + j])), "outerAdd");
        }
      }
      for (int i = 0; i < 3; i++) assertEquals(a[i], b[i], "outerAdd wrote before its range");
    }
  }

  /** Rows sum to 1 within (cols+4)ε; each entry within (cols+8)ε relative of exp(x−max)/Σ with an exact Σ. */
  @ParameterizedTest
  @MethodSource("backEnds")
  void softmaxRowsAgainstExactNormaliser(Kernels k) {
    Random r = new Random(4);
    int[][] shapes = {{1, 1}, {2, 3}, {4, 8}, {3, 10}, {5, 17}, {2, 1000}};
    for (int[] sh : shapes) {
      int rows = sh[0], cols = sh[1];
      double[] x = new double[1 + rows * cols];
      for (int i = 0; i < x.length; i++) x[i] = 25 * r.nextGaussian() + (i % 7 == 0 ? 700 : 0); // large logits too
      double[] p = new double[rows * cols + 2];
      k.softmaxRows(x, 1, p, 2, rows, cols);
      for (int row = 0; row < rows; row++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) max = Math.max(max, x[1 + row * cols + c]);
        BigDecimal s = BigDecimal.ZERO;
        double[] e = new double[cols];
        for (int c = 0; c < cols; c++) {
          e[c] = Math.exp(x[1 + row * cols + c] - max);
          s = s.add(new BigDecimal(e[c]));
        }
        BigDecimal rowSum = BigDecimal.ZERO;
        for (int c = 0; c < cols; c++) {
          double got = p[2 + row * cols + c];
          double want = new BigDecimal(e[c]).divide(s, MC).doubleValue();
          // e[c] itself: Math.exp is within 1 ulp, the vector EXP within 1 ulp of Math.exp
          assertClose(want, got, (cols + 8) * EPS * want, "softmax " + rows + "x" + cols + " (" + row + "," + c + ")");
          rowSum = rowSum.add(new BigDecimal(got));
        }
        assertClose(1.0, rowSum.doubleValue(), (cols + 4) * EPS, "softmax row sum");
      }
      assertEquals(0.0, p[0]);
      assertEquals(0.0, p[1]);
    }
  }

  // ---- activations -------------------------------------------------------------------------------

  static double[] grid(Activation f) {
    List<Double> xs = new ArrayList<>();
    for (double x = -8; x <= 8; x += 0.0625 + 1e-3) xs.add(x);
    if (f == Activation.SOFTPLUS) for (double x = 15; x <= 25; x += 0.37) xs.add(x);
    // finite differences must not straddle a kink: relu / leaky / elu at 0, softplus at its threshold
    return xs.stream().filter(x -> Math.abs(x) > 1e-2 && Math.abs(x - Activation.SOFTPLUS_THRESHOLD) > 1e-2)
        .mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * d1 against the central difference of the kernel's value, d2 against the central difference of the
   * kernel's d1, h = 1e-5: truncation h²/6·|f'''| ≤ 1e-10 for these functions, rounding ε|f|/h ≤ 6e-10 for
   * |f| ≤ 25; tolerance 2e-9 (1 + |f|).
   */
  @ParameterizedTest
  @MethodSource("backEnds")
  void derivativesMatchFiniteDifferences(Kernels k) {
    double h = 1e-5;
    for (Activation f : Activation.values()) {
      double[] x = grid(f);
      int n = x.length;
      double[] xp = new double[n], xm = new double[n];
      for (int i = 0; i < n; i++) {
        xp[i] = x[i] + h;
        xm[i] = x[i] - h;
      }
      double[] v = new double[n], vp = new double[n], vm = new double[n], d1p = new double[n], d1m = new double[n];
      double[] d1 = new double[n], d2 = new double[n], g = new double[n], back = new double[n];
      k.activation(f, x, 0, v, 0, n);
      k.activation(f, xp, 0, vp, 0, n);
      k.activation(f, xm, 0, vm, 0, n);
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
      k.activationDerivatives(f, xp, 0, d1p, 0, null, 0, n);
      k.activationDerivatives(f, xm, 0, d1m, 0, null, 0, n);
      for (int i = 0; i < n; i++) g[i] = 1.0 + 0.5 * Math.sin(i);
      k.activationBackward(f, x, 0, g, 0, back, 0, n);
      for (int i = 0; i < n; i++) {
        double fd1 = (vp[i] - vm[i]) / (2 * h);
        double fd2 = (d1p[i] - d1m[i]) / (2 * h);
        assertClose(fd1, d1[i], 2e-9 * (1 + Math.abs(v[i])), f + " d1 at " + x[i]);
        assertClose(fd2, d2[i], 2e-9 * (1 + Math.abs(d1[i])), f + " d2 at " + x[i]);
        assertClose(d1[i] * g[i], back[i], 2 * EPS * Math.abs(d1[i] * g[i]) + 4 * EPS * Math.abs(g[i]), f + " backward at " + x[i]);
      }
    }
  }

  /** Values against closed forms written differently from Activation's (relative 8ε + the stated absolute part). */
  @ParameterizedTest
  @MethodSource("backEnds")
  void valuesMatchIndependentClosedForms(Kernels k) {
    double[] x = new double[401];
    for (int i = 0; i < x.length; i++) x[i] = -30 + 0.15 * i;
    x[200] = 0.0;
    int n = x.length;
    double[] out = new double[n];
    for (Activation f : Activation.values()) {
      if (f == Activation.GELU) continue; // against 80-digit values below
      k.activation(f, x, 0, out, 0, n);
      for (int i = 0; i < n; i++) {
        double t = x[i];
        double ref;
        double abs = 0;
        switch (f) {
          case IDENTITY: ref = t; break;
          case RELU: ref = Math.max(t, 0.0); break;
          case LEAKY_RELU: ref = Math.max(t, 0.0) + Activation.LEAKY_SLOPE * Math.min(t, 0.0); break;
          case ELU: ref = t > 0 ? t : Math.exp(t) - 1; abs = 2 * EPS; break; // exp − 1 cancels near 0
          case TANH: { double e = Math.expm1(2 * Math.abs(t)); ref = Math.copySign(e / (e + 2), t); break; }
          case SIGMOID: ref = 0.5 + 0.5 * Math.tanh(0.5 * t); abs = 2 * EPS; break; // 0.5 + … cancels for t ≪ 0
          case SOFTPLUS: ref = t > Activation.SOFTPLUS_THRESHOLD ? t : Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t))); break;
          default: throw new AssertionError(f);
        }
        assertClose(ref, out[i], 8 * EPS * Math.abs(ref) + abs, f + " at " + t);
      }
    }
  }

  /**
   * GELU value, d1, d2 against 80-digit values (Python decimal: Φ from the Maclaurin series of erf, φ from exp).
   * Tolerance (8 + x²)ε relative: rounding x/√2 moves erfc by up to x² ε relative in the far tail.
   */
  @ParameterizedTest
  @MethodSource("backEnds")
  void geluAgainstHighPrecision(Kernels k) {
    double[][] ref = { // x, gelu, gelu', gelu''
        {-8.0, -4.976768459417427e-15, -3.979607261086796e-14, -3.1324080717928733e-13},
        {-5.0, -1.4332578593959695e-06, -7.146946001792295e-06, -3.4194548838888845e-05},
        {-3.0, -0.0040496940948902835, -0.011945647204183927, -0.03102293888356605},
        {-1.0, -0.15865525393145705, -0.0833154705876863, 0.24197072451914334},
        {-0.5, -0.15426876936299344, 0.13250487534383715, 0.6161143218375241},
        {-0.001, -0.000499601057786089, 0.4992021157051586, 0.7978837629186037},
        {0.5, 0.34573123063700656, 0.8674951246561629, 0.6161143218375241},
        {1.0, 0.8413447460685429, 1.0833154705876864, 0.24197072451914334},
        {3.0, 2.99595030590511, 1.011945647204184, -0.03102293888356605},
        {5.0, 4.999998566742141, 1.000007146946002, -3.4194548838888845e-05},
    };
    int n = ref.length;
    double[] x = new double[n], v = new double[n], d1 = new double[n], d2 = new double[n];
    for (int i = 0; i < n; i++) x[i] = ref[i][0];
    k.activation(Activation.GELU, x, 0, v, 0, n);
    k.activationDerivatives(Activation.GELU, x, 0, d1, 0, d2, 0, n);
    for (int i = 0; i < n; i++) {
      double tol = (8 + x[i] * x[i]) * EPS;
      assertClose(ref[i][1], v[i], tol * Math.abs(ref[i][1]), "gelu(" + x[i] + ")");
      assertClose(ref[i][2], d1[i], tol * Math.abs(ref[i][2]), "gelu'(" + x[i] + ")");
      assertClose(ref[i][3], d2[i], tol * Math.abs(ref[i][3]), "gelu''(" + x[i] + ")");
    }
  }

  /**
   * relu and leaky_relu, value and slope, in both precisions, bit for bit against Activation's per-element
   * definition (x > 0 ? … : …): NaN of either sign, signed zeros, infinities, subnormals and the largest values
   * included (the scalar kernels select bits by a mask instead of branching; the Panama ones blend lanes).
   */
  @ParameterizedTest
  @MethodSource("backEnds")
  void reluFamilyEqualsTheDefinitionBitForBit(Kernels k) {
    double[] special = {Double.NaN, -Double.NaN, Double.longBitsToDouble(0x7ff0000000000123L), 0.0, -0.0,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE,
        -Double.MAX_VALUE, 1e-310, -1e-310, 1.0, -1.0};
    Random r = new Random(17);
    int n = special.length + 40;  // past several vectors, so the vector loops see the special values too
    double[] x = new double[n];
    double[] g = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i < special.length ? special[i] : 3 * r.nextGaussian();
      g[i] = i % 7 == 0 ? -0.0 : r.nextGaussian();
    }
    float[] xf = new float[n];
    float[] gf = new float[n];
    for (int i = 0; i < n; i++) {
      xf[i] = (float) x[i];
      gf[i] = (float) g[i];
    }
    for (Activation f : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
      double[] v = new double[n], b = new double[n], d1 = new double[n], d2 = new double[n];
      k.activation(f, x, 0, v, 0, n);
      k.activationBackward(f, x, 0, g, 0, b, 0, n);
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
      float[] vf = new float[n], bf = new float[n], d1f = new float[n], d2f = new float[n];
      k.activation(f, xf, 0, vf, 0, n);
      k.activationBackward(f, xf, 0, gf, 0, bf, 0, n);
      k.activationDerivatives(f, xf, 0, d1f, 0, d2f, 0, n);
      for (int i = 0; i < n; i++) {
        String at = f + " at " + x[i] + " (" + i + ")";
        assertBits(f.value(x[i]), v[i], "value, " + at);
        assertBits(f.d1(x[i]) * g[i], b[i], "backward, " + at);
        assertBits(f.d1(x[i]), d1[i], "d1, " + at);
        assertBits(f.d2(x[i]), d2[i], "d2, " + at);
        assertBits((float) f.value(xf[i]), vf[i], "float value, " + at);
        assertBits((float) (f.d1(xf[i]) * gf[i]), bf[i], "float backward, " + at);
        assertBits((float) f.d1(xf[i]), d1f[i], "float d1, " + at);
        assertBits((float) f.d2(xf[i]), d2f[i], "float d2, " + at);
      }
    }
  }

  static void assertBits(double expected, double actual, String what) {
    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), what + ": expected " + expected + ", got " + actual);
  }

  static void assertBits(float expected, float actual, String what) {
    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": expected " + expected + ", got " + actual);
  }

  /** PyTorch's conventions at the kinks, exactly. */
  @ParameterizedTest
  @MethodSource("backEnds")
  void conventionsAtKinksAndThreshold(Kernels k) {
    double thr = Activation.SOFTPLUS_THRESHOLD;
    double[] x = {0.0, -0.0, thr, Math.nextUp(thr), 0.0, 0.0, 0.0, 0.0, 0.0}; // padded past one vector
    int n = x.length;
    double[] d1 = new double[n], d2 = new double[n], v = new double[n];
    k.activationDerivatives(Activation.RELU, x, 0, d1, 0, d2, 0, n);
    assertEquals(0.0, d1[0], "relu'(0) = 0");
    k.activationDerivatives(Activation.LEAKY_RELU, x, 0, d1, 0, d2, 0, n);
    assertEquals(Activation.LEAKY_SLOPE, d1[0], "leaky_relu'(0) = slope");
    k.activationDerivatives(Activation.ELU, x, 0, d1, 0, d2, 0, n);
    assertEquals(1.0, d1[0], "elu'(0) = α e⁰ from the negative side");
    assertEquals(1.0, d2[0], "elu''(0) = α e⁰ from the negative side");
    k.activation(Activation.SOFTPLUS, x, 0, v, 0, n);
    k.activationDerivatives(Activation.SOFTPLUS, x, 0, d1, 0, d2, 0, n);
    assertClose(thr + Math.exp(-thr), v[2], 4 * EPS * thr, "softplus(20) = log1p(e^20), not linear yet");
    assertEquals(Math.nextUp(thr), v[3], 0.0, "softplus linear beyond 20");
    assertEquals(1.0, d1[3], 0.0, "softplus' = 1 beyond 20");
    assertEquals(0.0, d2[3], 0.0, "softplus'' = 0 beyond 20");
    assertTrue(d2[2] > 0, "softplus''(20) = σ(20)(1 − σ(20)) > 0");
  }

  /**
   * NaN through relu and leaky_relu as PyTorch 2.13 (float64 and float32; torch.relu, F.leaky_relu and their
   * backward): the value stays NaN, so an overflow upstream reaches the loss instead of being zeroed; relu's slope at
   * NaN is 1 (PyTorch's backward tests the output, and NaN ≤ 0 fails), leaky_relu's the negative slope. relu(−0.0) is
   * +0.0 (PyTorch gives either sign, by code path), leaky_relu(−0.0) is −0.0 as in PyTorch.
   */
  @ParameterizedTest
  @MethodSource("backEnds")
  void nanPassesThroughTheKinkedActivationsAsInPyTorch(Kernels k) {
    int n = 21;  // past two vectors of 8: the vector loops and the tails both see NaN
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = i % 2 == 0 ? Double.NaN : -0.0;
    float[] xf = new float[n];
    for (int i = 0; i < n; i++) xf[i] = (float) x[i];
    double[] ones = new double[n];
    float[] onesF = new float[n];
    java.util.Arrays.fill(ones, 1.0);
    java.util.Arrays.fill(onesF, 1f);
    for (Activation f : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
      double below = f == Activation.RELU ? 0.0 : Activation.LEAKY_SLOPE;
      double atNaN = f == Activation.RELU ? 1.0 : Activation.LEAKY_SLOPE;
      double[] v = new double[n], b = new double[n], d1 = new double[n];
      float[] vf = new float[n], bf = new float[n], d1f = new float[n];
      k.activation(f, x, 0, v, 0, n);
      k.activationBackward(f, x, 0, ones, 0, b, 0, n);
      k.activationDerivatives(f, x, 0, d1, 0, null, 0, n);
      k.activation(f, xf, 0, vf, 0, n);
      k.activationBackward(f, xf, 0, onesF, 0, bf, 0, n);
      k.activationDerivatives(f, xf, 0, d1f, 0, null, 0, n);
      for (int i = 0; i < n; i++) {
        String at = f + " at " + x[i] + " (" + i + ")";
        if (i % 2 == 0) {
          assertTrue(Double.isNaN(v[i]) && Float.isNaN(vf[i]), "value NaN, " + at);
          assertEquals(atNaN, b[i], 0.0, "backward, " + at);
          assertEquals(atNaN, d1[i], 0.0, "d1, " + at);
          assertEquals((float) atNaN, bf[i], 0f, "float backward, " + at);
          assertEquals((float) atNaN, d1f[i], 0f, "float d1, " + at);
        } else {
          double zero = f == Activation.RELU ? 0.0 : -0.0;  // slope · (−0.0) for leaky_relu, as PyTorch
          assertEquals(Double.doubleToRawLongBits(zero), Double.doubleToRawLongBits(v[i]), "value " + zero + ", " + at);
          assertEquals(Float.floatToRawIntBits((float) zero), Float.floatToRawIntBits(vf[i]), "float value, " + at);
          assertEquals(below, d1[i], 0.0, "d1 below the kink, " + at);
        }
      }
    }
  }

  // ---- output-form tangent and curvature of tanh and the logistic function ------------------------

  /**
   * outputTangent and outputCurvature take f' and f'' from the output a = f(x); the reference is Activation's d1 and
   * d2 at x (a different formula: from x, not a). a carries a relative rounding error ≤ ε, which 1 − a² (resp.
   * a(1 − a)) turns into an absolute error ≤ 4ε, so |Δ| ≤ 16ε (|dx| + |reference|) (and |out| for the sum).
   * The float overloads against the double kernel on the widened floats: the reference's rounded once, bit for bit;
   * the Panama kernels' (float arithmetic in float lanes: at most four roundings for a tangent, seven for a curvature
   * term and its sum) within 5u |tangent| and 8u (|term| + |out|), u = 2⁻²⁴.
   */
  @ParameterizedTest
  @MethodSource("backEnds")
  void outputFormDerivativesAgainstTheirClosedForms(Kernels k) {
    Random r = new Random(11);
    for (Activation f : new Activation[] {Activation.TANH, Activation.SIGMOID}) {
      for (int n : LENGTHS) {
        double[] x = gaussian(r, n + 3);
        for (int i = 0; i < x.length; i++) x[i] *= 3;  // into the saturated range too
        double[] a = new double[n + 3];
        for (int i = 0; i < a.length; i++) a[i] = f.value(x[i]);
        double[] dx = gaussian(r, n + 1), g = gaussian(r, n + 2);
        double[] t = new double[n + 4];
        double[] acc = gaussian(r, n + 5);
        double[] acc0 = acc.clone();
        k.outputTangent(f, a, 3, dx, 1, t, 4, n);
        k.outputCurvature(f, a, 3, dx, 1, g, 2, acc, 5, n);
        for (int i = 0; i < n; i++) {
          double d1 = f.d1(x[3 + i]) * dx[1 + i];
          double d2 = f.d2(x[3 + i]) * dx[1 + i] * g[2 + i];
          assertClose(d1, t[4 + i], 16 * EPS * (Math.abs(dx[1 + i]) + Math.abs(d1)), f + " tangent n=" + n + " at " + i);
          assertClose(acc0[5 + i] + d2, acc[5 + i],
              16 * EPS * (Math.abs(dx[1 + i] * g[2 + i]) + Math.abs(d2) + Math.abs(acc0[5 + i])),
              f + " curvature n=" + n + " at " + i);
        }

        float[] af = new float[a.length], dxf = new float[dx.length], gf = new float[g.length];
        float[] tf = new float[t.length], accf = new float[acc0.length];
        for (int i = 0; i < a.length; i++) af[i] = (float) a[i];
        for (int i = 0; i < dx.length; i++) dxf[i] = (float) dx[i];
        for (int i = 0; i < g.length; i++) gf[i] = (float) g[i];
        for (int i = 0; i < accf.length; i++) accf[i] = (float) acc0[i];
        double[] aw = new double[a.length], dxw = new double[dx.length], gw = new double[g.length];
        double[] tw = new double[t.length], accw = new double[acc0.length];
        for (int i = 0; i < a.length; i++) aw[i] = af[i];
        for (int i = 0; i < dx.length; i++) dxw[i] = dxf[i];
        for (int i = 0; i < g.length; i++) gw[i] = gf[i];
        for (int i = 0; i < accw.length; i++) accw[i] = accf[i];
        k.outputTangent(f, af, 3, dxf, 1, tf, 4, n);
        k.outputCurvature(f, af, 3, dxf, 1, gf, 2, accf, 5, n);
        ScalarKernels.INSTANCE.outputTangent(f, aw, 3, dxw, 1, tw, 4, n);
        ScalarKernels.INSTANCE.outputCurvature(f, aw, 3, dxw, 1, gw, 2, accw, 5, n);
        boolean roundedOnce = k == ScalarKernels.INSTANCE;
        double u = 0x1p-24;
        for (int i = 0; i < t.length; i++) {
          if (roundedOnce || i < 4 || i >= 4 + n) assertEquals((float) tw[i], tf[i], f + " float tangent n=" + n + " at " + i);
          else assertClose(tw[i], tf[i], 5 * u * Math.abs(tw[i]), f + " float tangent n=" + n + " at " + i);
        }
        for (int i = 0; i < acc.length; i++) {
          double before = (float) acc0[i];
          if (roundedOnce || i < 5 || i >= 5 + n) {
            assertEquals((float) accw[i], accf[i], f + " float curvature n=" + n + " at " + i);
          } else {
            assertClose(accw[i], accf[i], 8 * u * (Math.abs(accw[i] - before) + Math.abs(before)),
                f + " float curvature n=" + n + " at " + i);
          }
        }
      }
    }
  }
}
