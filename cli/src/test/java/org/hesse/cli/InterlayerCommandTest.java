package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hesse interlayer} on the PyTorch float64 fixture graph-gated-mlp (hvp-kernels' test resources): the exact
 * resonance and singular values of its stored off-diagonal blocks to 1e-9, the forced stochastic path within 4 of
 * its stated standard errors of them, the curvature cache asked for and what ran in the provenance (the keys of
 * hesse spectrum's, the same pairs when streaming), and a bad --pairs refused with exit 2 and nothing written.
 */
class InterlayerCommandTest {
  static final Path FIXTURE = Path.of("..", "hvp-kernels", "src", "test", "resources", "fixtures", "graph-gated-mlp");

  @TempDir Path dir;

  JsonNode interlayer(String out, String... extra) throws Exception {
    Path report = dir.resolve(out);
    String[] base = {"interlayer", "--model", FIXTURE.resolve("model.json").toString(), "--weights",
        FIXTURE.resolve("model.safetensors").toString(), "--data", FIXTURE.resolve("data.csv").toString(), "--target",
        "label", "--out", report.toString()};
    String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    SpectrumCommandTest.Result r = SpectrumCommandTest.run(args);
    assertEquals(0, r.code, r.err);
    return new ObjectMapper().readTree(report.toFile());
  }

  @Test
  void exactAndStochasticAgreeWithPyTorch() throws Exception {
    JsonNode ref = new ObjectMapper().readTree(FIXTURE.resolve("reference.json").toFile());
    StringBuilder pairs = new StringBuilder();
    for (JsonNode off : ref.get("off_diagonal")) {
      if (pairs.length() > 0) pairs.append(',');
      pairs.append(off.get("rows").asText()).append(':').append(off.get("cols").asText());
    }
    JsonNode exact = interlayer("exact.json", "--pairs", pairs.toString());
    JsonNode stoch = interlayer("stoch.json", "--pairs", pairs.toString(), "--stochastic", "--probes", "200", "--seed", "5");
    assertEquals(ref.get("off_diagonal").size(), exact.get("pairs").size());
    for (int i = 0; i < ref.get("off_diagonal").size(); i++) {
      JsonNode off = ref.get("off_diagonal").get(i);
      JsonNode e = exact.get("pairs").get(i);
      JsonNode s = stoch.get("pairs").get(i);
      double s0 = off.get("singular_values").get(0).asDouble();
      assertEquals("exact", e.get("path").asText());
      assertEquals(off.get("frobenius").asDouble(), e.get("resonance").get("value").asDouble(), 1e-9 * s0);
      for (int j = 0; j < off.get("singular_values").size(); j++) {
        assertEquals(off.get("singular_values").get(j).asDouble(), e.get("singular_values").get(j).asDouble(), 1e-9 * s0);
      }
      assertEquals("stochastic", s.get("path").asText());
      double se = s.get("resonance").get("standard_error").asDouble();
      assertTrue(se > 0 && Math.abs(s.get("resonance").get("value").asDouble() - off.get("frobenius").asDouble()) <= 4 * se,
          s.toString());
    }
    double phiSe = stoch.get("phi").get("standard_error").asDouble();
    assertTrue(Math.abs(stoch.get("phi").get("value").asDouble() - exact.get("phi").get("value").asDouble()) <= 4 * phiSe);
  }

  @Test
  void provenanceSaysWhichCurvatureCacheWasAskedForAndWhatRan() throws Exception {
    JsonNode auto = interlayer("auto.json", "--batch", "7");
    JsonNode none = interlayer("none.json", "--batch", "7", "--curvature-cache", "none");
    JsonNode autoCache = auto.get("provenance").get("curvature_cache");
    JsonNode noneCache = none.get("provenance").get("curvature_cache");
    // the keys, in order, of hesse spectrum's provenance.curvature_cache on the same inputs
    Path spectrumOut = dir.resolve("spectrum.json");
    SpectrumCommandTest.Result sr = SpectrumCommandTest.run("spectrum", "--model", FIXTURE.resolve("model.json").toString(),
        "--weights", FIXTURE.resolve("model.safetensors").toString(), "--data", FIXTURE.resolve("data.csv").toString(),
        "--target", "label", "--batch", "7", "--top", "1", "--layers", "head", "--out", spectrumOut.toString());
    assertEquals(0, sr.code, sr.err);
    JsonNode spectrumCache = new ObjectMapper().readTree(spectrumOut.toFile()).get("provenance").get("curvature_cache");
    assertEquals(keys(spectrumCache), keys(autoCache));
    assertEquals(keys(spectrumCache), keys(noneCache));
    assertEquals(spectrumCache.get("estimated_bytes_all"), autoCache.get("estimated_bytes_all"));
    assertEquals("auto", autoCache.get("option").asText());
    assertEquals("all", autoCache.get("ran").asText(), "a small cache fits the budget");
    assertEquals("none", noneCache.get("option").asText());
    assertEquals("none", noneCache.get("ran").asText());
    assertEquals(0, noneCache.get("cached_batches").asInt());
    int samples = auto.get("samples").asInt();
    assertEquals((samples + 6) / 7, noneCache.get("batches").asInt());
    assertEquals(autoCache.get("batches").asInt(), autoCache.get("cached_batches").asInt());
    // streaming recomputes the same numbers (bit for bit: StreamingCurvatureTest)
    assertEquals(auto.get("pairs"), none.get("pairs"));
    assertEquals(auto.get("phi"), none.get("phi"));
  }

  static java.util.List<String> keys(JsonNode n) {
    java.util.List<String> k = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(k::add);
    return k;
  }

  @Test
  void badPairsRefused() {
    Path report = dir.resolve("bad.json");
    SpectrumCommandTest.Result r = SpectrumCommandTest.run("interlayer", "--model", FIXTURE.resolve("model.json").toString(),
        "--weights", FIXTURE.resolve("model.safetensors").toString(), "--data", FIXTURE.resolve("data.csv").toString(),
        "--target", "label", "--pairs", "gate:gate", "--out", report.toString());
    assertEquals(2, r.code);
    assertTrue(r.err.contains("--pairs"), r.err);
    assertEquals(1, r.err.strip().lines().count(), r.err);
    assertFalse(Files.exists(report));
  }
}
