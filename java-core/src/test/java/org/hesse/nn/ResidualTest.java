package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/** Residual blocks: forward against explicit loops and hand values, gradient against differences, names, JSON. */
class ResidualTest {
  static final String NESTED = """
      {"input": 3, "loss": "mse", "layers": [
        {"type": "dense", "out": 4},
        {"type": "residual", "alpha": 0.5, "layers": [
          {"type": "dense", "out": 5}, {"type": "tanh"},
          {"type": "residual", "alpha": 1.0, "layers": [{"type": "dense", "out": 5}, {"type": "sigmoid"}]},
          {"type": "dense", "out": 4}]},
        {"type": "tanh"},
        {"type": "dense", "out": 2}]}""";

  static double[] offsetsOf(Network net, double[] theta, String name) {
    ParamTensor t = net.tensors().get(name);
    double[] out = new double[t.size()];
    System.arraycopy(theta, t.offset, out, 0, out.length);
    return out;
  }

  /** y = W x + b for one sample (W row-major out × in). */
  static double[] affine(double[] w, double[] b, double[] x) {
    double[] y = b.clone();
    for (int i = 0; i < y.length; i++) for (int j = 0; j < x.length; j++) y[i] += w[i * x.length + j] * x[j];
    return y;
  }

  static double[] apply(Activation f, double[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = switch (f) {
        case TANH -> Math.tanh(x[i]);
        case SIGMOID -> 1 / (1 + Math.exp(-x[i]));
        default -> throw new AssertionError(f);
      };
    }
    return y;
  }

  static double[] axpy(double a, double[] y, double[] x) {
    double[] r = x.clone();
    for (int i = 0; i < r.length; i++) r[i] += a * y[i];
    return r;
  }

