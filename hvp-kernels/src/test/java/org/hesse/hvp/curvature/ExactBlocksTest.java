package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.MemoryBudgetExceededException;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Exact dense-layer blocks and activation-space blocks against the network-pass operators and closed forms. */
class ExactBlocksTest {
  static Stream<Arguments> cases() {
    return CurvatureTest.cases();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void assembledBlockEqualsTheOperatorAndStructuredProductAgrees(Activation act, String loss) {
    CurvatureTest.Setup s = new CurvatureTest.Setup(act, loss, 4);
    for (Kind kind : Kind.values()) {
      for (int l : s.net.parametrisedLayers()) {
        double[][] ref = CurvatureTest.dense(s.curv.block(kind, l));
        DenseLayerBlock b = DenseLayerBlock.of(s.curv, kind, l);
        double[] h = b.assemble();
        int dim = b.dim();
        double scale = 0;
        for (double[] r : ref) scale = Math.max(scale, CurvatureTest.maxAbs(r));
        for (int i = 0; i < dim; i++) {
          for (int j = 0; j < dim; j++) assertEquals(ref[i][j], h[i * dim + j], 1e-13 * scale, kind + " layer " + l);
        }
        double[] v = Nets.gaussian(dim, 1.0, 3);
        double[] y1 = new double[dim];
        double[] y2 = new double[dim];
        b.apply(v, y1);
        s.curv.block(kind, l).apply(v, y2);
        for (int i = 0; i < dim; i++) assertEquals(y2[i], y1[i], 1e-13 * CurvatureTest.maxAbs(y2));
      }
    }
  }

  /** Graph dense nodes reading a concatenation or a gate's product (not the previous node's output). */
  @Test
  void graphDenseNodesAssembleTheOperatorsBlock() throws Exception {
    int checked = 0;
    for (String name : new String[] {"graph-concat", "graph-gated-mlp"}) {
      java.nio.file.Path dir = java.nio.file.Path.of(ExactBlocksTest.class.getResource("/fixtures/" + name).toURI());
      Network net = org.hesse.io.ModelFiles.network(org.hesse.io.ModelSpec.read(dir.resolve("model.json")));
      double[] theta = org.hesse.io.ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
      double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
      Curvature c = Curvature.of(net, theta, data[0], data[1], 5);
      for (int l : net.parametrisedLayers()) {
        if (!net.layer(l).affine()) continue;
        for (Kind kind : Kind.values()) {
          double[][] ref = CurvatureTest.dense(c.block(kind, l));
          double[] h = DenseLayerBlock.of(c, kind, l).assemble();
          double scale = 0;
          for (double[] r : ref) scale = Math.max(scale, CurvatureTest.maxAbs(r));
          for (int i = 0; i < ref.length; i++) {
            for (int j = 0; j < ref.length; j++) assertEquals(ref[i][j], h[i * ref.length + j], 1e-13 * scale, name + " " + kind + " layer " + l);
          }
          checked++;
        }
      }
    }
    assertTrue(checked >= 8, "dense nodes checked: " + checked);
  }

  @Test
  void blockLargerThanTheBudgetIsRefusedWithItsSize() {
    CurvatureTest.Setup s = new CurvatureTest.Setup(Activation.TANH, "mse", 4);
    MemoryBudget saved = MemoryBudget.current();
    try {
      MemoryBudget.install(MemoryBudget.of(1 << 20));
      DenseLayerBlock b = DenseLayerBlock.of(s.curv, Kind.HESSIAN, 0);
      MemoryBudget.install(MemoryBudget.of(1000));
      MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class, b::assemble);
      long bytes = 8L * b.dim() * b.dim();
      assertTrue(e.getMessage().contains(Long.toString(bytes)) || e.getMessage().contains(MemoryBudget.format(bytes)),
          e.getMessage());
    } finally {
      MemoryBudget.install(saved);
    }
  }

