package org.hesse.hvp.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureChecks;
import org.hesse.hvp.curvature.DenseLayerBlock;
import org.hesse.io.InputException;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Objective;
import org.hesse.train.Schedule;
import org.hesse.train.Sgd;
import org.hesse.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared (tied) tensors: x → tanh(W x + b1) → tanh(W h + b2) → head, one W used by nodes h1 and h2
 * ({@code "share": {"weight": "h1.weight"}}). θ is PyTorch's {@code parameters()}: h1.weight, h1.bias, h2.bias,
 * head.weight, head.bias (39 values); the nodes' slots (55) are θ expanded by E. References: the same network
 * untied (its own engine path, no sharing) with Eᵀ written out here, central differences of the loss and of the
 * gradient in θ, Jacobians by differences for the GGN, and PyTorch float64 (fixture graph-tied-mlp).
 */
class SharedTensorTest {
  static final String TIED = """
      {"input": 4, "loss": "%s", "nodes": [
        {"name": "h1", "type": "dense", "out": 4}, {"name": "h1_act", "type": "tanh"},
        {"name": "h2", "type": "dense", "out": 4%s}, {"name": "h2_act", "type": "tanh"},
        {"name": "head", "type": "dense", "out": 3}]}""";
  static final String SHARE = ", \"share\": {\"weight\": \"h1.weight\"}";

  static Network tied(String loss) {
    return ModelFiles.network(ModelSpec.parse(TIED.formatted(loss, SHARE)));
  }

  static Network untied(String loss) {
    return ModelFiles.network(ModelSpec.parse(TIED.formatted(loss, "")));
  }

  /**
   * E written out: untied slot → unique parameter. Untied layout h1.w 0..15, h1.b 16..19, h2.w 20..35, h2.b 36..39,
   * head 40..54; unique h1.w 0..15, h1.b 16..19, h2.b 20..23, head 24..38.
   */
  static int[] expansion() {
    int[] e = new int[55];
    for (int s = 0; s < 20; s++) e[s] = s;
    for (int s = 20; s < 36; s++) e[s] = s - 20;
    for (int s = 36; s < 40; s++) e[s] = s - 16;
    for (int s = 40; s < 55; s++) e[s] = s - 16;
    return e;
  }

  static double[] expand(double[] theta) {
    int[] e = expansion();
    double[] out = new double[e.length];
    for (int s = 0; s < e.length; s++) out[s] = theta[e[s]];
    return out;
  }

  @Test
  void layoutIsPyTorchsParametersOrder() {
    Network net = tied("cross_entropy");
    assertEquals(39, net.paramCount());
    assertEquals(55, net.slotCount());
    assertEquals(List.of("h1.weight", "h1.bias", "h2.bias", "head.weight", "head.bias"), List.copyOf(net.tensors().keySet()));
    assertEquals(20, net.tensors().get("h2.bias").offset);
    assertEquals(Map.of("h2.weight", "h1.weight"), net.tiedTensors());
    int[] e = expansion();
    for (int s = 0; s < e.length; s++) assertEquals(e[s], net.slotParam(s), "slot " + s);
    int h1 = net.layerIndex("h1");
    int h2 = net.layerIndex("h2");
    int head = net.layerIndex("head");
    assertArrayEquals(new int[] {0, 20, 20, 4, 24, 15},
        new int[] {net.offset(h1), net.blockSize(h1), net.offset(h2), net.blockSize(h2), net.offset(head), net.blockSize(head)});
    assertTrue(net.sharesTensors(h1) && net.sharesTensors(h2));
    assertFalse(net.sharesTensors(head));
  }

