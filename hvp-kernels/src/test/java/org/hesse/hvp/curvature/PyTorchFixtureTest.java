package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.io.Fixtures;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.linalg.Linalg;
import org.hesse.nn.Network;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netlib.util.intW;

/**
 * Loss, block traces and block spectra against PyTorch's float64 answers (torch.autograd.functional.hessian
 * and eigvalsh) in java-core's test resources (org.hesse.io.Fixtures) and this module's own: the independent check
 * of names, layouts and reductions.
 */
public class PyTorchFixtureTest {
  /**
   * The repository's fixtures (MLPs, java-core test resources) and this module's own (batch norm in training
   * mode, layer norm, residual blocks, conv/pool/flatten; written by src/test/resources/fixtures/make_fixtures.py
   * with PyTorch 1.13 float64).
   */
  public static Stream<Path> cases() throws IOException, java.net.URISyntaxException {
    java.util.List<Path> dirs = new java.util.ArrayList<>(Fixtures.cases()); // missing: a failure, not a skip
    Path own = Path.of(PyTorchFixtureTest.class.getResource("/fixtures").toURI());
    try (Stream<Path> s = Files.list(own)) {
      // graph-*: the "nodes" model format (make_graph_fixtures.py), for the graph engine's tests; ModelSpec reads
      // only "layers" descriptions
      s.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith("graph-")).sorted()
          .forEach(dirs::add);
    }
    return dirs.stream();
  }

  /** data.csv: header, feature columns x0.., then the target column(s). */
  public static double[][] readCsv(Path file, int features) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int n = lines.size() - 1;
    int cols = lines.get(0).split(",").length;
    double[] x = new double[n * features];
    double[] y = new double[n * (cols - features)];
    for (int i = 0; i < n; i++) {
      String[] c = lines.get(i + 1).split(",");
      for (int j = 0; j < cols; j++) {
        double v = Double.parseDouble(c[j]);
        if (j < features) x[i * features + j] = v;
        else y[i * (cols - features) + j - features] = v;
      }
    }
    return new double[][] {x, y};
  }

  static double[] eigenvalues(double[][] a) {
    int n = a.length;
    double[] m = new double[n * n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i + j * n] = a[i][j];
    double[] w = new double[n];
    double[] work = new double[Math.max(1, 3 * n)];
    intW info = new intW(0);
    Linalg.lapack().dsyev("N", "U", n, m, n, w, work, work.length, info);
    assertEquals(0, info.val, "dsyev info");
    return w;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPyTorch(Path dir) throws IOException {
    String name = dir.getFileName().toString();
    ModelSpec spec = ModelSpec.read(dir.resolve("model.json"));
    Network net = ModelFiles.network(spec);
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = readCsv(dir.resolve("data.csv"), net.inputSize());
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    // batches of 7 exercise the per-batch weighting and a partial last batch; batch norm's reference is one batch
    int n = data[0].length / net.inputSize();
    Curvature c = Curvature.of(net, theta, ModelFiles.readBuffers(net, dir.resolve("model.safetensors")),
        org.hesse.nn.Mode.ANALYSIS, data[0], data[1], net.batchCoupled() ? n : 7);
    assertEquals(ref.get("loss").asDouble(), c.loss(), 1e-12 * Math.abs(ref.get("loss").asDouble()), "loss");
    for (JsonNode layer : ref.get("layers")) {
      int l = net.layerIndex(layer.get("name").asText());
      assertEquals(layer.get("params").asInt(), net.layer(l).paramCount(), "params of layer " + l);
      for (Kind kind : Kind.values()) {
        String prefix = kind == Kind.HESSIAN ? "" : "ggn_";
        double[][] block = CurvatureTest.dense(c.block(kind, l));
        double trace = 0;
        for (int i = 0; i < block.length; i++) trace += block[i][i];
        double[] eig = eigenvalues(block);
        JsonNode refEig = layer.get(prefix + "eigenvalues");
        double scale = Math.max(Math.abs(refEig.get(0).asDouble()), Math.abs(refEig.get(refEig.size() - 1).asDouble()));
        assertEquals(layer.get(prefix + "trace").asDouble(), trace, 1e-10 * scale * eig.length, name + " " + kind + " trace " + l);
        assertEquals(refEig.size(), eig.length);
        for (int i = 0; i < eig.length; i++) {
          assertEquals(refEig.get(i).asDouble(), eig[i], 1e-10 * scale, name + " " + kind + " layer " + l + " eigenvalue " + i);
        }
      }
    }
  }
}