  static double[] output(Network net, double[] theta, double[] x, int n) {
    Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, n);
    return java.util.Arrays.copyOf(ws.output(), n * net.outputSize());
  }

  @Test
  void handValues() {
    // x = [1, 1], W = [[1, 2], [3, 4]], b = [0.5, −1], α = 0.5: g = [3.5, 6], z = x + α g = [2.75, 4]
    Network net = Network.builder(2).add(new Residual(new int[] {2}, 0.5, List.of(new Dense(2, 2)))).build("mse");
    double[] theta = {1, 2, 3, 4, 0.5, -1};
    assertArrayEquals(new double[] {2.75, 4.0}, output(net, theta, new double[] {1, 1}, 1), 1e-15);
  }

  @Test
  void nestedForwardMatchesExplicitComputation() {
    Network net = ModelFiles.network(ModelSpec.parse(NESTED));
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 11);
    int n = 6;
    double[] x = Nets.features(n, 3, 1.0, 12);
    double[] out = output(net, theta, x, n);
    for (int s = 0; s < n; s++) {
      double[] xs = java.util.Arrays.copyOfRange(x, 3 * s, 3 * s + 3);
      double[] h0 = affine(offsetsOf(net, theta, "0.weight"), offsetsOf(net, theta, "0.bias"), xs);
      double[] u = apply(Activation.TANH, affine(offsetsOf(net, theta, "1.block.0.weight"), offsetsOf(net, theta, "1.block.0.bias"), h0));
      double[] inner = apply(Activation.SIGMOID,
          affine(offsetsOf(net, theta, "1.block.2.block.0.weight"), offsetsOf(net, theta, "1.block.2.block.0.bias"), u));
      double[] v = axpy(1.0, inner, u);
      double[] g = affine(offsetsOf(net, theta, "1.block.3.weight"), offsetsOf(net, theta, "1.block.3.bias"), v);
      double[] r = apply(Activation.TANH, axpy(0.5, g, h0));
      double[] z = affine(offsetsOf(net, theta, "3.weight"), offsetsOf(net, theta, "3.bias"), r);
      for (int i = 0; i < 2; i++) assertEquals(z[i], out[2 * s + i], 1e-13, "sample " + s + " output " + i);
    }
  }

  @Test
  void gradientMatchesCentralDifferences() {
    Network net = ModelFiles.network(ModelSpec.parse(NESTED));
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 21);
    int n = 7;
    double[] x = Nets.features(n, 3, 1.0, 22);
    double[] y = Nets.targets(net, n, 23);
    Objective obj = new Objective(net, x, y, 3);
    double[] g = new double[theta.length];
    obj.lossAndGradient(theta, g);
    double scale = 0;
    for (double v : g) scale = Math.max(scale, Math.abs(v));
    double[] fd = Nets.centralDifferenceGradient(obj, theta, 1e-6);
    for (int i = 0; i < theta.length; i++) assertEquals(fd[i], g[i], 1e-7 * scale, "parameter " + i);
  }

  @Test
  void inputGradientMatchesCentralDifferences() {
    // a residual block as the first layer: its input gradient, through the identity path and the block
    Residual r = new Residual(new int[] {3}, 0.8, List.of(new Dense(3, 4), new ActivationLayer(Activation.TANH, 4), new Dense(4, 3)));
    double[] theta = Nets.gaussian(r.paramCount(), 0.6, 31);
    int n = 4;
    double[] x = Nets.features(n, 3, 1.0, 32);
    double[] w = Nets.gaussian(n * 3, 1.0, 33);  // loss = Σ w ⊙ z
    // the block runs as nodes of a network; the executor's backward sweep sums the identity path and the block at the input
    Network net = Network.builder(3).add(r).build("mse");
    Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, n);
    double[][] signals = new double[net.nodeCount() + 1][];
    for (int a = 0; a <= net.nodeCount(); a++) signals[a] = new double[n * net.activationWidth(a)];
    System.arraycopy(w, 0, signals[net.outputActivation()], 0, w.length);
    new Executor(net, n).backward(signals, net.outputActivation(), net.nodeCount() - 1, 0, 0, n, (j, gIns) -> {
      Node node = net.node(j);
      node.op.backward(theta, node.paramOffset, ws.nodeInputs(j), ws.activation(node.output()), signals[node.output()],
          gIns, null, n, ws.context(j));
    });
    double[] gIn = signals[0];
    double h = 1e-6;
    for (int i = 0; i < x.length; i++) {
      double[] xp = x.clone();
      double[] xm = x.clone();
      xp[i] += h;
      xm[i] -= h;
      double lp = dot(w, output(net, theta, xp, n));
      double lm = dot(w, output(net, theta, xm, n));
      assertEquals((lp - lm) / (2 * h), gIn[i], 1e-8, "input " + i);
    }
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  @Test
  void stateDictNamesFollowPyTorchModuleTree() {
    Network net = ModelFiles.network(ModelSpec.parse(NESTED));
    List<String> names = new ArrayList<>(net.tensors().keySet());
    assertEquals(List.of("0.weight", "0.bias", "1.block.0.weight", "1.block.0.bias", "1.block.2.block.0.weight",
        "1.block.2.block.0.bias", "1.block.3.weight", "1.block.3.bias", "3.weight", "3.bias"), names);
    int[][] shapes = {{4, 3}, {4}, {5, 4}, {5}, {5, 5}, {5}, {4, 5}, {4}, {2, 4}, {2}};
    int expectedOffset = 0;
    int i = 0;
    for (ParamTensor t : net.tensors().values()) {
      assertArrayEquals(shapes[i++], t.shape, t.name);
      assertEquals(expectedOffset, t.offset, t.name + " offset");  // contiguous, in state-dict order
      expectedOffset += t.size();
    }
    assertEquals(net.paramCount(), expectedOffset);
    Residual r = (Residual) net.layer(1);
    assertEquals("block.2.block.0.weight", r.paramTensors().get(2).name);
    assertEquals(r.paramOffset(2), r.paramTensors().get(2).offset);
  }

  @Test
  void modelJsonRoundTrip() {
    ModelSpec parsed = ModelSpec.parse(NESTED);
    Network net = ModelFiles.network(parsed);
    ModelSpec written = ModelFiles.spec(net);
    assertEquals(parsed, written);
    ModelSpec reread = ModelSpec.parse(written.toJson());
    assertEquals(written.toJson(), reread.toJson());
    Network again = ModelFiles.network(reread);
    assertEquals(net.tensors().keySet(), again.tensors().keySet());
    double[] theta = Nets.gaussian(net.paramCount(), 1.0, 41);
    double[] x = Nets.features(3, 3, 1.0, 42);
    assertArrayEquals(output(net, theta, x, 3), output(again, theta, x, 3), 0.0);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> inner = (List<Map<String, Object>>) net.layer(1).describe().get("layers");
    assertEquals("residual", inner.get(2).get("type"));
    assertEquals(0.5, net.layer(1).describe().get("alpha"));
  }

  @Test
  void alphaDefaultsToOne() {
    Network net = ModelFiles.network(ModelSpec.parse(
        "{\"input\": 2, \"loss\": \"mse\", \"layers\": [{\"type\": \"residual\", \"layers\": [{\"type\": \"dense\", \"out\": 2}]}]}"));
    assertEquals(1.0, ((Residual) net.layer(0)).alpha());
  }

  @Test
  void shapeMismatchIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(
        "{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": 4},"
            + " {\"type\": \"residual\", \"layers\": [{\"type\": \"dense\", \"out\": 5}]}]}")));
    assertTrue(e.getMessage().contains("layer 1 (residual)") && e.getMessage().contains("[4]")
        && e.getMessage().contains("[5]"), e.getMessage());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(
        "{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"residual\", \"layers\": []}]}")));
    assertTrue(empty.getMessage().contains("'layers'"), empty.getMessage());
    IllegalArgumentException nested = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(
        "{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"residual\", \"layers\": [{\"type\": \"conv9\"}]}]}")));
    assertTrue(nested.getMessage().contains("layer 0.0 (conv9)"), nested.getMessage());
  }

  /**
   * A test-only layer with a buffer: identity, recording the mode it sees, and in TRAIN mode counting calls in
   * its buffer (checks buffer names, offsets and that Workspace settings reach nested contexts).
   */
  static final class Probe implements Layer {
    final int size;
    Mode seen;

    Probe(int size) { this.size = size; }

    @Override public String type() { return "probe"; }
    @Override public int inputSize() { return size; }
    @Override public int outputSize() { return size; }
    @Override public List<ParamTensor> paramTensors() { return List.of(); }
    @Override public List<ParamTensor> bufferTensors() { return List.of(new ParamTensor("count", 0, 2)); }
    @Override public void initBuffers(double[] b, int off) { b[off + 1] = 7; }

    @Override
    public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
      seen = ctx.mode();
      if (ctx.mode() == Mode.TRAIN) ctx.buffers()[ctx.bufferOffset()] += 1;
      System.arraycopy(x, 0, z, 0, batch * size);
    }

    @Override
    public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                         int batch, LayerContext ctx) {
      if (gIn != null) System.arraycopy(gOut, 0, gIn, 0, batch * size);
    }
  }

  @Test
  void innerBuffersAreNamedAndPlacedAndSeeTheWorkspaceSettings() {
    Probe outer = new Probe(2);
    Probe inner1 = new Probe(2);
    Probe inner2 = new Probe(2);
    Residual nestedBlock = new Residual(new int[] {2}, 1.0, List.of(inner2));
    Residual block = new Residual(new int[] {2}, 1.0, List.of(new Dense(2, 2), inner1, nestedBlock));
    Network net = Network.builder(2).add(outer).add(block).build("mse");
    assertEquals(List.of("0.count", "1.block.1.count", "1.block.2.block.0.count"), new ArrayList<>(net.bufferTensors().keySet()));
    assertEquals(List.of(0, 2, 4), net.bufferTensors().values().stream().map(t -> t.offset).toList());
    assertArrayEquals(new double[] {0, 7, 0, 7, 0, 7}, net.initialBuffers(), 0.0);
    double[] buffers = net.initialBuffers();
    Workspace ws = net.newWorkspace(1);
    net.forward(new double[net.paramCount()], ws, 1);  // the nested contexts are made here, in ANALYSIS mode
    assertEquals(Mode.ANALYSIS, inner2.seen);
    ws.mode(Mode.TRAIN).buffers(buffers);             // set afterwards: must reach the nested contexts
    net.forward(new double[net.paramCount()], ws, 1);
    net.forward(new double[net.paramCount()], ws, 1);
    assertEquals(Mode.TRAIN, inner1.seen);
    assertEquals(Mode.TRAIN, inner2.seen);
    assertArrayEquals(new double[] {2, 7, 2, 7, 2, 7}, buffers, 0.0);
  }
}
