package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hesse.cli.report.Diagnostics;
import org.hesse.cli.report.RunFeatures;
import org.hesse.cli.suite.SuiteRunner;
import org.hesse.cli.suite.SuiteSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hesse suite --quick} end to end (the CI suite): every planned run finishes, the analysis writes its tables
 * and report, and the per-run numbers of the suite's table equal what {@code hesse spectrum} computes on the saved
 * checkpoint and the saved probe set.
 */
class SuiteCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path out;
  static String stdout;

  static String[] run(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code = HesseCli.run(new PrintWriter(o), new PrintWriter(e), args);
    return new String[] {String.valueOf(code), o.toString(), e.toString()};
  }

  @BeforeAll
  static void quickSuite() {
    out = tmp.resolve("quick");
    String[] r = run("suite", "--quick", "--out", out.toString(), "--jobs", String.valueOf(Math.min(2, Runtime.getRuntime().availableProcessors())));
    assertEquals("0", r[0], r[2]);
    stdout = r[1];
  }

  @Test
  void everyPlannedRunFinishedAndTheAnalysisIsWritten() throws Exception {
    SuiteSpec q = SuiteSpec.quick();
    // 4 classification data sets × 3 capacities × 2 noise levels + 1 regression data set × 3 capacities
    int expected = 0;
    for (SuiteSpec.DatasetRef d : q.datasets()) expected += d.name().equals("diabetes") ? 3 : 6;
    List<Path> dirs;
    try (Stream<Path> s = Files.list(out.resolve("runs"))) {
      dirs = s.sorted().toList();
    }
    assertEquals(expected, dirs.size());
    for (Path d : dirs) {
      JsonNode m = JSON.readTree(d.resolve(SuiteRunner.MARKER).toFile());
      assertEquals("complete", m.get("status").asText(), d.toString());
      // the capacity rule: parameters per sample within a factor 2 of the target, unless the width floor (2) decides
      double ratio = m.get("params_per_sample").asDouble() / m.get("target_params_per_sample").asDouble();
      assertTrue(m.get("width").asInt() == 2 ? ratio > 0.5 : ratio > 0.5 && ratio < 2, d + ": ratio " + ratio);
      // label noise: exactly round(p · n) training labels differ from the clean ones
      assertEquals(Math.round(m.get("label_noise").asDouble() * m.get("train_rows").asInt()), m.get("noisy_rows").asInt());
    }
    for (String f : List.of("runs.csv", "correlations.csv", "auroc.csv", "families.csv", "rules.csv", "layers.csv",
        "calibration.json", "analysis.json")) {
      assertTrue(Files.size(out.resolve("analysis").resolve(f)) > 0, f);
    }
    String html = Files.readString(out.resolve("report.html"));
    for (String section : List.of("Does the Hessian add value?", "Calibrated diagnostics", "Rank correlation with the generalisation gap",
        "Metric vs gap per capacity class", "ROC curves", "Spectra evolution per data set")) {
      assertTrue(html.contains(section), section);
    }
    assertTrue(html.contains("<svg"), "inline SVG plots");
    assertTrue(stdout.contains("analysis: " + expected + " finished runs over 5 data sets"), stdout);
  }

  @Test
  void noisyLabelsDifferFromTheCleanRunsLabelsInExactlyTheNoisyRows() throws Exception {
    Path clean = out.resolve("runs/wine-well-noise0-seed0/data/train.csv");
    Path noisy = out.resolve("runs/wine-well-noise40-seed0/data/train.csv");
    List<String> a = Files.readAllLines(clean);
    List<String> b = Files.readAllLines(noisy);
    assertEquals(a.size(), b.size());
    int differ = 0;
    for (int i = 1; i < a.size(); i++) {
      String[] x = a.get(i).split(",");
      String[] y = b.get(i).split(",");
      assertEquals(String.join(",", List.of(x).subList(0, x.length - 1)), String.join(",", List.of(y).subList(0, y.length - 1)), "features");
      if (!x[x.length - 1].equals(y[y.length - 1])) differ++;
    }
    JsonNode m = JSON.readTree(out.resolve("runs/wine-well-noise40-seed0/run.json").toFile());
    assertEquals(m.get("noisy_rows").asInt(), differ);
    // and the test split is the same clean one
    assertEquals(Files.readString(out.resolve("runs/wine-well-noise0-seed0/data/test.csv")),
        Files.readString(out.resolve("runs/wine-well-noise40-seed0/data/test.csv")));
  }

  /** The suite table's numbers of a sample of runs, recomputed by `hesse spectrum` from the saved files. */
  @Test
  void suiteTableNumbersEqualHesseSpectrumOnTheSavedCheckpointAndProbeSet() throws Exception {
    List<String> lines = Files.readAllLines(out.resolve("analysis/runs.csv"));
    String[] head = lines.get(0).split(",", -1);
    Map<String, Map<String, String>> table = new HashMap<>();
    for (String l : lines.subList(1, lines.size())) {
      String[] v = l.split(",", -1);
      Map<String, String> row = new HashMap<>();
      for (int i = 0; i < head.length; i++) row.put(head[i], v[i]);
      table.put(v[0], row);
    }
    JsonNode suite = JSON.readTree(out.resolve("suite.json").toFile()).get("run");
    int checked = 0;
    for (String id : List.of("iris-over-noise40-seed0", "breast_cancer-under-noise0-seed0", "diabetes-well-noise0-seed0")) {
      Path dir = out.resolve("runs").resolve(id);
      JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
      JsonNode spectra = JSON.readTree(dir.resolve("spectra.json").toFile());
      JsonNode cps = spectra.get("checkpoints");
      int n = cps.get(0).get("layers").size();
      Map<String, Integer> when = Map.of("final", cps.get(cps.size() - 1).get("epoch").asInt(), "early", cps.get(1).get("epoch").asInt());
      for (Map.Entry<String, Integer> w : when.entrySet()) {
        Path json = tmp.resolve(id + "-" + w.getKey() + ".json");
        String[] r = run("spectrum", "--model", dir.resolve("model.json").toString(), "--weights",
            dir.resolve(String.format("checkpoints/epoch-%04d.safetensors", w.getValue())).toString(),
            "--data", dir.resolve("data/probe.csv").toString(), "--target", config.get("target").asText(),
            "--top", suite.get("top").asText(), "--density", "--slq-steps", suite.get("slq_steps").asText(),
            "--slq-probes", suite.get("slq_probes").asText(), "--seed", config.get("seed").asText(), "--out", json.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode layers = JSON.readTree(json.toFile()).get("layers");
        assertEquals(n, layers.size());
        for (int li = 0; li < n; li++) {
          String pos = RunFeatures.position(li, n);
          if (pos == null) continue;
          JsonNode l = layers.get(li);
          Map<String, Double> expected = new HashMap<>();
          expected.put("lambda_max", l.get("lambda_max").asDouble());
          expected.put("trace", l.get("trace").asDouble());
          expected.put("effective_rank_fraction", l.get("effective_rank").asDouble() / l.get("params").asDouble());
          expected.put("negative_mass", l.get("negative_mass").asDouble());
          expected.put("condition_number", l.get("condition_number").asDouble());
          double trace = l.get("trace").asDouble();
          expected.put("outlier_ratio", trace > 0 ? l.get("lambda_max").asDouble() / (trace / l.get("params").asDouble()) : Double.NaN);
          expected.put("stable_rank", l.get("stable_rank").asDouble());
          expected.put("spectral_entropy", l.get("spectral_entropy").asDouble());
          expected.put("outliers", l.get("outliers").asDouble());
          expected.put("zero_fraction", Diagnostics.zeroFraction(arr2(l.get("density").get("nodes")), arr2(l.get("density").get("weights"))));
          for (Map.Entry<String, Double> e : expected.entrySet()) {
            String col = "hessian." + pos + "." + e.getKey() + "." + w.getKey();
            String cell = table.get(id).get(col);
            if (!Double.isFinite(e.getValue())) {
              assertEquals("", cell, id + " " + col + ": not defined, so an empty cell");
              continue;
            }
            assertTrue(cell != null && !cell.isEmpty(), id + " " + col + " missing");
            double got = Double.parseDouble(cell);
            assertEquals(e.getValue(), got, 1e-9 * Math.max(1, Math.abs(e.getValue())), id + " " + col);
            checked++;
          }
        }
      }
    }
    assertTrue(checked >= 150, "checked " + checked); // 3 runs × 2 checkpoints × 3 layers × 10 metrics, less undefined ones
  }

  static double[][] arr2(JsonNode a) {
    double[][] out = new double[a.size()][];
    for (int i = 0; i < a.size(); i++) {
      out[i] = new double[a.get(i).size()];
      for (int j = 0; j < out[i].length; j++) out[i][j] = a.get(i).get(j).asDouble();
    }
    return out;
  }

  @Test
  void listPrintsTheDefaultSuitesDataSetsOnePerLine() throws Exception {
    String[] r = run("suite", "--list");
    assertEquals("0", r[0], r[2]);
    List<String> names = new ArrayList<>(List.of(r[1].strip().split("\\R")));
    assertEquals(org.hesse.data.catalog.StudyDatasets.names(), names);
  }
}
