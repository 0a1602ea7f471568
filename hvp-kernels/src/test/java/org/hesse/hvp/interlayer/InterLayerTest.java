package org.hesse.hvp.interlayer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.hesse.eigen.Probes;
import org.hesse.hvp.curvature.ActivationSpace;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.hvp.curvature.PyTorchFixtureTestAccess;
import org.hesse.hvp.interlayer.BlockNorms.Block;
import org.hesse.hvp.interlayer.BlockNorms.Estimate;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Init;
import org.hesse.nn.LayerNorm;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Inter-layer metrics against independent computations: the PyTorch float64 graph fixtures' off-diagonal Hessian
 * blocks (Frobenius norm and singular values, 1e-9 relative to the largest singular value); the stochastic
 * estimates against the exact ones and their standard errors against the analytic Hutchinson variance of AᵀA
 * (computed from the dense block); and the DAG paper's structural checks (closed forms: a zero tensor part).
 */
class InterLayerTest {
  static final double TOL = 1e-9;

  record Fixture(Network net, Curvature c, JsonNode ref) {}

  static Fixture fixture(String name) throws Exception {
    Path dir = Path.of(InterLayerTest.class.getResource("/fixtures/" + name).toURI());
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = PyTorchFixtureTestAccess.readCsv(dir.resolve("data.csv"), net.inputSize());
    int n = data[0].length / net.inputSize();
    Curvature c = Curvature.of(net, theta, ModelFiles.readBuffers(net, dir.resolve("model.safetensors")), Mode.ANALYSIS,
        data[0], data[1], net.batchCoupled() ? n : 5);
    return new Fixture(net, c, new ObjectMapper().readTree(dir.resolve("reference.json").toFile()));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"graph-resnet-bn", "graph-concat", "graph-gated-mlp"})
  void exactMetricsMatchPyTorch(String name) throws Exception {
    Fixture f = fixture(name);
    InterLayer il = new InterLayer(f.c, new InterLayer.Options());
    for (JsonNode off : f.ref.get("off_diagonal")) {
      int v = f.net.layerIndex(off.get("rows").asText());
      int w = f.net.layerIndex(off.get("cols").asText());
      InterLayer.PairMetrics m = il.pair(v, w);
      assertEquals("exact", m.path());
      JsonNode sv = off.get("singular_values");
      double scale = sv.get(0).asDouble();
      assertEquals(off.get("frobenius").asDouble(), m.resonance().value(), TOL * scale, name + " R");
      assertEquals(sv.size(), m.singularValues().length);
      for (int i = 0; i < sv.size(); i++) {
        assertEquals(sv.get(i).asDouble(), m.singularValues()[i], TOL * scale, name + " singular value " + i);
      }
      assertEquals(scale, m.spectralNorm(), TOL * scale, name + " ‖H‖_2");
      double fro = off.get("frobenius").asDouble();
      assertEquals(fro * fro / (scale * scale), m.stableRank().value(), 1e-8, name + " stable rank");
    }
  }

  /** ‖H_vw‖_F² estimates within 4 analytic standard errors; the stated error within a factor 2 of the analytic one. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"RADEMACHER", "GAUSSIAN"})
  void hutchinsonWithinAnalyticStandardErrors(String dist) throws Exception {
    Fixture f = fixture("graph-gated-mlp");
    Probes.Distribution d = Probes.Distribution.valueOf(dist);
    int probes = 200;
    for (JsonNode off : f.ref.get("off_diagonal")) {
      int v = f.net.layerIndex(off.get("rows").asText());
      int w = f.net.layerIndex(off.get("cols").asText());
      Block b = InterLayer.block(f.c.block(Kind.HESSIAN, v, w), f.c.block(Kind.HESSIAN, w, v));
      double[] dense = BlockNorms.dense(b);
      double exact = off.get("frobenius").asDouble() * off.get("frobenius").asDouble();
      double analyticSe = Math.sqrt(BlockNorms.hutchinsonVariance(dense, b.rows(), b.cols(), d) / probes);
      Estimate e = BlockNorms.frobeniusSquared(b, d, probes, 7);
      assertTrue(Math.abs(e.value() - exact) <= 4 * analyticSe,
          dist + ": " + e.value() + " vs " + exact + ", analytic se " + analyticSe);
      assertTrue(e.standardError() > 0.5 * analyticSe && e.standardError() < 2 * analyticSe,
          dist + ": stated se " + e.standardError() + " vs analytic " + analyticSe);
      // power iteration with the adjoint (the transposed block) reaches the largest singular value
      BlockNorms.PowerResult p = BlockNorms.spectralNorm(b, 500, 1e-13, 3);
      double s0 = off.get("singular_values").get(0).asDouble();
      assertEquals(s0, p.norm(), 1e-5 * s0, "power iteration ‖H‖_2");
    }
  }

  /** Forced stochastic: every metric within 4 of its stated standard errors of the exact path's value. */
  @Test
  void stochasticPairsAgreeWithExact() throws Exception {
    Fixture f = fixture("graph-gated-mlp");
    InterLayer.Options eo = new InterLayer.Options();
    eo.activations = false;
    InterLayer.Options so = new InterLayer.Options();
    so.activations = false;
    so.stochastic = true;
    so.probes = 200;
    so.seed = 11;
    InterLayer exact = new InterLayer(f.c, eo);
    InterLayer.Result er = exact.compute(exact.allPairs());
    InterLayer.Result sr = new InterLayer(f.c, so).compute(exact.allPairs());
    for (int i = 0; i < er.pairs().size(); i++) {
      InterLayer.PairMetrics e = er.pairs().get(i);
      InterLayer.PairMetrics s = sr.pairs().get(i);
      assertEquals("stochastic", s.path());
      within(e.resonance(), s.resonance(), "R " + i);
      within(e.ggnResonance(), s.ggnResonance(), "GGN R " + i);
      within(e.coupling(), s.coupling(), "C " + i);
      within(e.gnGap(), s.gnGap(), "GN-Gap " + i);
      within(e.stableRank(), s.stableRank(), "stable rank " + i);
      assertEquals(e.spectralNorm(), s.spectralNorm(), 1e-5 * e.spectralNorm(), "‖H‖_2 " + i);
    }
    within(er.phi(), sr.phi(), "Φ");
    // Φ against its definition on the dense full Hessian
    CurvatureOperator full = f.c.full(Kind.HESSIAN);
    double[] h = BlockNorms.dense(InterLayer.block(full, full));
    int p = full.cols();
    double diag = 0;
    for (int l : f.net.parametrisedLayers()) {
      int o = f.net.offset(l);
      int n = f.net.layer(l).paramCount();
      for (int i = o; i < o + n; i++) for (int j = o; j < o + n; j++) diag += h[i * p + j] * h[i * p + j];
    }
    assertEquals(1 - diag / BlockNorms.frobeniusSquared(h), er.phi().value(), 1e-12, "Φ exact");
  }

  private static void within(Estimate exact, Estimate est, String what) {
    assertEquals(0, exact.standardError(), what + ": exact path has no error");
    assertTrue(est.standardError() > 0, what + ": a stochastic estimate states its error");
    assertTrue(Math.abs(est.value() - exact.value()) <= 4 * est.standardError(),
        what + ": " + est.value() + " ± " + est.standardError() + " vs exact " + exact.value());
  }

  static double[] data(int n, int in, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    double[] x = new double[n * in];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    return x;
  }

  static double[] labels(int n, int classes) {
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = i % classes;
    return y;
  }

  /** ReLU with batch norm in eval mode is piecewise linear in the activations: the tensor part vanishes. */
  @Test
  void gnGapZeroForReluWithEvalBatchNorm() {
    Network net = Network.builder(4).dense(6).add(new BatchNorm(new int[] {6})).activation("relu")
        .dense(5).add(new BatchNorm(new int[] {5})).activation("relu").dense(3).build("cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 1);
    double[] buffers = net.initialBuffers();
    Curvature c = Curvature.of(net, theta, buffers, Mode.EVAL, data(12, 4, 2), labels(12, 3), 5);
    ActivationSpace as = new ActivationSpace(c);
    for (int v = 0; v < net.depth(); v++) {
      for (int w = v; w < net.depth(); w++) {
        ActivationSpace.Blocks b = as.blocks(v, w);
        double h = Math.sqrt(BlockNorms.frobeniusSquared(b.hessian));
        assertTrue(BlockNorms.frobeniusSquared(b.tensor) <= 1e-28 * Math.max(1, h * h), v + "," + w);
      }
    }
    // the same network with tanh has a tensor part (the check can fail)
    Network tanh = Network.builder(4).dense(6).add(new BatchNorm(new int[] {6})).activation("tanh")
        .dense(5).add(new BatchNorm(new int[] {5})).activation("tanh").dense(3).build("cross_entropy");
    Curvature ct = Curvature.of(tanh, theta, buffers, Mode.EVAL, data(12, 4, 2), labels(12, 3), 5);
    assertTrue(new ActivationSpace(ct).blocks(0, 2).gnGap() > 1e-3);
    // and the command's pair metrics report it
    InterLayer il = new InterLayer(c, new InterLayer.Options());
    InterLayer.PairMetrics m = il.pair(0, 3);
    assertNull(m.activation().skipped());
    assertTrue(m.activation().gnGap() < 1e-12, "activation GN-Gap " + m.activation().gnGap());
  }

  /**
   * Next to a linear head z = W f + b (f its input, z its output) the activation blocks are J_vᵀ∇²ℓ and
   * J_vᵀ Wᵀ∇²ℓ W J_f...: Gauss-Newton only; the head's own parameter block is linear in its parameters too.
   * Elsewhere (tanh, layer norm) the tensor part is not zero.
   */
  @Test
  void tensorPartZeroNextToLinearHead() {
    Network net = Network.builder(4).dense(6).add(new LayerNorm(new int[] {6})).activation("tanh")
        .dense(5).activation("tanh").dense(3).build("cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 4);
    Curvature c = Curvature.of(net, theta, data(10, 4, 5), labels(10, 3), 4);
    ActivationSpace as = new ActivationSpace(c);
    int head = net.depth() - 1;
    for (int v = 0; v < net.depth(); v++) {
      for (int w : new int[] {head - 1, head}) {
        if (v > w) continue;
        ActivationSpace.Blocks b = as.blocks(v, w);
        double h2 = BlockNorms.frobeniusSquared(b.hessian);
        assertTrue(BlockNorms.frobeniusSquared(b.tensor) <= 1e-26 * h2, "tensor part of (" + v + ", " + w + ")");
      }
    }
    assertTrue(as.blocks(0, 2).gnGap() > 1e-3, "away from the head the tensor part is there");
    CurvatureOperator hh = c.block(Kind.HESSIAN, head);
    CurvatureOperator gh = c.block(Kind.GGN, head);
    Block t = InterLayer.difference(InterLayer.block(hh, hh), InterLayer.block(gh, gh));
    double h2 = BlockNorms.frobeniusSquared(BlockNorms.dense(InterLayer.block(hh, hh)));
    assertTrue(BlockNorms.frobeniusSquared(BlockNorms.dense(t)) <= 1e-26 * h2, "head's parameter block");
  }

  /**
   * Layer norm's normalisation is curved: a ReLU network with it has a tensor part (GN-Gap &gt; 0) in the block of
   * the layer norm's input (below w the block is {@code J_wvᵀ H_ww}, tensor part only from curvature above w).
   */
  @Test
  void gnGapPositiveWithLayerNorm() {
    Network net = Network.builder(4).dense(6).add(new LayerNorm(new int[] {6})).activation("relu")
        .dense(3).build("cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 6);
    Curvature c = Curvature.of(net, theta, data(10, 4, 7), labels(10, 3), 4);
    InterLayer il = new InterLayer(c, new InterLayer.Options());
    double gap = new ActivationSpace(c).blocks(0, 0).gnGap();
    assertTrue(gap > 1e-3, "activation GN-Gap " + gap);
    Network noNorm = Network.builder(4).dense(6).activation("relu").dense(3).build("cross_entropy");
    Curvature c0 = Curvature.of(noNorm, Init.PYTORCH.init(noNorm, 6), data(10, 4, 7), labels(10, 3), 4);
    assertTrue(new ActivationSpace(c0).blocks(0, 0).gnGap() < 1e-12, "without the layer norm: none");
    assertEquals(List.of(0, 1, 3), net.parametrisedLayers());
    assertEquals(1, il.distance(0, 1));
    assertEquals(3, il.distance(0, 3));
  }
}
