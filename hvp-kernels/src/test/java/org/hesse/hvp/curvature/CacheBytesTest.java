package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import org.hesse.hvp.curvature.Curvature.CacheMode;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Curvature#cacheBytes}, the figure {@link CacheMode#AUTO} decides on, against what a cached curvature really
 * retains: the lengths of every array its batches hold (activations, signals, targets, and the arrays inside each
 * rule's prepared object, found by reflection), summed. What the estimate leaves out is per batch (batch norm's
 * per-channel 1/σ), so it agrees to within 2 %.
 */
class CacheBytesTest {
  /** Bytes of the arrays the cached batches hold. */
  static long retained(Curvature c) {
    long bytes = 0;
    for (Curvature.BatchCache b : c.data.kept) {
      for (int a = 0; a <= c.net.nodeCount(); a++) {
        bytes += 8L * b.ws.activation(a).length;
        if (a > 0) bytes += 8L * b.ws.signal(a).length;
      }
      bytes += 8L * b.y.length;
      for (org.hesse.hvp.rules.Primal p : b.primal) bytes += arrayBytes(p.prep);
    }
    return bytes;
  }

  /** The same for a float32 curvature: float activations, signals and prepared arrays, double targets. */
  static long retained(Float32Curvature c) {
    long bytes = 0;
    for (Curvature.BatchCache32 b : c.data.kept) {
      for (int a = 0; a <= c.network().nodeCount(); a++) {
        bytes += 4L * b.ws.activation(a).length;
        if (a > 0) bytes += 4L * b.ws.signal(a).length;
      }
      bytes += 8L * b.y.length;
      for (org.hesse.hvp.rules.Primal32 p : b.primal) bytes += arrayBytes(p.prep);
    }
    return bytes;
  }

  private static boolean runsInFloat32(Network net) {
    try {
      Float32Curvature.requireFloat32(net);
      return true;
    } catch (org.hesse.io.InputException e) {
      return false;
    }
  }

  /** The arrays a rule's prepared object holds (itself an array, or in its instance fields). */
  static long arrayBytes(Object o) {
    if (o == null) return 0;
    if (o instanceof double[] d) return 8L * d.length;
    if (o instanceof float[] f) return 4L * f.length;
    if (o instanceof int[] i) return 4L * i.length;
    long bytes = 0;
    for (Field f : o.getClass().getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) || !f.getType().isArray()) continue;
      f.setAccessible(true);
      try {
        bytes += arrayBytes(f.get(o));
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
    return bytes;
  }

  private static void agrees(Network net, double[] theta, double[] buffers, double[] x, double[] y, int batch, String what) {
    Curvature c = Curvature.of(net, theta, buffers, Mode.ANALYSIS, x, y, batch, CacheMode.ALL);
    long actual = retained(c);
    long estimate = Curvature.cacheBytes(net, c.samples());
    assertEquals(actual, estimate, 0.02 * actual, what + ": estimate " + estimate + " bytes, retained " + actual);
    if (!runsInFloat32(net)) return;
    Float32Curvature f = Float32Curvature.of(net, theta, buffers, Mode.ANALYSIS, x, y, batch, CacheMode.ALL);
    long actual32 = retained(f);
    long estimate32 = Float32Curvature.cacheBytes(net, c.samples());
    assertEquals(actual32, estimate32, 0.02 * actual32, what + " float32: estimate " + estimate32 + " bytes, retained "
        + actual32);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Activation.class, names = {"TANH", "SIGMOID", "RELU", "GELU", "SOFTPLUS"})
  void estimateMatchesTheRetainedArraysOfAnMlp(Activation act) {
    for (String loss : new String[] {"cross_entropy", "mse"}) {
      Network net = Nets.mlp(20, 16, 12, 4, act, loss);
      double[] x = Nets.features(50, 20, 1.0, 1);
      agrees(net, Init.PYTORCH.init(net, 2), null, x, Nets.targets(net, 50, 3), 16, act + " " + loss);
    }
  }

  /** Batch norm, layer norm, residual blocks, conv / max and average pooling: the PyTorch fixtures' models. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("org.hesse.hvp.curvature.PyTorchFixtureTest#cases")
  void estimateMatchesTheRetainedArraysOfTheFixtureModels(Path dir) throws IOException {
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
    int n = data[0].length / net.inputSize();
    agrees(net, ModelFiles.readParameters(net, dir.resolve("model.safetensors")),
        ModelFiles.readBuffers(net, dir.resolve("model.safetensors")), data[0], data[1], net.batchCoupled() ? n : 7,
        dir.getFileName().toString());
  }

  /** The case of docs/performance.md's scaling table, at a small N: the estimate was 2.2× the retained arrays. */
  @Test
  void estimateOfTheScalingMlpIsTheRetainedFigure() {
    Network net = Nets.mlp(784, 512, 512, 10, Activation.TANH, "cross_entropy");
    double[] x = Nets.features(300, 784, 1.0, 1);
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 2), null, Mode.ANALYSIS, x, Nets.targets(net, 300, 3), 256,
        CacheMode.ALL);
    // per sample: input 784, activations and signals 2 × (4 × 512 + 10), the label; tanh prepares nothing
    assertEquals(8L * (784 + 2 * (4 * 512 + 10) + 1) * 300, Curvature.cacheBytes(net, 300));
    assertEquals(retained(c), Curvature.cacheBytes(net, 300));
    // float32: 4 bytes per activation and signal value, the label in double
    Float32Curvature f = Float32Curvature.of(net, Init.PYTORCH.init(net, 2), null, Mode.ANALYSIS, x,
        Nets.targets(net, 300, 3), 256, CacheMode.ALL);
    assertEquals((4L * (784 + 2 * (4 * 512 + 10)) + 8L) * 300, Float32Curvature.cacheBytes(net, 300));
    assertEquals(retained(f), Float32Curvature.cacheBytes(net, 300));
  }
}
