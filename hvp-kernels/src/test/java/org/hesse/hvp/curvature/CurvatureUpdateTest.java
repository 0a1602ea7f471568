package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Dense;
import org.hesse.nn.Flatten;
import org.hesse.nn.Init;
import org.hesse.nn.LayerNorm;
import org.hesse.nn.MaxPool2d;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Residual;
import org.hesse.simd.Activation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Curvature#update}: a curvature moved to new parameters (and buffers) gives exactly the products, loss and
 * gradient of one built afresh there, through operators handed out before the update. The computation is the same
 * sequence of operations on the same data, so the comparison is bit for bit.
 */
class CurvatureUpdateTest {
  static final int N = 11;

  @ParameterizedTest
  @EnumSource(value = Activation.class, names = {"TANH", "SIGMOID", "RELU", "GELU"})
  void updatedCurvatureEqualsAFreshOne(Activation act) {
    Network net = Nets.mlp(4, 6, 5, 3, act, "cross_entropy");
    double[] theta1 = Init.PYTORCH.init(net, 1);
    double[] theta2 = Init.PYTORCH.init(net, 2);
    double[] x = Nets.features(N, 4, 1.0, 3);
    double[] y = Nets.targets(net, N, 4);
    Curvature c = Curvature.of(net, theta1, x, y, 4);  // batches of 4, 4, 3
    CurvatureOperator hessian = c.full(Kind.HESSIAN);
    CurvatureOperator ggnBlock = c.block(Kind.GGN, 2);
    double[] v = Nets.gaussian(net.paramCount(), 1.0, 5);
    double[] before = new double[v.length];
    hessian.apply(v, before);
    double[] gradBefore = c.gradient();

    c.update(theta2);
    Curvature fresh = Curvature.of(net, theta2, x, y, 4);
    assertEquals(fresh.loss(), c.loss(), 0.0);
    assertArrayEquals(fresh.gradient(), c.gradient(), 0.0);
    assertArrayEquals(fresh.parameters(), c.parameters(), 0.0);
    double[] hv = new double[v.length];
    double[] expected = new double[v.length];
    hessian.apply(v, hv);
    fresh.full(Kind.HESSIAN).apply(v, expected);
    assertArrayEquals(expected, hv, 0.0);
    double[] vb = java.util.Arrays.copyOf(v, ggnBlock.dim());
    double[] gb = new double[vb.length];
    double[] gbExpected = new double[vb.length];
    ggnBlock.apply(vb, gb);
    fresh.block(Kind.GGN, 2).apply(vb, gbExpected);
    assertArrayEquals(gbExpected, gb, 0.0);

    // and back: the first parameters' answers again
    c.update(theta1);
    hessian.apply(v, hv);
    assertArrayEquals(before, hv, 0.0);
    assertArrayEquals(gradBefore, c.gradient(), 0.0);
  }

  /** [1,6,5] → conv(2, k3, p1) → relu → maxpool(2) → flatten → layer norm → residual[dense, gelu, dense] → dense(3). */
  static Network convNormResidual() {
    Network.Builder b = Network.builder(30).inputShape(1, 6, 5);
    b.add(new Conv2d(b.shape(), 2, 3, 1, 1)).activation(Activation.RELU);
    b.add(new MaxPool2d(b.shape(), 2, 2)).add(new Flatten(b.shape()));
    b.add(new LayerNorm(b.shape()));
    int w = b.shape()[0];
    Residual block = new Residual(new int[] {w}, 0.8,
        List.of(new Dense(w, 5), new ActivationLayer(Activation.GELU, 5), new Dense(5, w)));
    return b.add(block).dense(3).build("cross_entropy");
  }

