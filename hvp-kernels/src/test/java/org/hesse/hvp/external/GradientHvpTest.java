package org.hesse.hvp.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.hesse.eigen.Arpack;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.Eigen;
import org.hesse.eigen.Which;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * The finite-difference block against the exact Hessian-vector products of {@link Curvature} (within the documented
 * bound, float64 and float32 callbacks) and against a quadratic whose block spectra are known in closed form.
 */
class GradientHvpTest {
  private static final double U64 = GradientHvp.UNIT_ROUNDOFF_64;
  private final Network net = Nets.mlp(3, 5, 4, 3, Activation.TANH, "cross_entropy");
  private final double[] x = Nets.features(8, 3, 1.0, 2);
  private final double[] y = Nets.targets(net, 8, 3);

  private double[] gradient(double[] theta) {
    return Curvature.of(net, theta, x, y, 8).gradient();
  }

  /** (H(θ) w)_S for w = v on S, zero elsewhere, exactly (R-operator). */
  private double[] exactProduct(double[] theta, int[] s, double[] v) {
    double[] w = new double[theta.length];
    for (int k = 0; k < s.length; k++) w[s[k]] = v[k];
    double[] hw = new double[theta.length];
    Curvature.of(net, theta, x, y, 8).full(Curvature.Kind.HESSIAN).apply(w, hw);
    double[] out = new double[s.length];
    for (int k = 0; k < s.length; k++) out[k] = hw[s[k]];
    return out;
  }

  /**
   * τ of the bound: ‖d³/dt³ g_S(θ + t v̂)‖ = ‖d²/dt² (H(θ + t v̂) v̂)_S‖ at t = 0 by a second central difference of
   * exact products (step 1e-3: O(1e-6) relative error), times 2 for the range |t| ≤ h‖v‖ (h‖v‖ &lt; 0.01).
   */
  private double tau(double[] theta, int[] s, double[] v) {
    double vn = norm(v);
    double[] unit = v.clone();
    for (int k = 0; k < unit.length; k++) unit[k] /= vn;
    double step = 1e-3;
    double[] tp = theta.clone();
    double[] tm = theta.clone();
    for (int k = 0; k < s.length; k++) {
      tp[s[k]] += step * unit[k];
      tm[s[k]] -= step * unit[k];
    }
    double[] p = exactProduct(tp, s, unit);
    double[] c = exactProduct(theta, s, unit);
    double[] m = exactProduct(tm, s, unit);
    double[] d = new double[s.length];
    for (int k = 0; k < d.length; k++) d[k] = (p[k] - 2 * c[k] + m[k]) / (step * step);
    return 2 * norm(d);
  }

  /** ‖H_SS‖ from the dense exact block. */
  private double blockNorm(double[] theta, int[] s) {
    LinearOperator exact = new LinearOperator() {
      @Override public int dim() { return s.length; }
      @Override public void apply(double[] v, double[] out) {
        System.arraycopy(exactProduct(theta, s, v), 0, out, 0, s.length);
      }
    };
    double[] ev = Eigen.full(exact, false).eigenvalues();
    return Math.max(Math.abs(ev[0]), Math.abs(ev[ev.length - 1]));
  }

  private static double[] select(double[] a, int[] s) {
    double[] out = new double[s.length];
    for (int k = 0; k < s.length; k++) out[k] = a[s[k]];
    return out;
  }

  /** Blocks: the last layer's parameters, and indices scattered over all three layers. */
  private int[][] blocks() {
    int last = net.depth() - 1;
    return new int[][] {
        GradientHvp.range(net.offset(last), net.layer(last).paramCount()),
        {0, 7, 19, 20, 33, net.paramCount() - 1}};
  }