  /** Loss, gradient Eᵀg and full H, GGN = Eᵀ(·)E against the untied network at Eθ (its own, sharing-free path). */
  @Test
  void equalsTheUntiedNetworkReducedByE() {
    for (String loss : new String[] {"cross_entropy", "mse"}) {
      Network net = tied(loss);
      Network free = untied(loss);
      double[] theta = Nets.gaussian(net.paramCount(), 0.7, 51);
      double[] x = Nets.features(7, 4, 1.0, 52);
      double[] y = Nets.targets(net, 7, 53);
      Curvature c = Curvature.of(net, theta, x, y, 3);
      Curvature u = Curvature.of(free, expand(theta), x, y, 3);
      assertEquals(u.loss(), c.loss(), 1e-14 * Math.abs(u.loss()), loss + " loss");
      int[] e = expansion();
      double[] gu = u.gradient();
      double[] reduced = new double[39];
      for (int s = 0; s < 55; s++) reduced[e[s]] += gu[s];
      GraphOpsTest.assertClose(reduced, c.gradient(), 1e-13, loss + " gradient");
      for (Kind kind : Kind.values()) {
        double[] big = GraphFixtureTest.dense(u.full(kind));
        double[] want = new double[39 * 39];
        for (int s = 0; s < 55; s++) for (int t = 0; t < 55; t++) want[e[s] * 39 + e[t]] += big[s * 55 + t];
        GraphOpsTest.assertClose(want, GraphFixtureTest.dense(c.full(kind)), 1e-12, loss + " " + kind + " EᵀHE");
        // the off-diagonal block h2 × h1 is a slice of it
        double[] off = GraphFixtureTest.denseRect(c.block(kind, net.layerIndex("h2"), net.layerIndex("h1")));
        double[] slice = new double[4 * 20];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 20; j++) slice[i * 20 + j] = want[(20 + i) * 39 + j];
        GraphOpsTest.assertClose(slice, off, 1e-12, loss + " " + kind + " block h2,h1");
      }
    }
  }

  /**
   * The curvature battery (gradient and HVP against central differences in θ, symmetry, PSD GGN, blocks = slices,
   * k directions = singles), and every layer's exact H block against central differences of the gradient and its
   * GGN block against Jᵀ∇²ℓJ with J by differences of the outputs in θ: 1e-6 relative.
   */
  @Test
  void blocksAgainstDifferencesOfTheGradient() {
    for (String loss : new String[] {"cross_entropy", "mse"}) {
      Network net = tied(loss);
      int n = GraphOpsTest.N;
      double[] theta = Nets.gaussian(net.paramCount(), 0.7, 61);
      double[] x = Nets.features(n, 4, 1.0, 62);
      double[] y = Nets.targets(net, n, 63);
      CurvatureChecks.all(net, theta, x, y, GraphOpsTest.BATCH);
      Curvature c = Curvature.of(net, theta, x, y, GraphOpsTest.BATCH);
      Objective obj = new Objective(net, x, y, GraphOpsTest.BATCH);
      double h = 1e-5;
      for (int l : net.parametrisedLayers()) {
        int off = net.offset(l);
        int p = net.blockSize(l);
        double[] fd = new double[p * p];
        for (int j = 0; j < p; j++) {
          double[] tp = theta.clone();
          double[] tm = theta.clone();
          tp[off + j] += h;
          tm[off + j] -= h;
          double[] gp = new double[theta.length];
          double[] gm = new double[theta.length];
          obj.lossAndGradient(tp, gp);
          obj.lossAndGradient(tm, gm);
          for (int i = 0; i < p; i++) fd[i * p + j] = (gp[off + i] - gm[off + i]) / (2 * h);
        }
        String what = loss + " " + net.layerName(l);
        GraphOpsTest.assertClose(fd, GraphFixtureTest.dense(c.block(Kind.HESSIAN, l)), 1e-6, what + " H block");
        GraphOpsTest.assertClose(GraphOpsTest.ggnByDifferences(net, theta, x, y, off, p, h),
            GraphFixtureTest.dense(c.block(Kind.GGN, l)), 1e-6, what + " GGN block");
      }
    }
  }

  /** PyTorch float64 (make_graph_fixtures.py, graph-tied-mlp): gradient, every entry of the H and GGN blocks, 1e-9. */
  @Test
  void blocksMatchPyTorch() throws Exception {
    Path dir = GraphFixtureTest.dir("graph-tied-mlp");
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    // the file is PyTorch's state dict: the shared tensor under both names
    assertTrue(Safetensors.read(dir.resolve("model.safetensors")).containsKey("h2.weight"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = org.hesse.hvp.curvature.PyTorchFixtureTestAccess.readCsv(dir.resolve("data.csv"), net.inputSize());
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    Curvature c = Curvature.of(net, theta, data[0], data[1], 5);
    double[] grad = c.gradient();
    assertEquals(3, ref.get("layers").size());
    for (JsonNode layer : ref.get("layers")) {
      int l = net.layerIndex(layer.get("name").asText());
      int p = net.blockSize(l);
      assertEquals(layer.get("params").asInt(), p);
      double[] g = values(layer.get("gradient"));
      GraphOpsTest.assertClose(g, java.util.Arrays.copyOfRange(grad, net.offset(l), net.offset(l) + p), 1e-9,
          "gradient " + net.layerName(l));
      GraphOpsTest.assertClose(values(layer.get("hessian")), GraphFixtureTest.dense(c.block(Kind.HESSIAN, l)), 1e-9,
          "H block " + net.layerName(l));
      GraphOpsTest.assertClose(values(layer.get("ggn")), GraphFixtureTest.dense(c.block(Kind.GGN, l)), 1e-9,
          "GGN block " + net.layerName(l));
    }
  }

  static double[] values(JsonNode a) {
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
    return v;
  }

  /** One full-batch SGD step moves W by −lr · (the sum of both uses' gradients), computed on the untied network. */
  @Test
  void trainingUpdatesTheOneTensorWithTheSummedGradient() {
    Network net = tied("cross_entropy");
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 71);
    int n = 6;
    double[] x = Nets.features(n, 4, 1.0, 72);
    double[] y = Nets.targets(net, n, 73);
    double[] gu = Curvature.of(untied("cross_entropy"), expand(theta), x, y, n).gradient();
    int[] e = expansion();
    double[] want = theta.clone();
    double lr = 0.1;
    for (int s = 0; s < 55; s++) want[e[s]] -= lr * gu[s];
    double[] trained = theta.clone();
    Trainer.builder(net, new Sgd(net.paramCount(), 0.0, 0.0, false), Schedule.constant(lr)).batchSize(n).epochs(1)
        .evaluateInitial(false).build().fit(trained, x, y);
    GraphOpsTest.assertClose(want, trained, 1e-12, "θ after one step");
  }

  /** The description keeps "share"; the weights file has the owner's name only; a file may name the tensor by any use. */
  @Test
  void descriptionAndWeightsRoundTrip(@TempDir Path tmp) throws Exception {
    Network net = tied("cross_entropy");
    String json = ModelFiles.spec(net).toJson();
    assertTrue(json.contains("\"share\""), json);
    Network again = ModelFiles.network(ModelSpec.parse(json));
    assertEquals(net.tiedTensors(), again.tiedTensors());
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 81);
    Path file = tmp.resolve("w.safetensors");
    ModelFiles.writeParameters(net, theta, file);
    Map<String, Tensor> written = Safetensors.read(file);
    assertEquals(List.of("h1.weight", "h1.bias", "h2.bias", "head.weight", "head.bias"), List.copyOf(written.keySet()));
    assertArrayEquals(theta, ModelFiles.parameters(again, written));
    // safetensors' save_model may keep the other name of a shared tensor
    Map<String, Tensor> renamed = new LinkedHashMap<>(written);
    Tensor w = renamed.remove("h1.weight");
    renamed.put("h2.weight", Tensor.f64("h2.weight", w.shape(), w.data()));
    assertArrayEquals(theta, ModelFiles.parameters(net, renamed));
    // both names with different values: refused, naming the use
    Map<String, Tensor> both = new LinkedHashMap<>(written);
    double[] other = w.data().clone();
    other[3] += 1;
    both.put("h2.weight", Tensor.f64("h2.weight", w.shape(), other));
    InputException ex = assertThrows(InputException.class, () -> ModelFiles.parameters(net, both));
    assertTrue(ex.getMessage().startsWith("tensor 'h2.weight': tied to 'h1.weight'"), ex.getMessage());
  }

  @Test
  void refusesBadSharesNamingTheNode() {
    String[][] cases = {
        {", \"share\": {\"weight\": \"head.weight\"}", "names no parameter tensor of an earlier layer"},
        {", \"share\": {\"weight\": \"h9.weight\"}", "names no parameter tensor of an earlier layer"},
        {", \"share\": {\"weight\": \"h1.bias\"}", "of shape [4]; expected the same shape"},
        {", \"share\": {\"wieght\": \"h1.weight\"}", "which is no tensor of this op"},
        {", \"share\": [\"h1.weight\"]", "'share' must map"}};
    for (String[] c : cases) {
      InputException e = assertThrows(InputException.class, () -> ModelFiles.network(ModelSpec.parse(TIED.formatted("mse", c[0]))));
      assertTrue(e.getMessage().contains("node 'h2'") && e.getMessage().contains(c[1]) && !e.getMessage().contains("\n"),
          c[0] + ": " + e.getMessage());
    }
    String composite = """
        {"input": 8, "input_shape": [2, 4], "loss": "mse", "nodes": [{"name": "a", "type": "attention", "heads": 1},
          {"name": "b", "type": "attention", "heads": 1, "share": {"in_proj_weight": "a.in_proj_weight"}},
          {"name": "tm", "type": "token_mean"}]}""";
    InputException e = assertThrows(InputException.class, () -> ModelFiles.network(ModelSpec.parse(composite)));
    assertTrue(e.getMessage().contains("node 'b' (attention): 'share' on a composite op"), e.getMessage());
  }

  /** Per-layer shortcuts that read one layer's own nodes (Kronecker factors, back-matching) refuse a shared layer. */
  @Test
  void layerOwnShortcutsRefuseSharedLayers() {
    Network net = tied("cross_entropy");
    double[] theta = Nets.gaussian(net.paramCount(), 0.7, 91);
    Curvature c = Curvature.of(net, theta, Nets.features(4, 4, 1.0, 92), Nets.targets(net, 4, 93), 4);
    int h1 = net.layerIndex("h1");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DenseLayerBlock.of(c, Kind.HESSIAN, h1));
    assertTrue(e.getMessage().contains("layer h1 shares a tensor"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BackMatching(c).weightSide(h1));
    assertTrue(e.getMessage().contains("layer h1: shares a tensor"), e.getMessage());
    // an unshared layer of the tied network keeps its shortcuts, equal to the untied network's at Eθ
    Curvature u = Curvature.of(untied("cross_entropy"), expand(theta), Nets.features(4, 4, 1.0, 92), Nets.targets(net, 4, 93), 4);
    int head = net.layerIndex("head");
    GraphOpsTest.assertClose(GraphFixtureTest.dense(c.block(Kind.HESSIAN, head)), DenseLayerBlock.of(c, Kind.HESSIAN, head).assemble(),
        1e-12, "Kronecker block of head");
    GraphOpsTest.assertClose(new BackMatching(u).weightSideMatrix(head), new BackMatching(c).weightSideMatrix(head), 1e-12,
        "back-matching weight side (the Jacobian Gram pass) of head");
  }
}
