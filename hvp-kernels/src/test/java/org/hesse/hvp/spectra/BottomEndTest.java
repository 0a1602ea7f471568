package org.hesse.hvp.spectra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.CountingOperator;
import org.hesse.eigen.DenseEigen;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.SpectrumEnds;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.PyTorchFixtureTest;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --bottom 3} (and the top 3) at the CLI's tolerance come back complete on every layer, both by the dense path
 * and by the shifted ARPACK path (forced with a dense threshold of 0), matching the whole spectrum to 1e-8 of the
 * block's largest |λ|: against PyTorch's float64 eigvalsh on the shared fixtures (cross-entropy last layers have a
 * degenerate cluster at 0), and against dense LAPACK on a cross-entropy MLP whose last layer (310 parameters) is above
 * the dense threshold. There the bottom's zero cluster costs at most 2n products, counted around the block (ARPACK
 * gives up after n and the block is solved densely; ARPACK alone took 96,832 products).
 */
class BottomEndTest {
  static final int K = 3;

  static Stream<Path> fixtures() throws Exception {
    return PyTorchFixtureTest.cases();
  }

  static SpectraOptions options() {
    SpectraOptions d = SpectraOptions.defaults();
    return new SpectraOptions(CurvatureKind.HESSIAN, K, K, false, false, false, d.slqSteps(), d.slqProbes(),
        d.densityPoints(), d.hutchBudget(), d.tol(), d.seed(), d.ncv(), d.maxIterations());
  }

  /** Top and bottom K of s against the ascending spectrum ref, to 1e-8·max|λ|. */
  static void assertEnds(double[] ref, LayerSpectra s, String what) {
    double scale = Math.max(Math.abs(ref[0]), Math.abs(ref[ref.length - 1]));
    int k = Math.min(K, ref.length);
    assertTrue(s.bottom().arpack().complete(), what + " bottom: " + s.bottom().arpack().message());
    assertTrue(s.top().arpack().complete(), what + " top: " + s.top().arpack().message());
    assertEquals(k, s.bottom().values().length, what);
    for (int j = 0; j < k; j++) {
      assertEquals(ref[j], s.bottom().values()[j], 1e-8 * scale, what + " bottom " + j + ": " + s.bottom().arpack().message());
      assertEquals(ref[ref.length - 1 - j], s.top().values()[j], 1e-8 * scale, what + " top " + j + ": " + s.top().arpack().message());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void completeOnEveryLayerOfThePyTorchFixtures(Path dir) throws IOException {
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
    int n = data[0].length / net.inputSize();
    Curvature c = Curvature.of(net, theta, ModelFiles.readBuffers(net, dir.resolve("model.safetensors")),
        org.hesse.nn.Mode.ANALYSIS, data[0], data[1], n);
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    CurvatureSource src = CurvatureSource.of(c);
    for (JsonNode layer : ref.get("layers")) {
      int l = net.layerIndex(layer.get("name").asText());
      JsonNode e = layer.get("eigenvalues");
      double[] eig = new double[e.size()];
      for (int i = 0; i < eig.length; i++) eig[i] = e.get(i).asDouble();
      for (int denseMax : new int[] {SpectrumEnds.DENSE_MAX_DIM, 0}) {
        String what = dir.getFileName() + " layer " + l + " (" + eig.length + " params, dense max " + denseMax + ")";
        LayerSpectra s = new LayerSpectraEngine(src, options(), denseMax).layer(l);
        if (eig.length <= denseMax) assertEquals("dense", s.bottom().arpack().method(), what);
        assertBounded(s, eig.length, what);
        assertEnds(eig, s, what);
      }
    }
  }

  @Test
  void crossEntropyLastLayerAboveTheDenseThreshold() {
    Network net = Nets.mlp(6, 12, 30, 10, Activation.TANH, "cross_entropy");
    int rows = 64;
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 5), Nets.features(rows, 6, 1.5, 6), Nets.targets(net, rows, 7), rows);
    int last = net.parametrisedLayers().get(net.parametrisedLayers().size() - 1);
    LinearOperator op = c.block(CurvatureKind.HESSIAN.productKind(), last);
    assertTrue(op.dim() > SpectrumEnds.DENSE_MAX_DIM, "block of " + op.dim() + " parameters");
    double[] ref = DenseEigen.all(DenseEigen.materialize(op, Long.MAX_VALUE), op.dim(), false).eigenvalues();
    // the zero cluster: softmax's constant direction, once per input of the layer and its bias (31)
    assertTrue(Math.abs(ref[K]) <= 1e-12 * ref[ref.length - 1], "a zero cluster at the bottom, got " + ref[K]);
    CountingOperator counted = new CountingOperator(op);
    CurvatureSource src = CurvatureSource.of(c);
    CurvatureSource counting = new CurvatureSource() {
      @Override public Network network() {
        return net;
      }

      @Override public LinearOperator block(CurvatureKind kind, int layer) {
        return layer == last ? counted : src.block(kind, layer);
      }

      @Override public double[] gradient() {
        return src.gradient();
      }
    };
    SpectraOptions bottomOnly = new SpectraOptions(CurvatureKind.HESSIAN, 0, K, false, false, false, 90, 10, 200, 3,
        options().tol(), 0, 0, options().maxIterations());
    LayerSpectra b = new LayerSpectraEngine(counting, bottomOnly).layer(last);
    CountingOperator normOnly = new CountingOperator(op);
    SpectrumEnds.normEstimate(normOnly, 0);  // the engine's estimate, same seed: same products
    long norm = normOnly.applications();
    long bottom = b.bottom().arpack().applications();
    int n = op.dim();
    // every product the engine made: the trace's 3, the norm estimate's, the bottom's (at most n by ARPACK, then n
    // for the dense matrix) and one residual per eigenpair
    assertEquals(3 + norm + bottom + K, counted.applications(), "products counted around the block");
    assertTrue(bottom <= 2L * n, "bottom " + K + " of a zero cluster in at most 2n = " + 2 * n + " products, took " + bottom);
    assertBounded(b, n, "cross-entropy last layer, bottom only");
    for (int j = 0; j < K; j++) assertEquals(ref[j], b.bottom().values()[j], 1e-8 * ref[ref.length - 1], "bottom " + j);
    LayerSpectra s = new LayerSpectraEngine(src, options()).layer(last);
    assertEnds(ref, s, "cross-entropy last layer");
  }

  /** The bottom came from ARPACK, or from the dense path after ARPACK spent at most n products (said so). */
  static void assertBounded(LayerSpectra s, int n, String what) {
    ArpackResult r = s.bottom().arpack();
    if (r.method().equals("arpack")) return;
    assertEquals("dense", r.method(), what);
    assertTrue(r.applications() <= 2L * n, what + ": " + r.applications() + " products");
  }
}
