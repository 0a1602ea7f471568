package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
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