  @Test
  void float64CallbackIsWithinTheBoundOfTheExactProduct() {
    double[] theta = Init.XAVIER.init(net, 1);
    for (int[] s : blocks()) {
      GradientHvp op = GradientHvp.of((t, g) -> System.arraycopy(gradient(t), 0, g, 0, g.length), theta, s);
      double[] v = Nets.gaussian(s.length, 1.0, 5);
      double[] got = new double[s.length];
      op.apply(v, got);
      double[] ref = exactProduct(theta, s, v);
      // a float64 gradient of a 3-layer net over 8 samples: each entry sums a few hundred O(1) products, so its
      // rounding error stays below 64 u (1 + ‖g‖) (at θ ± h v, ‖g‖ moves by ‖H‖ h ‖v‖ < 1e-4)
      double gradError = 64 * U64 * (1 + norm(select(gradient(theta), s)));
      double bound = op.errorBound(v, tau(theta, s, v), gradError, blockNorm(theta, s));
      double err = norm(diff(got, ref));
      assertTrue(err <= bound, "block " + Arrays.toString(s) + ": error " + err + " > bound " + bound);
      // the bound is the O(u^{2/3}) one, not vacuous: relative 1e-8 here (a forward difference would be off by ~1e-6)
      assertTrue(bound <= 1e-8 * norm(v), "bound " + bound);
    }
  }

  @Test
  void float32CallbackIsWithinTheBoundOfTheExactProduct() {
    double[] theta64 = Init.XAVIER.init(net, 1);
    float[] theta = new float[theta64.length];
    for (int i = 0; i < theta.length; i++) theta[i] = (float) theta64[i];
    double[] base = new double[theta.length];
    for (int i = 0; i < theta.length; i++) base[i] = theta[i];
    GradientHvp.FloatGradient g32 = (t, g) -> {
      double[] t64 = new double[t.length];
      for (int i = 0; i < t.length; i++) t64[i] = t[i];
      double[] g64 = gradient(t64);
      for (int i = 0; i < g.length; i++) g[i] = (float) g64[i];
    };
    for (int[] s : blocks()) {
      GradientHvp op = GradientHvp.ofFloat(g32, theta, s);
      double[] v = Nets.gaussian(s.length, 1.0, 6);
      double[] got = new double[s.length];
      op.apply(v, got);
      double[] ref = exactProduct(base, s, v);
      // the callback rounds each entry to float (≤ u32 |g_i|) at θ ± h v: ε_g = u32 max ‖g_S(θ ± h v)‖ + float64 error
      double h = op.step(norm(v));
      double[] tp = base.clone();
      double[] tm = base.clone();
      for (int k = 0; k < s.length; k++) {
        tp[s[k]] += h * v[k];
        tm[s[k]] -= h * v[k];
      }
      double gMax = Math.max(norm(select(gradient(tp), s)), norm(select(gradient(tm), s)));
      double gradError = GradientHvp.UNIT_ROUNDOFF_32 * gMax + 64 * U64 * (1 + gMax);
      double bound = op.errorBound(v, tau(base, s, v), gradError, blockNorm(base, s));
      double err = norm(diff(got, ref));
      assertTrue(err <= bound, "block " + Arrays.toString(s) + ": error " + err + " > bound " + bound);
      assertTrue(bound <= 1e-3 * norm(v), "bound " + bound);
    }
  }

  /** g(θ) = c·Aθ − b with A = tridiag(−1, 2, −1) of size 30: a block on m consecutive indices is tridiag of size m. */
  private static final int N = 30;
  private static final double C = 3.0;

  private static void quadraticGradient(double[] t, double[] g) {
    for (int i = 0; i < N; i++) {
      double a = 2 * t[i] - (i > 0 ? t[i - 1] : 0) - (i < N - 1 ? t[i + 1] : 0);
      g[i] = C * a - 0.5 * (i % 3);
    }
  }