  /**
   * Every rule that keeps per-batch state (max-pool indices, layer norm statistics, a residual block's inner
   * activations and signals, GELU's σ', σ'') refilled at new parameters: full and block products with k = 2, the
   * weight side (jacobianGram) and the back-matching input side equal those of a fresh Curvature, bit for bit.
   */
  @org.junit.jupiter.api.Test
  void updatedConvNormResidualEqualsAFreshOne() {
    Network net = convNormResidual();
    double[] theta1 = Nets.gaussian(net.paramCount(), 0.5, 11);
    double[] theta2 = Nets.gaussian(net.paramCount(), 0.5, 12);
    double[] x = Nets.features(N, 30, 1.0, 13);
    double[] y = Nets.targets(net, N, 14);
    Curvature c = Curvature.of(net, theta1, x, y, 4);
    List<Integer> layers = net.parametrisedLayers();
    int first = layers.get(0);
    int last = layers.get(layers.size() - 1);
    CurvatureOperator[] before = {c.full(Kind.HESSIAN), c.full(Kind.GGN), c.block(Kind.HESSIAN, last, first)};
    org.hesse.eigen.LinearOperator gram = c.jacobianGram(first);
    BackMatching bm = new BackMatching(c);
    for (CurvatureOperator op : before) op.applyMany(Nets.gaussian(2 * op.cols(), 1.0, 15), new double[2 * op.rows()], 2);
    double[] inputSideBefore = bm.inputSideMatrix(last, 1);

    c.update(theta2);
    Curvature fresh = Curvature.of(net, theta2, x, y, 4);
    CurvatureOperator[] after = {fresh.full(Kind.HESSIAN), fresh.full(Kind.GGN), fresh.block(Kind.HESSIAN, last, first)};
    for (int i = 0; i < before.length; i++) {
      double[] v = Nets.gaussian(2 * before[i].cols(), 1.0, 16 + i);
      double[] got = new double[2 * before[i].rows()];
      double[] expected = new double[got.length];
      before[i].applyMany(v, got, 2);
      after[i].applyMany(v, expected, 2);
      assertArrayEquals(expected, got, 0.0, "operator " + i);
    }
    double[] v = Nets.gaussian(gram.dim(), 1.0, 20);
    double[] got = new double[v.length];
    double[] expected = new double[v.length];
    gram.apply(v, got);
    fresh.jacobianGram(first).apply(v, expected);
    assertArrayEquals(expected, got, 0.0, "jacobianGram");
    double[] inputSide = bm.inputSideMatrix(last, 1);
    assertArrayEquals(new BackMatching(fresh).inputSideMatrix(last, 1), inputSide, 0.0, "back-matching input side");
    assertTrue(maxDiff(inputSideBefore, inputSide) > 0, "the input side depends on the parameters");
    assertArrayEquals(fresh.gradient(), c.gradient(), 0.0);
    assertEquals(fresh.loss(), c.loss(), 0.0);
  }

  /**
   * {@link Curvature#update(double[], double[], double[])}: moved to new parameters and new data (the rules with
   * per-batch state above), full products and per-layer quadratic forms, loss and gradient equal a fresh curvature's
   * on that data, bit for bit.
   */
  @org.junit.jupiter.api.Test
  void updatedOnNewDataEqualsAFreshOne() {
    Network net = convNormResidual();
    double[] theta2 = Nets.gaussian(net.paramCount(), 0.5, 22);
    double[] x2 = Nets.features(N, 30, 1.0, 23);
    double[] y2 = Nets.targets(net, N, 24);
    Curvature c = Curvature.of(net, Nets.gaussian(net.paramCount(), 0.5, 21), Nets.features(N, 30, 1.0, 13),
        Nets.targets(net, N, 14), 4);
    CurvatureOperator op = c.full(Kind.HESSIAN);
    double[] v = Nets.gaussian(2 * op.cols(), 1.0, 25);
    double[][] qBefore = op.quadraticForms(v, 2);
    c.update(theta2, x2, y2);
    Curvature fresh = Curvature.of(net, theta2, x2, y2, 4);
    double[] got = new double[v.length];
    double[] expected = new double[v.length];
    op.applyMany(v, got, 2);
    fresh.full(Kind.HESSIAN).applyMany(v, expected, 2);
    assertArrayEquals(expected, got, 0.0);
    double[][] q = op.quadraticForms(v, 2);
    double[][] qFresh = fresh.full(Kind.HESSIAN).quadraticForms(v, 2);
    for (int i = 0; i < q.length; i++) assertArrayEquals(qFresh[i], q[i], 0.0, "layer " + i);
    assertTrue(maxDiff(qBefore[0], q[0]) > 0, "the forms depend on the data and parameters");
    assertEquals(fresh.loss(), c.loss(), 0.0);
    assertArrayEquals(fresh.gradient(), c.gradient(), 0.0);
  }

