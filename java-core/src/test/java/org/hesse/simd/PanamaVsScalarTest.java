package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Panama kernel against the scalar one on awkward lengths (empty, shorter than a vector, around one and
 * two vectors, long) at non-zero offsets, with guard cells around each output range that must stay untouched.
 *
 * <p>Tolerances, with ε = 2⁻⁵² (ulp of 1):
 * <ul>
 *   <li>identity, relu, leaky_relu (vector code) and mul, mulMulAdd, axpy, scale, softmaxRows, GELU's value and
 *   first derivative (the scalar code, run by both: these checks guard that contract): bit-identical.</li>
 *   <li>dot, sum, matVec (reassociated, FMA): |Δ| ≤ 2nε Σ|terms| (the standard a-priori bound of recursive
 *   summation, for either order).</li>
 *   <li>outerAdd (FMA vs. multiply-then-add): |Δ| ≤ 2ε(|a| + |s·y|).</li>
 *   <li>tanh, the logistic function and ELU (the Panama kernels' own exp family, within a few ulp of java.lang.Math:
 *   see PanamaExpFamilyTest): 8ε relative, plus 4ε absolute for the derivatives computed as 1 − t² or s(1 − s),
 *   where an ulp of t or s near 1 becomes an absolute error of that size. softplus and GELU run the scalar code in
 *   both.</li>
 * </ul>
 */
class PanamaVsScalarTest {
  static final double EPS = Math.ulp(1.0);
  static final int GUARD = 5;
  static Kernels panama;
  static final Kernels SCALAR = ScalarKernels.INSTANCE;
  static final int LANES = 8; // SPECIES_PREFERRED on this machine; the lengths below also cover 2 and 4 lanes.

  @BeforeAll
  static void load() {
    panama = KernelProvider.panamaOrNull();
  }

  static int[] lengths() {
    int l = lanes();
    return IntStream.of(0, 1, 2, 3, l - 1, l, l + 1, 2 * l + 3, 4 * l - 1, 4 * l, 4 * l + 5, 8 * l + 7, 1003)
        .filter(n -> n >= 0).distinct().toArray();
  }

  static int lanes() {
    String name = panama == null ? "panama(8 x double)" : panama.name();
    return Integer.parseInt(name.replaceAll("\\D+", " ").trim().split(" ")[0]);
  }

  static Stream<Integer> lengthStream() {
    panama = KernelProvider.panamaOrNull();
    return Arrays.stream(lengths()).boxed();
  }

  /** Values spanning every activation regime: negatives, exact zeros, the softplus threshold, large |x|. */
  static double[] awkward(Random r, int size) {
    double[] special = {0.0, -0.0, 1e-300, -1e-300, 20.0, Math.nextUp(20.0), Math.nextDown(20.0), 19.5, 20.5, -20.0,
        35.0, -35.0, 40.0, -40.0, 700.0, -700.0, 800.0, -800.0, 1e-8, -1e-8, 1.0, -1.0, 0.5, -3.0};
    double[] x = new double[size];
    for (int i = 0; i < size; i++) {
      switch (r.nextInt(5)) {
        case 0: x[i] = special[r.nextInt(special.length)]; break;
        case 1: x[i] = 20.0 + r.nextGaussian(); break;
        case 2: x[i] = 40.0 * (r.nextDouble() - 0.5); break;
        default: x[i] = 2.0 * r.nextGaussian(); break;
      }
    }
    return x;
  }

  static double[] gaussian(Random r, int size) {
    double[] x = new double[size];
    for (int i = 0; i < size; i++) x[i] = r.nextGaussian();
    return x;
  }

  private static void assumePanama() {
    assumeTrue(panama != null, "jdk.incubator.vector not in the boot layer: Panama kernels not available");
  }

  /** Output arrays: [GUARD cells of NaN-free sentinels | n outputs | GUARD sentinels], same start for both back ends. */
  static double[] sentinelArray(int off, int n, Random r) {
    double[] a = new double[off + n + GUARD];
    for (int i = 0; i < a.length; i++) a[i] = 1000 + r.nextGaussian();
    return a;
  }

  static void assertGuardsEqual(double[] expected, double[] actual, int off, int n, String what) {
    for (int i = 0; i < off; i++) assertEquals(expected[i], actual[i], what + ": cell " + i + " before the range written");
    for (int i = off + n; i < expected.length; i++) assertEquals(expected[i], actual[i], what + ": cell " + i + " after the range written");
  }