  @Test
  void quadraticBlockSpectraAreTheClosedForm() {
    double[] theta = Nets.gaussian(N, 2.0, 9);
    int m = 20;
    GradientHvp op = GradientHvp.of(GradientHvpTest::quadraticGradient, theta, GradientHvp.range(5, m));
    // tridiag(−1, 2, −1) of size m: eigenvalues 2 − 2 cos(kπ/(m+1)), k = 1..m
    double[] closed = new double[m];
    for (int k = 1; k <= m; k++) closed[k - 1] = C * (2 - 2 * Math.cos(k * Math.PI / (m + 1)));
    // no truncation (τ = 0); ε_g: 3-term sums of values ≤ C·3‖θ‖∞ + 1, 4 u each; ‖A_SS‖ ≤ 4C
    double thetaMax = Arrays.stream(theta).map(Math::abs).max().orElseThrow() + 1;
    double[] e0 = new double[m];
    e0[0] = 1;
    double opError = op.errorBound(e0, 0, 4 * U64 * Math.sqrt(m) * (3 * C * thetaMax + 1), 4 * C);
    double tol = 1e-9;
    ArpackResult top = Arpack.request(3).which(Which.LA).tol(tol).solve(op);
    ArpackResult bottom = Arpack.request(2).which(Which.SA).tol(tol).solve(op);
    // |λ̃ − λ| ≤ ARPACK's residual (≤ tol |λ|) + the operator's error (Weyl)
    for (int j = 0; j < 3; j++) {
      assertEquals(closed[m - 3 + j], top.eigenvalues()[j], tol * closed[m - 1] + opError);
    }
    for (int j = 0; j < 2; j++) assertEquals(closed[j], bottom.eigenvalues()[j], tol * closed[m - 1] + opError);
    assertTrue(opError < 1e-8, "operator error bound " + opError);
  }

  @Test
  void scatteredBlockOfTheQuadraticHasTheClosedFormSpectrum() {
    double[] theta = Nets.gaussian(N, 2.0, 10);
    // indices {0}, {5, 6, 7}, {20}: A_SS = blockdiag(2, tridiag(−1, 2, −1)_3, 2), eigenvalues 2, 2, 2 and 2 ± √2
    GradientHvp op = GradientHvp.of(GradientHvpTest::quadraticGradient, theta, new int[] {20, 5, 0, 6, 7});
    double[] ev = Eigen.full(op, false).eigenvalues();
    double[] closed = {C * (2 - Math.sqrt(2)), 2 * C, 2 * C, 2 * C, C * (2 + Math.sqrt(2))};
    double thetaMax = Arrays.stream(theta).map(Math::abs).max().orElseThrow() + 1;
    double[] e0 = {1, 0, 0, 0, 0};
    // the materialised matrix's error: its 5 columns, each within the bound, so ‖E‖₂ ≤ ‖E‖_F ≤ √5 · bound
    double colError = op.errorBound(e0, 0, 4 * U64 * Math.sqrt(5) * (3 * C * thetaMax + 1), 4 * C);
    for (int j = 0; j < 5; j++) assertEquals(closed[j], ev[j], Math.sqrt(5) * colError);
  }

  @Test
  void badArgumentsAreRefusedNamingThem() {
    GradientHvp.Gradient g = GradientHvpTest::quadraticGradient;
    double[] theta = new double[N];
    assertEquals("block index 30 outside [0, 30)",
        assertThrows(IllegalArgumentException.class, () -> GradientHvp.of(g, theta, new int[] {1, 30})).getMessage());
    assertEquals("block index 1 given twice",
        assertThrows(IllegalArgumentException.class, () -> GradientHvp.of(g, theta, new int[] {1, 1})).getMessage());
    theta[3] = Double.NaN;
    assertEquals("theta[3] must be finite, got NaN",
        assertThrows(IllegalArgumentException.class, () -> GradientHvp.of(g, theta, new int[] {1})).getMessage());
  }

  private static double[] diff(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
    return d;
  }

  private static double norm(double[] a) {
    double s = 0;
    for (double v : a) s += v * v;
    return Math.sqrt(s);
  }
}
