package org.hesse.hvp.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureChecks;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Add;
import org.hesse.nn.Dense;
import org.hesse.nn.Loss;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A layer type defined in the test sources ({@link Scale}, its rule registered through the test resources' service
 * file) inside a graph with fan-out (the tanh output feeds both the gate and the add): the curvature battery
 * (finite differences, symmetry, PSD GGN, blocks = slices, k-vector = singles) and its exact Hessian block built
 * column by column against central differences of the gradient, for the network built in code and the same network
 * read from a model description (its builder registered from the test resources' LayerType service file).
 */
class ExtensionOpTest {
  static final int N = 7;
  static final int BATCH = 3;

  /** input 3 → fc1 dense(4) → act tanh → gate scale; sum = act + gate → head dense(2). */
  static Network gated(String loss) {
    return new Network(new int[] {3}, Loss.byName(loss), g -> {
      int fc1 = g.add("fc1", new Dense(3, 4), 0);
      int act = g.add("act", new ActivationLayer(Activation.TANH, 4), fc1);
      int gate = g.add("gate", new Scale(4), act);
      int sum = g.add("sum", new Add(new int[] {4}, 1.0, 1.0), act, gate);
      return g.add("head", new Dense(4, 2), sum);
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batteryWithANewOpAndFanOut(String loss) {
    Network net = gated(loss);
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 11);
    CurvatureChecks.all(net, theta, Nets.features(N, 3, 1.0, 12), Nets.targets(net, N, 13), BATCH);
  }

  /** The same network as a model description: "scale" resolves through the test sources' LayerType service file. */
  static Network described(String loss) {
    return ModelFiles.network(ModelSpec.parse("""
        {"input": 3, "loss": "%s", "nodes": [
          {"name": "fc1", "type": "dense", "out": 4},
          {"name": "act", "type": "tanh"},
          {"name": "gate", "type": "scale"},
          {"name": "sum", "type": "add", "inputs": ["act", "gate"]},
          {"name": "head", "type": "dense", "out": 2}]}
        """.formatted(loss)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void theDescribedNetworkIsTheBuiltOne(String loss) {
    Network built = gated(loss);
    Network read = described(loss);
    assertEquals(built.tensors().keySet(), read.tensors().keySet());
    assertEquals(Scale.class, read.layer(read.layerIndex("gate")).getClass());
    double[] theta = Nets.gaussian(built.paramCount(), 0.7, 31);
    double[] x = Nets.features(N, 3, 1.0, 32);
    double[] y = Nets.targets(built, N, 33);
    // same graph, same arithmetic: the gradients agree bitwise
    assertArrayEquals(Curvature.of(built, theta, x, y, BATCH).gradient(), Curvature.of(read, theta, x, y, BATCH).gradient());
    assertEquals(ModelFiles.spec(read), ModelFiles.spec(ModelFiles.network(ModelFiles.spec(read))));
  }

  @ParameterizedTest
  @CsvSource({"cross_entropy, built", "mse, built", "cross_entropy, described", "mse, described"})
  void exactBlockOfTheNewOpMatchesDifferencesOfTheGradient(String loss, String source) {
    Network net = source.equals("built") ? gated(loss) : described(loss);
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 21);
    double[] x = Nets.features(N, 3, 1.0, 22);
    double[] y = Nets.targets(net, N, 23);
    int layer = net.layerIndex("gate");
    int off = net.offset(layer);
    int p = net.layer(layer).paramCount();
    CurvatureOperator block = Curvature.of(net, theta, x, y, BATCH).block(Curvature.Kind.HESSIAN, layer);
    double h = 1e-5;
    double[] e = new double[p];
    double[] col = new double[p];
    for (int j = 0; j < p; j++) {
      e[j] = 1;
      block.apply(e, col);
      e[j] = 0;
      double[] tp = theta.clone();
      double[] tm = theta.clone();
      tp[off + j] += h;
      tm[off + j] -= h;
      double[] gp = Curvature.of(net, tp, x, y, BATCH).gradient();
      double[] gm = Curvature.of(net, tm, x, y, BATCH).gradient();
      for (int i = 0; i < p; i++) {
        double fd = (gp[off + i] - gm[off + i]) / (2 * h);
        assertEquals(fd, col[i], 1e-7 * Math.max(1, Math.abs(fd)), "H[" + i + "," + j + "]");
      }
    }
  }
}