  static void assertClose(double expected, double actual, double tol, String what) {
    assertTrue(Math.abs(expected - actual) <= tol || (Double.isNaN(expected) && Double.isNaN(actual))
            || expected == actual,
        () -> what + ": expected " + expected + " got " + actual + " (|Δ| = " + Math.abs(expected - actual) + " > " + tol + ")");
  }

  // ---- level 1 -------------------------------------------------------------------------------------

  @ParameterizedTest(name = "n={0}")
  @MethodSource("lengthStream")
  void dotAndSum(int n) {
    assumePanama();
    Random r = new Random(11 + n);
    double[] x = gaussian(r, n + 3), y = gaussian(r, n + 5);
    double bound = 0, abs = 0;
    for (int i = 0; i < n; i++) {
      bound += Math.abs(x[3 + i] * y[5 + i]);
      abs += Math.abs(x[3 + i]);
    }
    assertClose(SCALAR.dot(x, 3, y, 5, n), panama.dot(x, 3, y, 5, n), 2 * (n + 1) * EPS * bound, "dot n=" + n);
    assertClose(SCALAR.sum(x, 3, n), panama.sum(x, 3, n), 2 * (n + 1) * EPS * abs, "sum n=" + n);
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("lengthStream")
  void elementwiseProductsAreBitIdentical(int n) {
    assumePanama();
    Random r = new Random(23 + n);
    double[] x = gaussian(r, n + 1), y = gaussian(r, n + 2), z = gaussian(r, n + 3);
    double[] o1 = sentinelArray(4, n, r), o2 = o1.clone();
    SCALAR.mul(x, 1, y, 2, o1, 4, n);
    panama.mul(x, 1, y, 2, o2, 4, n);
    assertGuardsEqual(o1, o2, 4, n, "mul");
    for (int i = 0; i < n; i++) assertEquals(o1[4 + i], o2[4 + i], "mul at " + i);

    double[] a1 = sentinelArray(6, n, r), a2 = a1.clone();
    SCALAR.mulMulAdd(x, 1, y, 2, z, 3, a1, 6, n);
    panama.mulMulAdd(x, 1, y, 2, z, 3, a2, 6, n);
    assertGuardsEqual(a1, a2, 6, n, "mulMulAdd");
    for (int i = 0; i < n; i++) assertEquals(a1[6 + i], a2[6 + i], "mulMulAdd at " + i);

    double[] b1 = sentinelArray(2, n, r), b2 = b1.clone();
    SCALAR.axpy(-0.75, x, 1, b1, 2, n);
    panama.axpy(-0.75, x, 1, b2, 2, n);
    SCALAR.scale(1.5, b1, 2, n);
    panama.scale(1.5, b2, 2, n);
    assertGuardsEqual(b1, b2, 2, n, "axpy+scale");
    for (int i = 0; i < n; i++) assertEquals(b1[2 + i], b2[2 + i], "axpy+scale at " + i);
  }

  // ---- activations -------------------------------------------------------------------------------

  static Stream<Arguments> activationsAndLengths() {
    panama = KernelProvider.panamaOrNull();
    return Arrays.stream(Activation.values())
        .flatMap(f -> Arrays.stream(lengths()).mapToObj(n -> Arguments.of(f, n)));
  }

  static boolean exactInBothBackEnds(Activation f) {
    return f == Activation.IDENTITY || f == Activation.RELU || f == Activation.LEAKY_RELU;
  }

  /** 8ε relative; plus 4ε absolute where the formula is 1 − t² or s(1 − s) (see the class comment). */
  static double tol(Activation f, double expected, boolean derivative) {
    if (exactInBothBackEnds(f)) return 0.0;
    double abs = derivative && (f == Activation.TANH || f == Activation.SIGMOID || f == Activation.SOFTPLUS) ? 4 * EPS : 0.0;
    return 8 * EPS * Math.abs(expected) + abs;
  }

  @ParameterizedTest(name = "{0} n={1}")
  @MethodSource("activationsAndLengths")
  void activationKernels(Activation f, int n) {
    assumePanama();
    Random r = new Random(31L * n + f.ordinal());
    double[] x = awkward(r, n + 7);
    double[] g = gaussian(r, n + 2);
    int xo = 7, go = 2;

    double[] v1 = sentinelArray(3, n, r), v2 = v1.clone();
    SCALAR.activation(f, x, xo, v1, 3, n);
    panama.activation(f, x, xo, v2, 3, n);
    assertGuardsEqual(v1, v2, 3, n, f + " value");
    for (int i = 0; i < n; i++) assertClose(v1[3 + i], v2[3 + i], tol(f, v1[3 + i], false), f + " value at x=" + x[xo + i]);

    double[] b1 = sentinelArray(5, n, r), b2 = b1.clone();
    SCALAR.activationBackward(f, x, xo, g, go, b1, 5, n);
    panama.activationBackward(f, x, xo, g, go, b2, 5, n);
    assertGuardsEqual(b1, b2, 5, n, f + " backward");
    for (int i = 0; i < n; i++) {
      // the derivative's tolerance scaled by |g|, plus the rounding of the product
      double t = tol(f, f.d1(x[xo + i]), true) * Math.abs(g[go + i]) + 2 * EPS * Math.abs(b1[5 + i]);
      assertClose(b1[5 + i], b2[5 + i], exactInBothBackEnds(f) ? 0.0 : t, f + " backward at x=" + x[xo + i]);
    }

    double[] d11 = sentinelArray(1, n, r), d12 = d11.clone(), d21 = sentinelArray(4, n, r), d22 = d21.clone();
    SCALAR.activationDerivatives(f, x, xo, d11, 1, d21, 4, n);
    panama.activationDerivatives(f, x, xo, d12, 1, d22, 4, n);
    assertGuardsEqual(d11, d12, 1, n, f + " d1");
    assertGuardsEqual(d21, d22, 4, n, f + " d2");
    for (int i = 0; i < n; i++) {
      assertClose(d11[1 + i], d12[1 + i], tol(f, d11[1 + i], true), f + " d1 at x=" + x[xo + i]);
      assertClose(d21[4 + i], d22[4 + i], tol(f, d21[4 + i], true), f + " d2 at x=" + x[xo + i]);
    }
    // either output may be null
    double[] only2 = new double[n];
    panama.activationDerivatives(f, x, xo, null, 0, only2, 0, n);
    for (int i = 0; i < n; i++) assertEquals(d22[4 + i], only2[i], f + " d2 alone");
    double[] only1 = new double[n];
    panama.activationDerivatives(f, x, xo, only1, 0, null, 0, n);
    for (int i = 0; i < n; i++) assertEquals(d12[1 + i], only1[i], f + " d1 alone");
  }

  @Test
  void geluValueAndFirstDerivativeAreTheScalarOnes() {
    assumePanama();
    Random r = new Random(5);
    double[] x = awkward(r, 203);
    double[] a = new double[203], b = new double[203];
    SCALAR.activation(Activation.GELU, x, 0, a, 0, 203);
    panama.activation(Activation.GELU, x, 0, b, 0, 203);
    assertEquals(Arrays.toString(a), Arrays.toString(b));
    SCALAR.activationDerivatives(Activation.GELU, x, 0, a, 0, null, 0, 203);
    panama.activationDerivatives(Activation.GELU, x, 0, b, 0, null, 0, 203);
    assertEquals(Arrays.toString(a), Arrays.toString(b));
  }

  /**
   * The tests above run mostly interpreted, where the Vector API falls back to per-lane Math.* calls. Here each
   * kernel is called often enough for C2 to compile it (and so use the SVML intrinsics), then checked again.
   */
  @Test
  void compiledKernelsStillAgree() {
    assumePanama();
    Random r = new Random(99);
    int n = 4099;
    double[] x = awkward(r, n), g = gaussian(r, n);
    double[] s1 = new double[n], s2 = new double[n], p1 = new double[n], p2 = new double[n];
    for (Activation f : Activation.values()) {
      for (int rep = 0; rep < 150; rep++) {
        panama.activation(f, x, 0, p1, 0, n);
        panama.activationDerivatives(f, x, 0, p1, 0, p2, 0, n);
      }
      panama.activation(f, x, 0, p1, 0, n);
      SCALAR.activation(f, x, 0, s1, 0, n);
      for (int i = 0; i < n; i++) assertClose(s1[i], p1[i], tol(f, s1[i], false), f + " compiled value at x=" + x[i]);
      panama.activationDerivatives(f, x, 0, p1, 0, p2, 0, n);
      SCALAR.activationDerivatives(f, x, 0, s1, 0, s2, 0, n);
      for (int i = 0; i < n; i++) {
        assertClose(s1[i], p1[i], tol(f, s1[i], true), f + " compiled d1 at x=" + x[i]);
        assertClose(s2[i], p2[i], tol(f, s2[i], true), f + " compiled d2 at x=" + x[i]);
      }
    }
    int rows = 41, cols = 100;
    double[] z = new double[rows * cols];
    for (int i = 0; i < z.length; i++) z[i] = 30 * r.nextGaussian();
    double[] o1 = new double[z.length], o2 = new double[z.length];
    double d = 0;
    for (int rep = 0; rep < 300; rep++) {
      panama.softmaxRows(z, 0, o2, 0, rows, cols);
      d += panama.dot(x, 0, g, 0, n);
    }
    SCALAR.softmaxRows(z, 0, o1, 0, rows, cols);
    for (int i = 0; i < z.length; i++) assertEquals(o1[i], o2[i], 0.0, "compiled softmax at " + i);
    double bound = 0;
    for (int i = 0; i < n; i++) bound += Math.abs(x[i] * g[i]);
    assertClose(SCALAR.dot(x, 0, g, 0, n) * 301, d + panama.dot(x, 0, g, 0, n), 301 * 2 * (n + 1) * EPS * bound + 301 * EPS * Math.abs(d), "compiled dot");
  }

  // ---- small dense --------------------------------------------------------------------------------

  static Stream<Arguments> shapes() {
    panama = KernelProvider.panamaOrNull();
    int[] ls = lengths();
    int[] rows = {0, 1, 3, 4, 5, 9};
    return Arrays.stream(rows).boxed().flatMap(m -> Arrays.stream(ls).mapToObj(n -> Arguments.of(m, n)));
  }

  @ParameterizedTest(name = "{0} x {1}")
  @MethodSource("shapes")
  void softmaxRows(int rows, int cols) {
    assumePanama();
    Random r = new Random(rows * 1000L + cols);
    double[] x = new double[2 + rows * cols];
    for (int i = 0; i < x.length; i++) x[i] = 30 * r.nextGaussian();
    double[] o1 = sentinelArray(3, rows * cols, r), o2 = o1.clone();
    SCALAR.softmaxRows(x, 2, o1, 3, rows, cols);
    panama.softmaxRows(x, 2, o2, 3, rows, cols);
    assertGuardsEqual(o1, o2, 3, rows * cols, "softmax");
    for (int i = 0; i < rows * cols; i++) assertEquals(o1[3 + i], o2[3 + i], 0.0, "softmax " + rows + "x" + cols + " at " + i);
  }

  @ParameterizedTest(name = "{0} x {1}")
  @MethodSource("shapes")
  void outerAddAndMatVec(int m, int n) {
    assumePanama();
    Random r = new Random(m * 7919L + n);
    double[] x = gaussian(r, m + 1), y = gaussian(r, n + 2);
    double[] a1 = sentinelArray(4, m * n, r), a2 = a1.clone();
    double[] a0 = a1.clone();
    double alpha = -1.25;
    SCALAR.outerAdd(alpha, x, 1, y, 2, a1, 4, m, n);
    panama.outerAdd(alpha, x, 1, y, 2, a2, 4, m, n);
    assertGuardsEqual(a1, a2, 4, m * n, "outerAdd");
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int k = 4 + i * n + j;
        double t = 2 * EPS * (Math.abs(a0[k]) + Math.abs(alpha * x[1 + i] * y[2 + j]));
        assertClose(a1[k], a2[k], t, "outerAdd (" + i + "," + j + ")");
      }
    }

    double[] xv = gaussian(r, n + 3);
    double[] y1 = sentinelArray(2, m, r), y2 = y1.clone();
    SCALAR.matVec(a1, 4, m, n, xv, 3, y1, 2);
    panama.matVec(a1, 4, m, n, xv, 3, y2, 2);
    assertGuardsEqual(y1, y2, 2, m, "matVec");
    for (int i = 0; i < m; i++) {
      double bound = 0;
      for (int j = 0; j < n; j++) bound += Math.abs(a1[4 + i * n + j] * xv[3 + j]);
      assertClose(y1[2 + i], y2[2 + i], 2 * (n + 1) * EPS * bound, "matVec row " + i);
    }
  }
}
