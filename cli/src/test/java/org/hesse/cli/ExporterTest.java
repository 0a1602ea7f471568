package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch exporter ({@code tools/hesse_export.py}) end to end: {@code export_check.py} exports an MLP (float32,
 * with a residual block and dropout) and a conv net (batch norm, max pooling, layer norm) and writes PyTorch float64
 * autograd references (loss, each layer's exact Hessian block eigenvalues and trace); {@code hesse spectrum --full}
 * on the export must agree to 1e-9 relative. Needs a Python with torch: {@code $HESSE_PYTHON}, else {@code python3}
 * if it imports torch; skipped with a message otherwise.
 */
class ExporterTest {
  static final double TOL = 1e-9;
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  static String python;

  @BeforeAll
  static void export() throws Exception {
    python = findPython();
    Assumptions.assumeTrue(python != null, "no Python with torch (set HESSE_PYTHON, or install torch for python3): "
        + "the PyTorch exporter test is skipped");
    Proc p = run(python, ROOT.resolve("cli/src/test/resources/export/export_check.py").toString(),
        ROOT.resolve("tools").toString(), dir.toString());
    assertEquals(0, p.code, "export_check.py failed: " + p.err);
  }

  /** $HESSE_PYTHON (which must import torch), else python3 when it imports torch, else null. */
  static String findPython() throws Exception {
    String env = System.getenv("HESSE_PYTHON");
    if (env != null && !env.isBlank()) {
      Proc p = run(env, "-c", "import torch");
      assertEquals(0, p.code, "HESSE_PYTHON=" + env + " cannot import torch: " + p.err);
      return env;
    }
    // python3 first on PATH, then Debian's (python3-torch, which .ci/run installs, is only there).
    for (String candidate : new String[] {"python3", "/usr/bin/python3"}) {
      try {
        if (run(candidate, "-c", "import torch").code == 0) return candidate;
      } catch (IOException e) {
        // not installed: try the next one
      }
    }
    return null;
  }

  record Proc(int code, String out, String err) {}

  static Proc run(String... cmd) throws Exception {
    Path out = Files.createTempFile("export", ".out");
    Path err = Files.createTempFile("export", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + ": no exit within 600 s");
      }
      return new Proc(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  void spectrumAgreesWithPyTorch(String name, String target) throws IOException {
    Path d = dir.resolve(name);
    Path report = dir.resolve(name + "-report.json");
    SpectrumCommandTest.Result r = SpectrumCommandTest.run("spectrum", "--model", d.resolve("model.json").toString(),
        "--weights", d.resolve("model.safetensors").toString(), "--data", d.resolve("data.csv").toString(),
        "--target", target, "--full", "--top", "3", "--out", report.toString());
    assertEquals(0, r.code, r.err);
    JsonNode got = JSON.readTree(report.toFile());
    JsonNode ref = JSON.readTree(d.resolve("reference.json").toFile());
    double loss = ref.get("loss").asDouble();
    assertEquals(loss, got.get("loss").asDouble(), TOL * Math.abs(loss), name + " loss");
    assertEquals(ref.get("layers").size(), got.get("layers").size(), name + ": layers with parameters");
    for (int i = 0; i < ref.get("layers").size(); i++) {
      JsonNode rl = ref.get("layers").get(i);
      JsonNode gl = got.get("layers").get(i);
      String where = name + " layer " + rl.get("name").asText();
      assertEquals(rl.get("name").asText(), gl.get("name").asText());
      double[] ev = doubles(rl.get("eigenvalues"));
      double scale = Math.max(Math.abs(ev[0]), Math.abs(ev[ev.length - 1]));
      double absSum = 0;
      for (double v : ev) absSum += Math.abs(v);
      // relative to the block's largest |λ| (eigenvalues) and to Σ|λ| (the trace, a sum of them)
      assertEquals(rl.get("trace").asDouble(), gl.get("trace").asDouble(), TOL * absSum, where + " trace");
      double[] top = doubles(gl.get("top"));
      assertEquals(3, top.length, where);
      for (int j = 0; j < 3; j++) assertEquals(ev[ev.length - 1 - j], top[j], TOL * scale, where + " top " + j);
      double[] all = doubles(gl.get("eigenvalues"));
      assertEquals(ev.length, all.length, where + " params");
      for (int j = 0; j < ev.length; j++) assertEquals(ev[j], all[j], TOL * scale, where + " eigenvalue " + j);
    }
  }

  @Test
  void mlpWithResidualBlockAndDropout() throws IOException {
    spectrumAgreesWithPyTorch("mlp", "label");
  }

  @Test
  void convNetWithBatchNormPoolingAndLayerNorm() throws IOException {
    spectrumAgreesWithPyTorch("conv", "y0,y1");
  }

  /** One Parameter in layers 0 and 2: layer 0's block is over the one W (both uses), layer 2's is its bias. */
  @Test
  void tiedWeightsAreWrittenOnceAndShared() throws IOException {
    spectrumAgreesWithPyTorch("tied", "label");
    JsonNode nodes = JSON.readTree(dir.resolve("tied/model.json").toFile()).get("nodes");
    assertEquals("0.weight", nodes.get(2).get("share").get("weight").asText());
    String header = Files.readString(dir.resolve("tied/model.safetensors"), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("\"0.weight\"") && !header.contains("\"2.weight\""), "the tied tensor once, under its owner's name");
  }

  @Test
  void commandLineWritesWhatTheFunctionWrites() throws Exception {
    Path out = dir.resolve("conv-cli");
    Proc p = run(python, ROOT.resolve("tools/hesse_export.py").toString(), dir.resolve("conv.pt").toString(),
        dir.resolve("conv-data.pt").toString(), "--out", out.toString(), "--loss", "mse");
    assertEquals(0, p.code, p.err);
    for (String f : List.of("model.json", "model.safetensors", "data.csv")) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("conv").resolve(f)), Files.readAllBytes(out.resolve(f)), f);
    }
  }

  @Test
  void unsupportedModuleIsOneLineNamingItAndNothingIsWritten() throws Exception {
    Path out = dir.resolve("bad-out");
    Proc p = run(python, ROOT.resolve("tools/hesse_export.py").toString(), dir.resolve("bad.pt").toString(),
        dir.resolve("bad-data.pt").toString(), "--out", out.toString());
    assertEquals(2, p.code, p.err);
    List<String> lines = new ArrayList<>(p.err.strip().lines().toList());
    assertEquals(1, lines.size(), p.err);
    assertTrue(lines.get(0).startsWith("hesse_export: error: module 1 (GRU): not supported"), lines.get(0));
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void inexpressibleModelsAndDataAreRefusedInOneLineAndNothingIsWritten() throws IOException {
    JsonNode r = JSON.readTree(dir.resolve("refusals.json").toFile());
    Map<String, String> expected = Map.of(
        "leaky-slope", "module 1 (LeakyReLU): negative_slope=0.2; Hesse implements negative_slope=0.01",
        "rect-kernel", "module 0 (Conv2d): kernel_size=(3, 2); expected the same value in both directions",
        "linear-on-image", "module 0 (Linear): input of shape [1, 5, 5]; expected a flat input",
        "nested-sequential", "module 1 (Sequential): not supported",
        "missing-class", "y: labels [0, 2]; expected every class 0..k-1 present",
        "nan-target", "y: has NaN or infinite values",
        "tied-in-residual", "module 1.block.0 (Linear): parameter 1.block.0.weight is tied (1.block.0.weight is 0.weight)");
    assertEquals(expected.keySet(), fieldNames(r));
    for (var e : expected.entrySet()) {
      JsonNode c = r.get(e.getKey());
      String msg = c.get("message").asText();
      assertTrue(msg.startsWith(e.getValue()), e.getKey() + ": " + msg);
      assertFalse(msg.contains("\n"), e.getKey() + ": one line");
      assertFalse(c.get("written").asBoolean(), e.getKey() + ": nothing written");
    }
  }

  static Set<String> fieldNames(JsonNode o) {
    Set<String> names = new HashSet<>();
    o.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static double[] doubles(JsonNode a) {
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
    return v;
  }
}
