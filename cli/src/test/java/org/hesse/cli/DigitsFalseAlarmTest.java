package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The false alarm that started the study: a well-fitted digits mlp:256,256 was flagged "dead capacity" on every
 * layer. With the calibrated diagnostics the dead-capacity rule is unsupported (no ground truth), and neither it nor
 * the under-parameterisation rule may fire on this run.
 */
class DigitsFalseAlarmTest {
  @TempDir Path tmp;

  @Test
  void aWellFittedDigitsMlp256x256GetsNoDeadCapacityFinding() throws Exception {
    Path out = tmp.resolve("digits");
    String[] r = SuiteCommandTest.run("analyze", "--dataset", "digits", "--model", "mlp:256,256", "--epochs", "10", "--every", "5",
        "--probe-size", "64", "--top", "1", "--slq-steps", "15", "--slq-probes", "2", "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    JsonNode spectra = new ObjectMapper().readTree(out.resolve("spectra.json").toFile());
    JsonNode last = spectra.get("checkpoints").get(spectra.get("checkpoints").size() - 1);
    assertTrue(last.get("val_accuracy").asDouble() >= 0.95, "the premise: a well-fitted run, val accuracy " + last.get("val_accuracy"));
    JsonNode d = new ObjectMapper().readTree(out.resolve("diagnostics.json").toFile());
    List<String> fired = new ArrayList<>();
    for (JsonNode f : d.get("findings")) fired.add(f.get("rule").asText() + " on " + f.get("layer").asText());
    assertFalse(fired.stream().anyMatch(f -> f.startsWith("dead_or_redundant")), fired.toString());
    assertFalse(fired.stream().anyMatch(f -> f.startsWith("under_parameterised")), fired.toString());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("unsupported by the study"), "the dead-capacity rule is listed as unsupported");
  }
}
