package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.hesse.hvp.curvature.Curvature.CacheMode;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Curvature#gradient} adds each batch's parameter gradient from the signals its forward data hold: compared
 * bit for bit (tolerance 0) with a separate gradient pass ({@link Network#lossAndGradient} per batch in a fresh
 * workspace, the same arithmetic from a new forward), after products have used the cache, cached and streamed, on
 * every fixture, also after {@link Curvature#update} to other parameters (MLPs, batch norm, layer norm, conv, residual; graphs with fan-in, fan-out and a tied tensor).
 * Against PyTorch's float64 gradient: {@code GraphFixtureTest}.
 */
class GradientFromSignalsTest {
  static Stream<Path> fixtures() throws Exception {
    Path own = Path.of(GradientFromSignalsTest.class.getResource("/fixtures").toURI());
    Stream<Path> graphs;
    try (Stream<Path> s = Files.list(own)) {
      graphs = s.filter(d -> d.getFileName().toString().startsWith("graph-")).sorted().toList().stream();
    }
    return Stream.concat(PyTorchFixtureTest.cases(), graphs);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void gradientFromTheCachedSignalsEqualsASeparateGradientPass(Path dir) throws IOException {
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[] buffers = ModelFiles.readBuffers(net, dir.resolve("model.safetensors"));
    double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
    int n = data[0].length / net.inputSize();
    int batch = net.batchCoupled() ? n : 7;  // a partial last batch where the rows are not coupled
    double[] expected = separatePass(net, theta, buffers, data[0], data[1], batch);
    for (CacheMode mode : new CacheMode[] {CacheMode.ALL, CacheMode.NONE}) {
      Curvature c = Curvature.of(net, theta, buffers, Mode.ANALYSIS, data[0], data[1], batch, mode);
      // products first: they must leave the cached signals and activations as the forward made them
      for (Kind kind : Kind.values()) {
        CurvatureOperator full = c.full(kind);
        double[] v = Nets.gaussian(2 * full.cols(), 1.0, 5);
        full.applyMany(v, new double[v.length], 2);
        for (int l : net.parametrisedLayers()) {
          CurvatureOperator b = c.block(kind, l);
          b.apply(Nets.gaussian(b.cols(), 1.0, l), new double[b.rows()]);
        }
      }
      assertArrayEquals(expected, c.gradient(), dir.getFileName() + " " + mode);
      // after update(θ'): the gradient at θ', from the signals of the new forward, not the old ones
      double[] moved = theta.clone();
      double[] step = Nets.gaussian(moved.length, 0.05, 11);
      for (int i = 0; i < moved.length; i++) moved[i] += step[i];
      c.update(moved);
      assertArrayEquals(separatePass(net, moved, buffers, data[0], data[1], batch), c.gradient(),
          dir.getFileName() + " " + mode + " after update");
    }
  }

  /** The gradient as a separate pass: forward, loss and backward of every batch in order, scale 1/N. */
  private static double[] separatePass(Network net, double[] theta, double[] buffers, double[] x, double[] y, int batch) {
    int n = x.length / net.inputSize();
    int tw = y.length / n;
    double[] g = new double[net.paramCount()];
    Workspace ws = net.newWorkspace(batch).mode(Mode.ANALYSIS);
    if (buffers != null && buffers.length > 0) ws.buffers(buffers.clone());
    for (int first = 0; first < n; first += batch) {
      int rows = Math.min(batch, n - first);
      System.arraycopy(x, first * net.inputSize(), ws.input(), 0, rows * net.inputSize());
      double[] yb = java.util.Arrays.copyOfRange(y, first * tw, (first + rows) * tw);
      net.lossAndGradient(theta, ws, yb, rows, 1.0 / n, g);
    }
    return g;
  }
}
