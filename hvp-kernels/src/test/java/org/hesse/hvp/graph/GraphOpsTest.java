package org.hesse.hvp.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureChecks;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every graph op (add, concat, mul, matmul, softmax, reshape, transpose, token-wise dense, layer norm over trailing
 * axes, positional, token_mean, attention and, inside it, slice) in small graphs built from descriptions, both
 * losses: the curvature battery (VJP = gradient against central differences of the loss, JVP + backward tangents =
 * HVP against differences of the gradient, symmetry uᵀ(Hv) = vᵀ(Hu), GGN PSD, blocks = slices, k-vector = singles),
 * then for every parametrised node its exact Hessian block, column by column, against central differences of the
 * gradient, and its GGN block against (1/N) Σ_n J_nᵀ ∇²ℓ_n J_n with J_n from central differences of the outputs.
 */
class GraphOpsTest {
  static final int N = 5;
  static final int BATCH = 3;  // two batches, the last partial

  static final String GATING = """
      {"input": 4, "loss": "%s", "nodes": [
        {"name": "a", "type": "dense", "out": 3}, {"name": "a_act", "type": "tanh"},
        {"name": "b", "type": "dense", "out": 3, "inputs": ["input"]}, {"name": "b_act", "type": "sigmoid"},
        {"name": "m", "type": "mul", "inputs": ["a_act", "b_act"]},
        {"name": "s", "type": "add", "inputs": ["a_act", "m"]},
        {"name": "c", "type": "concat", "inputs": ["s", "b_act"]},
        {"name": "head", "type": "dense", "out": 2}]}""";
  static final String TOKENS = """
      {"input_shape": [3, 4], "loss": "%s", "nodes": [
        {"name": "t1", "type": "dense", "out": 5}, {"name": "ln", "type": "layernorm", "normalized_shape": [5]},
        {"name": "pos", "type": "positional"}, {"name": "sm", "type": "softmax"},
        {"name": "tr", "type": "transpose", "perm": [1, 0]}, {"name": "rs", "type": "reshape", "shape": [15]},
        {"name": "head", "type": "dense", "out": 2}]}""";
  static final String MATMUL = """
      {"input_shape": [2, 3], "loss": "%s", "nodes": [
        {"name": "xt", "type": "transpose", "perm": [1, 0]},
        {"name": "d", "type": "dense", "out": 3, "inputs": ["input"]}, {"name": "d_act", "type": "gelu"},
        {"name": "mm", "type": "matmul", "inputs": ["d_act", "xt"]},
        {"name": "sm", "type": "softmax", "axis": 0}, {"name": "tm", "type": "token_mean"},
        {"name": "head", "type": "dense", "out": 2}]}""";
  static final String ATTENTION = """
      {"input_shape": [3, 4], "loss": "%s", "nodes": [
        {"name": "ln", "type": "layernorm", "normalized_shape": [4]},
        {"name": "at", "type": "attention", "heads": 2},
        {"name": "s", "type": "add", "inputs": ["input", "at"]}, {"name": "tm", "type": "token_mean"},
        {"name": "head", "type": "dense", "out": 3}]}""";

  static Stream<Arguments> graphs() {
    Stream.Builder<Arguments> b = Stream.builder();
    String[][] all = {{"gating", GATING}, {"tokens", TOKENS}, {"matmul", MATMUL}, {"attention", ATTENTION}};
    for (String[] g : all) for (String loss : new String[] {"cross_entropy", "mse"}) b.add(Arguments.of(g[0], loss, g[1].formatted(loss)));
    return b.build();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("graphs")
  void curvatureBattery(String name, String loss, String json) {
    Network net = ModelFiles.network(ModelSpec.parse(json));
    double[] theta = Nets.gaussian(net.paramCount(), 0.6, 31);
    CurvatureChecks.all(net, theta, Nets.features(N, net.inputSize(), 1.0, 32), Nets.targets(net, N, 33), BATCH);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("graphs")
  void exactBlocksAgainstDifferences(String name, String loss, String json) {
    Network net = ModelFiles.network(ModelSpec.parse(json));
    double[] theta = Nets.gaussian(net.paramCount(), 0.6, 41);
    double[] x = Nets.features(N, net.inputSize(), 1.0, 42);
    double[] y = Nets.targets(net, N, 43);
    Curvature c = Curvature.of(net, theta, x, y, BATCH);
    double h = 1e-5;
    for (int l : net.parametrisedLayers()) {
      int off = net.offset(l);
      int p = net.layer(l).paramCount();
      double[] hess = GraphFixtureTest.dense(c.block(Kind.HESSIAN, l));
      double[] ggn = GraphFixtureTest.dense(c.block(Kind.GGN, l));
      // Hessian: columns from central differences of the gradient
      double[] fd = new double[p * p];
      for (int j = 0; j < p; j++) {
        double[] tp = theta.clone();
        double[] tm = theta.clone();
        tp[off + j] += h;
        tm[off + j] -= h;
        double[] gp = Curvature.of(net, tp, x, y, BATCH).gradient();
        double[] gm = Curvature.of(net, tm, x, y, BATCH).gradient();
        for (int i = 0; i < p; i++) fd[i * p + j] = (gp[off + i] - gm[off + i]) / (2 * h);
      }
      assertClose(fd, hess, 1e-6, name + " " + loss + " H block of " + net.layerName(l));
      assertClose(ggnByDifferences(net, theta, x, y, off, p, h), ggn, 1e-6, name + " " + loss + " GGN block of " + net.layerName(l));
    }
  }

  /** (1/N) Σ_n J_nᵀ ∇²ℓ_n J_n for parameters off..off+p, J_n by central differences of the outputs. */
  static double[] ggnByDifferences(Network net, double[] theta, double[] x, double[] y, int off, int p, double h) {
    int c = net.outputSize();
    double[] jac = new double[N * c * p];  // row (n, a), column i
    for (int i = 0; i < p; i++) {
      double[] tp = theta.clone();
      double[] tm = theta.clone();
      tp[off + i] += h;
      tm[off + i] -= h;
      double[] zp = outputs(net, tp, x);
      double[] zm = outputs(net, tm, x);
      for (int r = 0; r < N * c; r++) jac[r * p + i] = (zp[r] - zm[r]) / (2 * h);
    }
    double[] z = outputs(net, theta, x);
    double[] m = new double[c * c];
    double[] g = new double[p * p];
    for (int n = 0; n < N; n++) {
      net.loss().outputHessian(z, y, n, c, m);
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) {
          double s = 0;
          for (int a = 0; a < c; a++) for (int b = 0; b < c; b++) s += jac[(n * c + a) * p + i] * m[a * c + b] * jac[(n * c + b) * p + j];
          g[i * p + j] += s / N;
        }
      }
    }
    return g;
  }

  static double[] outputs(Network net, double[] theta, double[] x) {
    Workspace ws = net.newWorkspace(N);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, N);
    return java.util.Arrays.copyOf(ws.output(), N * net.outputSize());
  }

  static void assertClose(double[] expected, double[] actual, double rel, String what) {
    double scale = 0;
    for (double e : expected) scale = Math.max(scale, Math.abs(e));
    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], rel * Math.max(scale, 1e-3), what + " entry " + i);
  }
}
