package org.hesse.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.cli.report.Diagnostics;
import org.hesse.cli.report.RunData;
import org.hesse.io.AtomicFiles;

/**
 * The files of an analysed run and their conversions. A checkpoint is kept as the JSON-shaped map that
 * spectra.json stores, so a fresh run and a resumed one (which reads the maps back) write the same bytes.
 */
public final class AnalyzeFiles {
  private AnalyzeFiles() {}

  static final String CONFIG = RunDir.CONFIG;
  static final String SPECTRA = "spectra.json";
  static final String METRICS = "metrics.csv";
  static final String TRAINING = "training.csv";
  static final String DIAGNOSTICS = "diagnostics.json";
  static final String REPORT = "report.html";
  static final String CHECKPOINTS = "checkpoints";

  /** Columns of metrics.csv, one row per checkpoint × layer. */
  static final List<String> COLUMNS = List.of("epoch", "layer", "type", "params", "train_loss", "val_loss",
      "train_accuracy", "val_accuracy", "gap", "probe_loss", "trace", "trace_source", "lambda_max", "lambda_min",
      "effective_rank", "stable_rank", "condition_number", "negative_fraction", "negative_mass", "zero_fraction",
      "metrics_source");

  static Path checkpointWeights(Path run, int epoch) {
    return run.resolve(CHECKPOINTS).resolve(String.format("epoch-%04d.safetensors", epoch));
  }

  /** spectra.json: the run's curvature settings and every finished checkpoint. */
  static void writeSpectra(Path run, Map<String, Object> header, List<Map<String, Object>> checkpoints) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>(header);
    m.put("checkpoints", checkpoints);
    AtomicFiles.writeString(run.resolve(SPECTRA), Json.write(m) + "\n");
  }

  /** A run's checkpoints as the report and the diagnostics read them. */
  public static List<RunData.Checkpoint> readRun(Path run) throws IOException {
    List<RunData.Checkpoint> out = new ArrayList<>();
    for (Map<String, Object> c : readCheckpoints(run)) out.add(checkpoint(c));
    return out;
  }

  /** The checkpoints stored in a run's spectra.json, in order. */
  public static List<Map<String, Object>> readCheckpoints(Path run) throws IOException {
    Map<String, Object> m = Json.MAPPER.readValue(Files.readString(run.resolve(SPECTRA)), new TypeReference<Map<String, Object>>() {});
    Object cps = m.get("checkpoints");
    if (!(cps instanceof List)) throw new IllegalArgumentException(run.resolve(SPECTRA) + ": no 'checkpoints' list");
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : (List<?>) cps) {
      @SuppressWarnings("unchecked")
      Map<String, Object> c = (Map<String, Object>) o;
      out.add(c);
    }
    return out;
  }

  static void writeMetricsCsv(Path run, List<Map<String, Object>> checkpoints) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append(String.join(",", COLUMNS)).append('\n');
    for (Map<String, Object> c : checkpoints) {
      for (Map<String, Object> l : layers(c)) {
        RunData.LayerPoint p = layerPoint(l);
        Object[] row = {c.get("epoch"), l.get("name"), l.get("type"), l.get("params"), c.get("train_loss"), c.get("val_loss"),
            c.get("train_accuracy"), c.get("val_accuracy"), c.get("gap"), c.get("probe_loss"), l.get("trace"),
            l.get("trace_source"), l.get("lambda_max"), l.get("lambda_min"), l.get("effective_rank"), l.get("stable_rank"),
            l.get("condition_number"), l.get("negative_fraction"), l.get("negative_mass"), Json.num(p.zeroFraction()),
            l.get("metrics_source")};
        for (int i = 0; i < row.length; i++) {
          if (i > 0) b.append(',');
          if (row[i] != null) b.append(row[i]);   // null (not available) is an empty field
        }
        b.append('\n');
      }
    }
    AtomicFiles.writeString(run.resolve(METRICS), b.toString());
  }

  static void writeDiagnostics(Path run, List<RunData.Finding> findings, int checkpoints, long dataRank) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("note", "Diagnostics " + Diagnostics.CALIBRATION + ": each finding names the rule, the layer, the evidence that "
        + "triggered it and the rule's measured detection and false-alarm rates.");
    m.put("checkpoints", checkpoints);
    m.put("trend_window", Diagnostics.WINDOW);
    m.put("data_rank", dataRank);
    List<Map<String, Object>> f = new ArrayList<>();
    for (RunData.Finding x : findings) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("rule", x.rule());
      e.put("layer", x.layer());
      e.put("title", x.title());
      e.put("evidence", x.evidence());
      f.add(e);
    }
    m.put("findings", f);
    m.put("rules", Diagnostics.rules());
    AtomicFiles.writeString(run.resolve(DIAGNOSTICS), Json.write(m) + "\n");
  }

  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> layers(Map<String, Object> checkpoint) {
    return (List<Map<String, Object>>) checkpoint.get("layers");
  }

  static RunData.Checkpoint checkpoint(Map<String, Object> c) {
    List<RunData.LayerPoint> ls = new ArrayList<>();
    for (Map<String, Object> l : layers(c)) ls.add(layerPoint(l));
    return new RunData.Checkpoint(((Number) c.get("epoch")).intValue(), d(c.get("train_loss")), d(c.get("val_loss")),
        d(c.get("train_accuracy")), d(c.get("val_accuracy")), ls);
  }

  @SuppressWarnings("unchecked")
  static RunData.LayerPoint layerPoint(Map<String, Object> l) {
    double[][] nodes = null;
    double[][] weights = null;
    if (l.get("eigenvalues") instanceof List) {
      // A full spectrum is preferred: every eigenvalue with weight 1/n.
      nodes = new double[][] {arr(l.get("eigenvalues"))};
      weights = new double[][] {new double[nodes[0].length]};
      java.util.Arrays.fill(weights[0], 1.0 / nodes[0].length);
    } else if (l.get("density") instanceof Map) {
      Map<String, Object> dm = (Map<String, Object>) l.get("density");
      nodes = arr2(dm.get("nodes"));
      weights = arr2(dm.get("weights"));
    }
    double zero = nodes == null ? Double.NaN : Diagnostics.zeroFraction(nodes, weights);
    return new RunData.LayerPoint(String.valueOf(l.get("name")), String.valueOf(l.get("type")),
        ((Number) l.get("params")).intValue(), d(l.get("trace")), d(l.get("lambda_max")), d(l.get("lambda_min")),
        d(l.get("effective_rank")), d(l.get("condition_number")), d(l.get("negative_fraction")),
        d(l.get("negative_mass")), zero, (String) l.get("metrics_source"), arr(l.get("top")), nodes, weights,
        d(l.get("trace_standard_error")));
  }

  /** A JSON number, or NaN for null. */
  static double d(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  static double[] arr(Object o) {
    if (o == null) return null;
    List<?> l = (List<?>) o;
    double[] a = new double[l.size()];
    for (int i = 0; i < a.length; i++) a[i] = d(l.get(i));
    return a;
  }

  static double[][] arr2(Object o) {
    List<?> l = (List<?>) o;
    double[][] a = new double[l.size()][];
    for (int i = 0; i < a.length; i++) a[i] = arr(l.get(i));
    return a;
  }
}
