package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code hesse spectrum --model net.onnx --loss ... --full} on models exported by {@code torch.onnx.export} against
 * PyTorch float64 autograd on the same weights and data (loss; per layer the Hessian's trace and every eigenvalue,
 * from torch.autograd.functional.hessian): within 1e-9 relative (eigenvalues: relative to the layer's largest |λ|).
 * Fixtures: onnx/src/test/python/make_onnx_fixtures.py writes them into the onnx module's test resources.
 */
class OnnxSpectrumTest {
  static final Path FIXTURES = Path.of("..", "onnx", "src", "test", "resources", "org", "hesse", "io", "onnx");
  static final double TOL = 1e-9;

  @TempDir Path dir;

  static String[] run(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "mlp_activations", "conv_bn", "resnet", "branchy", "branchy_opset17", "conv_pool", "bn_eval", "encoder", "torch_encoder",
      "idiom_view", "idiom_view_dyn", "idiom_reshape", "idiom_reshape_dyn", "idiom_flatten", "idiom_flatten_dyn",
      "idiom_view_m1", "idiom_view_m1_dyn", "idiom_tokens", "idiom_tokens_dyn", "idiom_gap", "idiom_gap_dyn", "idiom_mean_last",
      "idiom_mean_last_dyn", "tied_mlp", "tied_tokens", "tied_tokens_folded"})
  void spectrumMatchesPyTorch(String name) throws Exception {
    JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve("reference.json").toFile()).get(name);
    String loss = ref.get("loss_name").asText();
    check(name, ref, spectrum(name, "--model", FIXTURES.resolve(name + ".onnx").toString(), "--loss", loss));
  }

  /** hesse import writes model.json + model.safetensors that give the same spectra through the native path. */
  @ParameterizedTest
  @ValueSource(strings = {"mlp_activations", "resnet", "tied_mlp"})
  void importedFilesGiveTheSameSpectra(String name) throws Exception {
    JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve("reference.json").toFile()).get(name);
    Path out = dir.resolve("imported");
    String[] r = run("import", FIXTURES.resolve(name + ".onnx").toString(), "--loss", ref.get("loss_name").asText(), "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    check(name, ref, spectrum(name, "--model", out.resolve("model.json").toString(), "--weights", out.resolve("model.safetensors").toString()));
  }

  @Test
  void badOnnxIsOneLineAndNothingIsWritten() throws Exception {
    byte[] bytes = Files.readAllBytes(FIXTURES.resolve("mlp.onnx"));
    Path bad = dir.resolve("bad.onnx");
    Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length - 9));
    Path out = dir.resolve("out");
    String[] r = run("import", bad.toString(), "--loss", "mse", "--out", out.toString());
    assertEquals("2", r[0]);
    assertEquals(1, r[2].strip().lines().count(), r[2]);
    assertTrue(r[2].contains(bad + ": not a readable ONNX model"), r[2]);
    assertFalse(Files.exists(out));
    r = run("spectrum", "--model", FIXTURES.resolve("mlp.onnx").toString(), "--data", FIXTURES.resolve("mlp.csv").toString(), "--target", "label");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("give --loss cross_entropy|mse"), r[2]);
  }

  /** A trailing LogSoftmax: dropped under cross-entropy with a note on stderr; under mse one line, nothing written. */
  @Test
  void trailingLogSoftmaxIsDroppedWithANote() throws Exception {
    Path out = dir.resolve("imported");
    String[] r = run("import", FIXTURES.resolve("idiom_gap.onnx").toString(), "--loss", "cross_entropy", "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    assertTrue(r[2].contains("hesse: note: ONNX model ") && r[2].contains("node '/LogSoftmax' (LogSoftmax) dropped"), r[2]);
    Path mse = dir.resolve("mse");
    r = run("import", FIXTURES.resolve("idiom_gap.onnx").toString(), "--loss", "mse", "--out", mse.toString());
    assertEquals("2", r[0]);
    assertEquals(1, r[2].strip().lines().count(), r[2]);
    assertTrue(r[2].contains("a trailing LogSoftmax under --loss mse"), r[2]);
    assertFalse(Files.exists(mse));
  }

  /** train --model net.onnx --loss: the ONNX graph, trained; the run's model.json has the ONNX layers' names and sizes. */
  @Test
  void trainTakesTheOnnxGraph() throws Exception {
    Path out = dir.resolve("run");
    String[] r = run("train", "--model", FIXTURES.resolve("mlp.onnx").toString(), "--loss", "cross_entropy", "--data",
        FIXTURES.resolve("mlp.csv").toString(), "--target", "label", "--epochs", "1", "--quiet", "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    Path imported = dir.resolve("imported");
    assertEquals("0", run("import", FIXTURES.resolve("mlp.onnx").toString(), "--loss", "cross_entropy", "--out", imported.toString())[0]);
    var trained = org.hesse.io.ModelFiles.readNetwork(out.resolve("model.json"));
    var expected = org.hesse.io.ModelFiles.readNetwork(imported.resolve("model.json"));
    assertEquals(expected.tensors().keySet(), trained.tensors().keySet());
    assertEquals(expected.paramCount(), trained.paramCount());
    r = run("train", "--model", FIXTURES.resolve("mlp.onnx").toString(), "--data", FIXTURES.resolve("mlp.csv").toString(),
        "--target", "label", "--out", dir.resolve("run2").toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("give --loss cross_entropy|mse"), r[2]);
  }

  JsonNode spectrum(String name, String... model) throws Exception {
    JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve("reference.json").toFile()).get(name);
    String loss = ref.get("loss_name").asText();
    Path report = dir.resolve("report.json");
    String target = loss.equals("cross_entropy") ? "label" : String.join(",", outputs(FIXTURES.resolve(name + ".csv")));
    List<String> args = new ArrayList<>(List.of("spectrum"));
    args.addAll(List.of(model));
    for (JsonNode a : ref.get("args")) args.add(a.asText());
    args.addAll(List.of("--data", FIXTURES.resolve(name + ".csv").toString(), "--target", target, "--full", "--out", report.toString()));
    String[] r = run(args.toArray(String[]::new));
    assertEquals("0", r[0], r[2]);
    return new ObjectMapper().readTree(report.toFile());
  }

  static void check(String name, JsonNode ref, JsonNode got) {
    assertEquals(ref.get("loss").asDouble(), got.get("loss").asDouble(), TOL * Math.abs(ref.get("loss").asDouble()), "loss");
    List<String> names = new ArrayList<>();
    for (JsonNode l : got.get("layers")) names.add(l.get("name").asText());
    List<String> expected = new ArrayList<>();
    ref.get("layers").fieldNames().forEachRemaining(expected::add);
    assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(names), "layers (state-dict prefixes)");
    for (JsonNode l : got.get("layers")) {
      JsonNode e = ref.get("layers").get(l.get("name").asText());
      String where = name + " layer " + l.get("name").asText();
      assertEquals(e.get("params").asInt(), l.get("params").asInt(), where + " params");
      double scale = 0;
      for (JsonNode v : e.get("eigenvalues")) scale = Math.max(scale, Math.abs(v.asDouble()));
      assertEquals(e.get("trace").asDouble(), l.get("trace").asDouble(), TOL * Math.max(Math.abs(e.get("trace").asDouble()), scale), where + " trace");
      JsonNode ev = l.get("eigenvalues");
      assertEquals(e.get("eigenvalues").size(), ev.size(), where + " eigenvalue count");
      for (int i = 0; i < ev.size(); i++) {
        assertEquals(e.get("eigenvalues").get(i).asDouble(), ev.get(i).asDouble(), TOL * scale, where + " eigenvalue " + i);
      }
      assertTrue(scale > 0, where + ": a non-zero Hessian block");
    }
  }

  /** The regression targets' columns (y0, y1, ...) of a fixture's header. */
  static List<String> outputs(Path csv) throws Exception {
    List<String> cols = new ArrayList<>();
    for (String c : Files.readAllLines(csv).get(0).split(",")) if (c.startsWith("y")) cols.add(c);
    return cols;
  }
}