  @Test
  void perSampleBlocksAreRefusedWhenBatchNormCouplesTheSamples() {
    Network net = Network.builder(3).dense(4).add(new org.hesse.nn.BatchNorm(new int[] {4})).activation(Activation.TANH)
        .dense(2).build("mse");
    double[] theta = Init.PYTORCH.init(net, 1);
    double[] x = Nets.features(6, 3, 1.0, 2);
    double[] y = Nets.targets(net, 6, 3);
    Curvature analysis = Curvature.of(net, theta, x, y, 6);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DenseLayerBlock.of(analysis, Kind.HESSIAN, 0));
    assertTrue(e.getMessage().contains("couples the samples"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ActivationSpace(analysis).block(Kind.GGN, 0, 0));
    // with running statistics the samples are independent again: the exact block equals the operator's
    Curvature eval = Curvature.of(net, theta, net.initialBuffers(), org.hesse.nn.Mode.EVAL, x, y, 4);
    double[][] ref = CurvatureTest.dense(eval.block(Kind.HESSIAN, 0));
    double[] h = DenseLayerBlock.of(eval, Kind.HESSIAN, 0).assemble();
    for (int i = 0; i < ref.length; i++) {
      for (int j = 0; j < ref.length; j++) assertEquals(ref[i][j], h[i * ref.length + j], 1e-13);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void activationBlockAtADenseOutputIsTheBiasBlock(Activation act, String loss) {
    // H_ll's bias–bias block is Σ_n M_n, which is the activation-space block at that layer's output.
    CurvatureTest.Setup s = new CurvatureTest.Setup(act, loss, 4);
    ActivationSpace space = new ActivationSpace(s.curv);
    for (Kind kind : Kind.values()) {
      for (int l : s.net.parametrisedLayers()) {
        double[][] h = CurvatureTest.dense(s.curv.block(kind, l));
        int out = s.net.layer(l).outputSize();
        int bias = h.length - out;
        double[] a = space.block(kind, l, l);
        for (int i = 0; i < out; i++) {
          for (int j = 0; j < out; j++) assertEquals(h[bias + i][bias + j], a[i * out + j], 1e-14, kind + " layer " + l);
        }
      }
    }
  }

  @Test
  void outputBlockIsTheMeanLossHessianWithNoTensorPart() {
    Network net = Nets.mlp(3, 4, 4, 3, Activation.TANH, "cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 2);
    int n = 5;
    double[] x = Nets.features(n, 3, 1.0, 3);
    double[] y = Nets.targets(net, n, 4);
    Curvature c = Curvature.of(net, theta, x, y, 2);
    ActivationSpace.Blocks b = new ActivationSpace(c).blocks(4, 4);
    // closed form (1/N) Σ_n diag(p_n) − p_n p_nᵀ from a forward pass
    org.hesse.nn.Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, n);
    double[] ref = new double[9];
    double[] m = new double[9];
    for (int s = 0; s < n; s++) {
      net.loss().outputHessian(ws.output(), y, s, 3, m);
      for (int i = 0; i < 9; i++) ref[i] += m[i] / n;
    }
    for (int i = 0; i < 9; i++) {
      assertEquals(ref[i], b.hessian[i], 1e-15);
      assertEquals(0.0, b.tensor[i], 0.0);
    }
    assertEquals(0.0, b.gnGap(), 0.0);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void tensorPartVanishesForPiecewiseLinearNetworksOnly(Activation act, String loss) {
    CurvatureTest.Setup s = new CurvatureTest.Setup(act, loss, 4);
    ActivationSpace space = new ActivationSpace(s.curv);
    double maxGap = 0;
    for (int v = 0; v < s.net.depth(); v++) {
      for (int w = v; w < s.net.depth(); w++) {
        ActivationSpace.Blocks b = space.blocks(v, w);
        maxGap = Math.max(maxGap, b.gnGap());
        if (act.piecewiseLinear()) {
          for (double t : b.tensor) assertEquals(0.0, t, 1e-15, "H^T of (" + v + "," + w + ")");
        }
      }
    }
    if (!act.piecewiseLinear()) assertTrue(maxGap > 1e-6, act + ": GN-Gap " + maxGap);
  }
}
