package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Objective;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hessian and GGN products against finite differences, dense references and their algebraic identities. */
public class CurvatureTest {
  static final int N = 9;

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (Activation a : Activation.values()) {
      for (String loss : new String[] {"cross_entropy", "mse"}) b.add(Arguments.of(a, loss));
    }
    return b.build();
  }

  static final class Setup {
    final Network net;
    final double[] theta;
    final double[] x;
    final double[] y;
    final Curvature curv;

    Setup(Activation act, String loss, int batch) {
      net = Nets.mlp(4, 6, 5, 3, act, loss);
      theta = Init.PYTORCH.init(net, 17);
      x = Nets.features(N, 4, 1.0, 18);
      y = Nets.targets(net, N, 19);
      curv = Curvature.of(net, theta, x, y, batch);
    }

    double[] gradient(double[] t) {
      double[] g = new double[t.length];
      new Objective(net, x, y, N).lossAndGradient(t, g);
      return g;
    }
  }

  public static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) m = Math.max(m, Math.abs(v));
    return m;
  }

  public static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void hessianVectorMatchesFiniteDifferencesOfTheGradient(Activation act, String loss) {
    Setup s = new Setup(act, loss, 4);
    CurvatureChecks.hvpMatchesCentralDifferences(s.curv, s.theta, s::gradient, 3, 1e-5);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void productsAreSymmetric(Activation act, String loss) {
    Setup s = new Setup(act, loss, 4);
    for (Kind kind : Kind.values()) {
      CurvatureOperator op = s.curv.full(kind);
      double[] u = Nets.gaussian(op.cols(), 1.0, 5);
      double[] v = Nets.gaussian(op.cols(), 1.0, 6);
      double[] hu = new double[u.length];
      double[] hv = new double[v.length];
      op.apply(u, hu);
      op.apply(v, hv);
      double a = dot(u, hv);
      double b = dot(v, hu);
      assertEquals(a, b, 1e-10 * Math.max(Math.abs(a), maxAbs(hv) * maxAbs(u)), kind.id);
    }
  }

  /** Column j of the full operator. */
  public static double[][] dense(CurvatureOperator op) {
    double[][] m = new double[op.rows()][op.cols()];
    double[] e = new double[op.cols()];
    double[] col = new double[op.rows()];
    for (int j = 0; j < op.cols(); j++) {
      e[j] = 1;
      op.apply(e, col);
      e[j] = 0;
      for (int i = 0; i < op.rows(); i++) m[i][j] = col[i];
    }
    return m;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void blocksAreSlicesOfTheFullMatrix(Activation act, String loss) {
    Setup s = new Setup(act, loss, 4);
    Network net = s.net;
    List<Integer> layers = net.parametrisedLayers();
    for (Kind kind : Kind.values()) {
      double[][] full = dense(s.curv.full(kind));
      double scale = 0;
      for (double[] r : full) scale = Math.max(scale, maxAbs(r));
      for (int row : layers) {
        for (int col : layers) {
          double[][] block = dense(s.curv.block(kind, row, col));
          int ro = net.offset(row);
          int co = net.offset(col);
          for (int i = 0; i < block.length; i++) {
            for (int j = 0; j < block[0].length; j++) {
              assertEquals(full[ro + i][co + j], block[i][j], 1e-13 * scale, kind.id + " block " + row + "," + col);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void ggnIsPositiveSemidefiniteAndDiffersFromHessianOnlyWhereCurvatureIs(Activation act, String loss) {
    Setup s = new Setup(act, loss, 9);
    CurvatureOperator g = s.curv.full(Kind.GGN);
    for (int seed = 0; seed < 5; seed++) {
      double[] v = Nets.gaussian(g.cols(), 1.0, 100 + seed);
      double[] gv = new double[v.length];
      g.apply(v, gv);
      assertTrue(dot(v, gv) >= -1e-14 * dot(v, v), "vᵀGv = " + dot(v, gv));
    }
  }

  @Test
  void checkBatteryPassesOnAnMlp() {
    Setup s = new Setup(Activation.SOFTPLUS, "cross_entropy", 4);
    CurvatureChecks.all(s.net, s.theta, s.x, s.y, 4);
  }

  @Test
  void hessianEqualsGgnForASingleAffineLayer() {
    for (String loss : new String[] {"cross_entropy", "mse"}) {
      Network net = Network.builder(5).dense(3).build(loss);
      double[] theta = Init.PYTORCH.init(net, 1);
      double[] x = Nets.features(7, 5, 1.0, 2);
      Curvature c = Curvature.of(net, theta, x, Nets.targets(net, 7, 3), 3);
      assertMatricesEqual(dense(c.full(Kind.HESSIAN)), dense(c.full(Kind.GGN)), 1e-15, loss);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void diagonalBlocksOfPiecewiseLinearNetworksEqualTheGgn(Activation act, String loss) {
    if (!act.piecewiseLinear()) return;
    Setup s = new Setup(act, loss, 4);
    for (int l : s.net.parametrisedLayers()) {
      assertMatricesEqual(dense(s.curv.block(Kind.HESSIAN, l)), dense(s.curv.block(Kind.GGN, l)), 1e-14, "layer " + l);
    }
    // ... while an off-diagonal block differs by the g-carrying terms (g V and gᵀ dx)
    double[][] h = dense(s.curv.block(Kind.HESSIAN, 2, 0));
    double[][] g = dense(s.curv.block(Kind.GGN, 2, 0));
    double diff = 0;
    for (int i = 0; i < h.length; i++) for (int j = 0; j < h[0].length; j++) diff = Math.max(diff, Math.abs(h[i][j] - g[i][j]));
    assertTrue(diff > 1e-8, "off-diagonal H and G blocks should differ, max diff " + diff);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void manyVectorApplyEqualsSingleApplies(Activation act, String loss) {
    Setup s = new Setup(act, loss, 4);
    for (Kind kind : Kind.values()) {
      for (CurvatureOperator op : new CurvatureOperator[] {s.curv.full(kind), s.curv.block(kind, 2), s.curv.block(kind, 4, 2)}) {
        CurvatureChecks.manyEqualsSingles(op);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void productIsIndependentOfBatching(Activation act, String loss) {
    Setup whole = new Setup(act, loss, N);
    Setup batched = new Setup(act, loss, 2);
    double[] v = Nets.gaussian(whole.theta.length, 1.0, 4);
    for (Kind kind : Kind.values()) {
      double[] a = new double[v.length];
      double[] b = new double[v.length];
      whole.curv.full(kind).apply(v, a);
      batched.curv.full(kind).apply(v, b);
      for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-13 * maxAbs(a));
    }
  }

  @Test
  void layerQuadraticFormsSumToTheFullOne() {
    Setup s = new Setup(Activation.TANH, "cross_entropy", 4);
    double[] v = Nets.gaussian(s.theta.length, 1.0, 8);
    double[] per = s.curv.layerQuadraticForms(Kind.HESSIAN, v);
    double[] hv = new double[v.length];
    s.curv.full(Kind.HESSIAN).apply(v, hv);
    double total = 0;
    for (double p : per) total += p;
    assertEquals(dot(v, hv), total, 1e-12 * Math.abs(dot(v, hv)));
    // each is Σ_m v_lᵀ H_lm v_m over the blocks of its row (so its mean over probes is tr H_ll)
    int i = 0;
    for (int l : s.net.parametrisedLayers()) {
      double expected = 0;
      for (int m : s.net.parametrisedLayers()) {
        CurvatureOperator b = s.curv.block(Kind.HESSIAN, l, m);
        double[] vm = java.util.Arrays.copyOfRange(v, s.net.offset(m), s.net.offset(m) + b.cols());
        double[] out = new double[b.rows()];
        b.apply(vm, out);
        expected += dot(java.util.Arrays.copyOfRange(v, s.net.offset(l), s.net.offset(l) + b.rows()), out);
      }
      assertEquals(expected, per[i++], 1e-12 * maxAbs(hv) * v.length);
    }
  }

  static void assertMatricesEqual(double[][] a, double[][] b, double relTol, String what) {
    double scale = 0;
    for (double[] r : a) scale = Math.max(scale, maxAbs(r));
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) assertEquals(a[i][j], b[i][j], relTol * scale + 1e-300, what + " (" + i + "," + j + ")");
    }
  }
}
