package org.hesse.hvp.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.linalg.Linalg;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.netlib.util.intW;

/**
 * The graph models ("nodes" descriptions) against PyTorch's float64 answers (make_graph_fixtures.py,
 * torch.autograd.functional.hessian over all rows as one batch): loss, outputs of two rows, per parametrised node
 * its gradient, its H and GGN block's trace and every eigenvalue, and the off-diagonal blocks between two nodes
 * (Frobenius norm, every singular value, the entries when stored); all within 1e-9 relative to the block's
 * largest value (zero eigenvalues are real: the tolerance is absolute at that scale).
 */
class GraphFixtureTest {
  static final double TOL = 1e-9;

  static Path dir(String name) throws URISyntaxException {
    return Path.of(GraphFixtureTest.class.getResource("/fixtures/" + name).toURI());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"graph-resnet-bn", "graph-concat", "graph-gated-mlp", "graph-tiny-vit", "graph-tied-mlp"})
  void matchesPyTorch(String name) throws IOException, URISyntaxException {
    Path dir = dir(name);
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = org.hesse.hvp.curvature.PyTorchFixtureTestAccess.readCsv(dir.resolve("data.csv"), net.inputSize());
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    int n = data[0].length / net.inputSize();
    // batch norm couples the rows: the reference is one batch; otherwise batches of 5 (the last partial)
    Curvature c = Curvature.of(net, theta, ModelFiles.readBuffers(net, dir.resolve("model.safetensors")), Mode.ANALYSIS,
        data[0], data[1], net.batchCoupled() ? n : 5);
    double loss = ref.get("loss").asDouble();
    assertEquals(loss, c.loss(), 1e-12 * Math.abs(loss), "loss");
    checkOutputs(net, theta, data[0], n, ref.get("sample_outputs"));
    // the description written back (what Spark broadcasts) builds the same network: names and outputs
    Network again = ModelFiles.network(ModelSpec.parse(ModelFiles.spec(net).toJson()));
    assertEquals(java.util.List.copyOf(net.tensors().keySet()), java.util.List.copyOf(again.tensors().keySet()), name);
    checkOutputs(again, theta, data[0], n, ref.get("sample_outputs"));
    double[] grad = c.gradient();
    for (JsonNode layer : ref.get("layers")) {
      String node = layer.get("name").asText();
      int l = net.layerIndex(node);
      assertEquals(layer.get("params").asInt(), net.blockSize(l), "params of " + node);
      JsonNode g = layer.get("gradient");
      double gs = maxAbs(g);
      for (int i = 0; i < g.size(); i++) {
        assertEquals(g.get(i).asDouble(), grad[net.offset(l) + i], TOL * gs, name + " gradient " + node + "[" + i + "]");
      }
      for (Kind kind : Kind.values()) {
        String prefix = kind == Kind.HESSIAN ? "" : "ggn_";
        double[] block = dense(c.block(kind, l));
        int p = net.blockSize(l);
        double trace = 0;
        for (int i = 0; i < p; i++) trace += block[i * p + i];
        double[] eig = symmetricEigenvalues(block, p);
        JsonNode refEig = layer.get(prefix + "eigenvalues");
        double scale = maxAbs(refEig);
        assertEquals(refEig.size(), eig.length, name + " " + node);
        assertEquals(layer.get(prefix + "trace").asDouble(), trace, TOL * scale * Math.sqrt(p), name + " " + kind + " trace " + node);
        for (int i = 0; i < eig.length; i++) {
          assertEquals(refEig.get(i).asDouble(), eig[i], TOL * scale, name + " " + kind + " " + node + " eigenvalue " + i);
        }
      }
    }
    for (JsonNode off : ref.get("off_diagonal")) {
      String a = off.get("rows").asText();
      String b = off.get("cols").asText();
      int la = net.layerIndex(a);
      int lb = net.layerIndex(b);
      CurvatureOperator op = c.block(Kind.HESSIAN, la, lb);
      int rows = op.rows();
      int cols = op.cols();
      assertEquals(off.get("shape").get(0).asInt(), rows);
      assertEquals(off.get("shape").get(1).asInt(), cols);
      double[] h = denseRect(op);
      JsonNode sv = off.get("singular_values");
      double scale = sv.get(0).asDouble();
      double fro = 0;
      for (double x : h) fro += x * x;
      assertEquals(off.get("frobenius").asDouble(), Math.sqrt(fro), TOL * scale, name + " ‖H_" + a + "," + b + "‖_F");
      double[] s = singularValues(h, rows, cols);
      assertEquals(sv.size(), s.length);
      for (int i = 0; i < s.length; i++) {
        assertEquals(sv.get(i).asDouble(), s[i], TOL * scale, name + " H_" + a + "," + b + " singular value " + i);
      }
      JsonNode entries = off.get("entries");
      if (entries != null) {
        for (int i = 0; i < entries.size(); i++) {
          assertEquals(entries.get(i).asDouble(), h[i], TOL * scale, name + " H_" + a + "," + b + " entry " + i);
        }
      }
    }
  }

  /** Rows 0 and 1 of the model output from a forward pass over the whole batch (batch norm's statistics). */
  static void checkOutputs(Network net, double[] theta, double[] x, int n, JsonNode ref) {
    Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, n);
    int w = net.outputSize();
    for (int r = 0; r < ref.size(); r++) {
      for (int i = 0; i < w; i++) {
        double e = ref.get(r).get(i).asDouble();
        assertEquals(e, ws.output()[r * w + i], 1e-12 * Math.max(1, Math.abs(e)), "output row " + r + " [" + i + "]");
      }
    }
  }

  static double maxAbs(JsonNode a) {
    double m = 0;
    for (JsonNode v : a) m = Math.max(m, Math.abs(v.asDouble()));
    return m;
  }

  /** A square block, row-major, column by column. */
  static double[] dense(CurvatureOperator op) {
    return denseRect(op);
  }

  /** rows × cols row-major: every unit vector at once (a k-direction apply), column j from direction j. */
  static double[] denseRect(CurvatureOperator op) {
    int rows = op.rows();
    int cols = op.cols();
    double[] e = new double[cols * cols];
    for (int j = 0; j < cols; j++) e[j * cols + j] = 1;
    double[] y = new double[cols * rows];
    op.applyMany(e, y, cols);
    double[] m = new double[rows * cols];
    for (int j = 0; j < cols; j++) for (int i = 0; i < rows; i++) m[i * cols + j] = y[j * rows + i];
    return m;
  }

  static double[] symmetricEigenvalues(double[] a, int n) {
    double[] m = a.clone();  // row-major symmetric: its own column-major transpose
    double[] w = new double[n];
    double[] work = new double[Math.max(1, 3 * n)];
    intW info = new intW(0);
    Linalg.lapack().dsyev("N", "U", n, m, n, w, work, work.length, info);
    assertEquals(0, info.val, "dsyev info");
    return w;
  }

  /** Singular values, descending, by LAPACK dgesvd (a row-major rows × cols is column-major cols × rows: same values). */
  static double[] singularValues(double[] a, int rows, int cols) {
    double[] m = a.clone();
    int mm = cols;
    int nn = rows;
    double[] s = new double[Math.min(mm, nn)];
    double[] query = new double[1];
    intW info = new intW(0);
    Linalg.lapack().dgesvd("N", "N", mm, nn, m, mm, s, new double[1], 1, new double[1], 1, query, -1, info);
    double[] work = new double[(int) query[0]];
    Linalg.lapack().dgesvd("N", "N", mm, nn, m, mm, s, new double[1], 1, new double[1], 1, work, work.length, info);
    assertEquals(0, info.val, "dgesvd info");
    return s;
  }
}
