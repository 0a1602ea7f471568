package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.Float32CurvatureTest.Case;
import org.hesse.nn.Nets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float32 engine on graphs (fan-out and fan-in: a residual block's add, concat, a gating mul, attention's
 * slices, matmuls, softmax and concat, positional embedding, token mean; batch norm with batch statistics; a tied weight used by two layers) against PyTorch's float64 answers
 * (make_graph_fixtures.py) and the float64 engine. It runs the float64 engine's own traversal as generated twins
 * (Executor32 sums the fan-out signals in float). Tolerance 1e-5 relative, for the reason of
 * {@link Float32CurvatureTest}: the loss against PyTorch, gradient and full products (one and three directions)
 * against float64 in norm, and each layer's dense block from float32 products: its top three eigenvalues relative
 * to the block's largest |λ| and its trace relative to the sum of |λ| (a trace may cancel; each eigenvalue's
 * rounding is relative to the block's scale).
 */
class Float32GraphTest {
  static final double TOL = Float32CurvatureTest.TOL;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"residual-mlp-mse", "graph-concat", "graph-gated-mlp", "graph-tiny-vit", "graph-resnet-bn",
      "bn-mlp-ce", "graph-tied-mlp"})
  void graphsMatchFloat64AndPyTorch(String name) throws IOException {
    Case c = Float32CurvatureTest.load(name);
    // batch norm couples the rows: the reference is one batch (analysis mode: the batch's statistics)
    int batch = c.net().batchCoupled() ? c.x().length / c.net().inputSize() : 5;
    Curvature c64 = Curvature.of(c.net(), c.theta(), c.x(), c.y(), batch);
    Float32Curvature c32 = Float32Curvature.of(c.net(), c.theta(), c.x(), c.y(), batch);
    double loss = c.ref().get("loss").asDouble();
    assertEquals(loss, c32.loss(), TOL * Math.abs(loss), name + " loss vs PyTorch");
    double g = Float32CurvatureTest.relErr(c32.gradient(), c64.gradient());
    assertTrue(g < TOL, name + " gradient: relative error " + g);
    int p = c.net().paramCount();
    double[] v3 = new double[3 * p];
    for (int j = 0; j < 3; j++) System.arraycopy(Nets.gaussian(p, 1.0, 20 + j), 0, v3, j * p, p);
    for (Kind kind : Kind.values()) {
      double[] h64 = new double[3 * p];
      double[] h32 = new double[3 * p];
      c64.full(kind).applyMany(v3, h64, 3);
      c32.full(kind).applyMany(v3, h32, 3);
      for (int j = 0; j < 3; j++) {
        double e = Float32CurvatureTest.relErr(java.util.Arrays.copyOfRange(h32, j * p, (j + 1) * p),
            java.util.Arrays.copyOfRange(h64, j * p, (j + 1) * p));
        assertTrue(e < TOL, name + " " + kind + " product " + j + ": relative error " + e);
      }
    }
    int checked = 0;
    for (JsonNode layer : c.ref().get("layers")) {
      int l = c.net().layerIndex(layer.get("name").asText());
      if (c.net().blockSize(l) > 300) continue;  // the 400-parameter patch embedding: the products above cover it
      for (Kind kind : Kind.values()) {
        String prefix = kind == Kind.HESSIAN ? "" : "ggn_";
        double[][] block = Float32CurvatureTest.dense(c32.block(kind, l));
        double trace = 0;
        for (int i = 0; i < block.length; i++) trace += block[i][i];
        double[] eig = PyTorchFixtureTest.eigenvalues(block);
        JsonNode refEig = layer.get(prefix + "eigenvalues");
        int n = refEig.size();
        assertEquals(n, eig.length, name + " block size " + l);
        double scale = 0;
        double sumAbs = 0;
        for (JsonNode e : refEig) {
          scale = Math.max(scale, Math.abs(e.asDouble()));
          sumAbs += Math.abs(e.asDouble());
        }
        String at = name + " " + kind + " layer " + layer.get("name").asText();
        assertEquals(layer.get(prefix + "trace").asDouble(), trace, TOL * sumAbs, at + " trace");
        for (int i = n - 3; i < n; i++) {
          assertEquals(refEig.get(i).asDouble(), eig[i], TOL * scale, at + " eigenvalue " + i);
        }
        checked++;
      }
    }
    assertTrue(checked >= 6, name + ": blocks checked " + checked);
  }

  /**
   * Batch norm in EVAL mode (the running statistics of the fixture's buffers, float64 in both precisions) against the
   * float64 engine in EVAL mode, in batches of 5 (no coupling): loss, gradient and full products to 1e-5 relative.
   */
  @Test
  void batchNormInEvalModeMatchesFloat64() throws Exception {
    Case c = Float32CurvatureTest.load("graph-resnet-bn");
    java.nio.file.Path file = java.nio.file.Path.of(Float32GraphTest.class.getResource("/fixtures/graph-resnet-bn").toURI())
        .resolve("model.safetensors");
    double[] buffers = org.hesse.io.ModelFiles.readBuffers(c.net(), file);
    for (int i = 0; i < buffers.length; i++) buffers[i] += 0.1 * Math.sin(i);  // statistics other than the batch's
    Curvature c64 = Curvature.of(c.net(), c.theta(), buffers, org.hesse.nn.Mode.EVAL, c.x(), c.y(), 5);
    Float32Curvature c32 = Float32Curvature.of(c.net(), c.theta(), buffers, org.hesse.nn.Mode.EVAL, c.x(), c.y(), 5);
    assertEquals(c64.loss(), c32.loss(), TOL * Math.abs(c64.loss()), "loss");
    Curvature batchStats = Curvature.of(c.net(), c.theta(), c.x(), c.y(), c.x().length / c.net().inputSize());
    assertTrue(Math.abs(batchStats.loss() - c64.loss()) > 1e-3 * c64.loss(), "EVAL differs from batch statistics");
    double g = Float32CurvatureTest.relErr(c32.gradient(), c64.gradient());
    assertTrue(g < TOL, "gradient: relative error " + g);
    double[] v = Nets.gaussian(c.net().paramCount(), 1.0, 31);
    for (Kind kind : Kind.values()) {
      double[] h64 = new double[v.length];
      double[] h32 = new double[v.length];
      c64.full(kind).apply(v, h64);
      c32.full(kind).apply(v, h32);
      double e = Float32CurvatureTest.relErr(h32, h64);
      assertTrue(e < TOL, kind + " product: relative error " + e);
    }
  }
}
