package org.hesse.hvp.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CurvatureOperator#quadraticForms} against the products themselves: for k directions, per layer l of the
 * operator, {@code x_{j,l}ᵀ (A x_j)_l} from {@link CurvatureOperator#applyMany} (the path the PyTorch fixtures check)
 * and one dot product per layer. The full operator and every parametrised layer's diagonal block (where the block's
 * first node has no input tangent, so dense layers, also on tokens, take their own quadratic form), Hessian and GGN,
 * on every graph fixture (dense, conv, batch and layer norm, attention, concat, gating, a shared tensor) and on a tanh MLP in batches.
 * Tolerance: 1e-12 of the sum of the dot product's absolute terms (its rounding scale).
 */
class QuadraticFormsTest {
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"graph-resnet-bn", "graph-concat", "graph-gated-mlp", "graph-tiny-vit", "graph-tied-mlp"})
  void graphFixtures(String name) throws IOException, URISyntaxException {
    Path dir = GraphFixtureTest.dir(name);
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = org.hesse.hvp.curvature.PyTorchFixtureTestAccess.readCsv(dir.resolve("data.csv"), net.inputSize());
    int n = data[0].length / net.inputSize();
    Curvature c = Curvature.of(net, theta, ModelFiles.readBuffers(net, dir.resolve("model.safetensors")), Mode.ANALYSIS,
        data[0], data[1], net.batchCoupled() ? n : 5);
    check(c, name);
  }

  @Test
  void tanhMlpInBatches() {
    Network net = Nets.mlp(4, 6, 5, 3, Activation.TANH, "cross_entropy");
    int n = 11;
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 5), Nets.features(n, 4, 1.0, 6), Nets.targets(net, n, 7), 4);
    check(c, "tanh mlp");
  }

  static void check(Curvature c, String name) {
    Network net = c.network();
    for (Kind kind : Kind.values()) {
      List<Integer> layers = net.parametrisedLayers();
      checkOperator(c.full(kind), layers, net, name + " " + kind + " full");
      for (int l : layers) checkOperator(c.block(kind, l), List.of(l), net, name + " " + kind + " block " + net.layerName(l));
    }
  }

  static void checkOperator(CurvatureOperator op, List<Integer> layers, Network net, String what) {
    int k = 3;
    int n = op.cols();
    double[] x = Nets.gaussian(k * n, 1.0, 11);
    double[] ax = new double[k * n];
    op.applyMany(x, ax, k);
    double[][] q = op.quadraticForms(x, k);
    assertEquals(layers.size(), q.length, what);
    List<int[]> ranges = new ArrayList<>();
    int off = 0;
    for (int l : layers) {
      int p = net.blockSize(l);  // the layer's unique parameters (a shared tensor is in its first owner's block)
      ranges.add(new int[] {off, off + p});
      off += p;
    }
    for (int i = 0; i < layers.size(); i++) {
      for (int j = 0; j < k; j++) {
        double expected = 0;
        double scale = 0;
        for (int a = ranges.get(i)[0]; a < ranges.get(i)[1]; a++) {
          expected += x[j * n + a] * ax[j * n + a];
          scale += Math.abs(x[j * n + a] * ax[j * n + a]);
        }
        assertEquals(expected, q[i][j], 1e-12 * scale, what + " layer " + net.layerName(layers.get(i)) + " direction " + j);
      }
    }
  }
}