  /** New data of another size or with bad targets: one-line error, nothing changed. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1})
  void updateRefusesOtherData(int which) {
    Network net = Nets.mlp(4, 6, 5, 3, Activation.TANH, "cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 1);
    Curvature c = Curvature.of(net, theta, Nets.features(N, 4, 1.0, 3), Nets.targets(net, N, 4), 4);
    double loss = c.loss();
    double[] x = Nets.features(N - which, 4, 1.0, 5);
    double[] y = Nets.targets(net, N - 1, 6);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.update(theta, x, y));
    assertEquals(which == 0 ? "targets: expected 11 × 1 = 11 values, got 10"
        : "data: expected 11 samples (the curvature's), got 10", e.getMessage());
    assertEquals(loss, c.loss(), 0.0);
  }

  static double maxDiff(double[] a, double[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ANALYSIS", "EVAL"})
  void batchNormUpdateTakesNewBuffers(String modeName) {
    Mode mode = Mode.valueOf(modeName);
    Network net = NormalisationCurvatureTest.bn1d("mse");
    double[] theta1 = NormalisationCurvatureTest.theta(net, 6);
    double[] theta2 = NormalisationCurvatureTest.theta(net, 7);
    double[] buffers1 = net.initialBuffers();
    double[] buffers2 = buffers1.clone();
    for (int i = 0; i < buffers2.length; i++) buffers2[i] += 0.1 * (i % 3);  // moved running statistics
    double[] x = Nets.features(N, 4, 1.0, 8);
    double[] y = Nets.targets(net, N, 9);
    Curvature c = Curvature.of(net, theta1, buffers1, mode, x, y, 5);
    CurvatureOperator op = c.full(Kind.HESSIAN);
    c.update(theta2, buffers2);
    Curvature fresh = Curvature.of(net, theta2, buffers2, mode, x, y, 5);
    double[] v = Nets.gaussian(net.paramCount(), 1.0, 10);
    double[] hv = new double[v.length];
    double[] expected = new double[v.length];
    op.apply(v, hv);
    fresh.full(Kind.HESSIAN).apply(v, expected);
    assertArrayEquals(expected, hv, 0.0);
    assertArrayEquals(buffers2, c.buffers(), 0.0);
    assertEquals(fresh.loss(), c.loss(), 0.0);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1})
  void updateRefusesWrongSizes(int which) {
    Network net = Nets.mlp(4, 6, 5, 3, Activation.TANH, "mse");
    double[] theta = Init.PYTORCH.init(net, 1);
    Curvature c = Curvature.of(net, theta, Nets.features(N, 4, 1.0, 3), Nets.targets(net, N, 4), 4);
    double loss = c.loss();
    IllegalArgumentException e = which == 0
        ? assertThrows(IllegalArgumentException.class, () -> c.update(new double[theta.length - 1]))
        : assertThrows(IllegalArgumentException.class, () -> c.update(theta, new double[3]));
    assertEquals(which == 0 ? "parameters: expected " + theta.length + " values, got " + (theta.length - 1)
        : "buffers: expected 0 values, got 3", e.getMessage());
    assertEquals(loss, c.loss(), 0.0);  // nothing lost
  }
}
