package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hesse experiment memorisation --quick} end to end (a few seconds), its analysis recomputed here from the
 * per-run files with code of its own: the CUSUM on log-trace increments written out again, the validation-loss
 * rule, the order-statistic thresholds, the rates and their binomial standard errors.
 */
class ExperimentMemorisationTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  /** Largest CUSUM statistic over a run's layers, per monitor point: window 10, k 0.5, written out independently. */
  private static double[] cusumPath(List<double[]> layers) {
    int n = layers.get(0).length;
    double[] path = new double[n];
    for (double[] t : layers) {
      List<Double> ref = new ArrayList<>();
      double mu = 0;
      double sd = 0;
      double s = 0;
      for (int i = 1; i < n; i++) {
        if (!(t[i] > 0 && t[i - 1] > 0)) continue;
        double x = Math.log(t[i] / t[i - 1]);
        if (ref.size() < 10) {
          ref.add(x);
          if (ref.size() == 10) {
            mu = ref.stream().mapToDouble(Double::doubleValue).sum() / 10;
            double ss = 0;
            for (double r : ref) ss += (r - mu) * (r - mu);
            sd = Math.sqrt(ss / 9);
          }
        } else {
          s = Math.max(0, s + (x - mu) / sd - 0.5);
        }
        path[i] = Math.max(path[i], s);
      }
    }
    return path;
  }

  /** Largest over layers of the trace-rise statistic: 5-point mean of ln t, above its running minimum at 3 points in a row. */
  private static double[] risePath(List<double[]> layers) {
    int n = layers.get(0).length;
    double[] path = new double[n];
    Arrays.fill(path, Double.NEGATIVE_INFINITY);
    for (double[] t : layers) {
      Double[] smooth = new Double[n];  // null: undefined
      for (int j = 4; j < n; j++) {
        double sum = 0;
        boolean positive = true;
        for (int k = j - 4; k <= j; k++) {
          positive &= t[k] > 0;
          sum += Math.log(t[k]);
        }
        if (positive) smooth[j] = sum / 5;
      }
      for (int i = 2; i < n; i++) {
        double lo = Double.POSITIVE_INFINITY;
        for (int j = i - 2; j <= i; j++) {
          if (smooth[j] == null) {
            lo = Double.NEGATIVE_INFINITY;
            break;
          }
          double min = Double.POSITIVE_INFINITY;
          for (int k = 0; k <= j; k++) if (smooth[k] != null) min = Math.min(min, smooth[k]);
          lo = Math.min(lo, smooth[j] - min);
        }
        path[i] = Math.max(path[i], lo);
      }
    }
    return path;
  }

  /** Largest over epochs of min over 3 consecutive epochs of (validation loss / running minimum − 1). */
  private static double[] baselinePath(double[] val) {
    double[] b = new double[val.length];
    Arrays.fill(b, Double.NEGATIVE_INFINITY);
    for (int e = 2; e < val.length; e++) {
      double lo = Double.POSITIVE_INFINITY;
      for (int j = e - 2; j <= e; j++) {
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= j; i++) min = Math.min(min, val[i]);
        lo = Math.min(lo, val[j] / min - 1);
      }
      b[e] = lo;
    }
    return b;
  }

  private static double max(double[] a) {
    return Arrays.stream(a).max().orElseThrow();
  }

  private static List<String[]> csv(Path f) throws Exception {
    List<String[]> rows = new ArrayList<>();
    List<String> lines = Files.readAllLines(f);
    for (String l : lines.subList(1, lines.size())) rows.add(l.split(",", -1));
    return rows;
  }

  @Test
  void quickGridAnalysisEqualsAnIndependentRecomputationFromTheRunFiles(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("memo");
    String[] r = run("experiment", "memorisation", "--quick", "--alpha", "0.45", "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    Path runs = out.resolve("runs");
    List<Path> dirs;
    try (var s = Files.list(runs)) {
      dirs = s.sorted().toList();
    }
    assertEquals(12, dirs.size(), "quick grid: wine × 2 archs × (2 calibration + 2 noises × 2 seeds)");
    // per run: the paths of the three detectors (cusum, rise, baseline), and the epoch of each monitor point
    Map<String, double[][]> paths = new HashMap<>();
    Map<String, int[]> pointEpoch = new HashMap<>();
    Map<String, String> role = new HashMap<>();
    Map<String, Double> noise = new HashMap<>();
    for (Path d : dirs) {
      String id = d.getFileName().toString();
      String json = Files.readString(d.resolve("run.json"));
      role.put(id, json.contains("\"calibration\"") ? "calibration" : "evaluation");
      noise.put(id, id.contains("noise40") ? 0.4 : 0.0);
      if (role.get(id).equals("calibration")) assertTrue(id.contains("noise0-seed100"), id + ": calibration seeds are their own");
      Map<String, List<Double>> byLayer = new LinkedHashMap<>();
      List<Integer> epochs = new ArrayList<>();
      for (String[] f : csv(d.resolve("monitor.csv"))) {
        byLayer.computeIfAbsent(f[3], k -> new ArrayList<>()).add(Double.parseDouble(f[4]));
        if (f[3].equals(byLayer.keySet().iterator().next())) epochs.add(Integer.parseInt(f[1]));
      }
      assertEquals(3, byLayer.size(), id + ": three dense layers");
      List<double[]> layers = byLayer.values().stream().map(l -> l.stream().mapToDouble(Double::doubleValue).toArray()).toList();
      double[] val = csv(d.resolve("training.csv")).stream().mapToDouble(f -> Double.parseDouble(f[4])).toArray();
      paths.put(id, new double[][] {cusumPath(layers), risePath(layers), baselinePath(val)});
      pointEpoch.put(id, epochs.stream().mapToInt(Integer::intValue).toArray());
    }
    // thresholds at α = 0.45 from the 4 calibration statistics: the ⌈0.55 · 5⌉ = 3rd smallest (one data set, so the
    // per-data-set and the pooled thresholds are the same)
    double[] th = new double[3];
    for (int k = 0; k < 3; k++) {
      List<Double> cal = new ArrayList<>();
      for (String id : paths.keySet()) if (role.get(id).equals("calibration")) cal.add(max(paths.get(id)[k]));
      assertEquals(4, cal.size());
      th[k] = cal.stream().sorted().toList().get(2);
    }
    int[] kindOfColumn = {0, 0, -1, 1, 1, 2, 2};  // detectors in DETECTORS order; -1: the shipped CUSUM h
    for (String[] f : csv(out.resolve("detections.csv"))) {
      for (int k = 0; k < 3; k++) {
        double stat = max(paths.get(f[0])[k]);
        assertEquals(stat, Double.parseDouble(f[8 + k]), 1e-9 * Math.max(1, Math.abs(stat)), f[0] + " statistic " + k);
      }
      for (int c = 0; c < kindOfColumn.length; c++) {
        int k = Math.max(0, kindOfColumn[c]);
        double t = kindOfColumn[c] < 0 ? org.hesse.hvp.monitor.CusumThreshold.calibrated().settings().h() : th[k];
        int alarm = -1;
        double[] p = paths.get(f[0])[k];
        for (int i = 0; i < p.length; i++) {
          if (p[i] > t) {
            alarm = k == 2 ? i : pointEpoch.get(f[0])[i];
            break;
          }
        }
        assertEquals(alarm, Integer.parseInt(f[11 + c]), f[0] + " alarm epoch, detector column " + c);
      }
    }
    int checked = 0;
    List<String> kinds = List.of("cusum", "trace rise", "validation loss");
    for (String[] f : csv(out.resolve("summary.csv"))) {
      if (f[0].contains("shipped")) continue;
      int k = kinds.indexOf(f[0].substring(0, f[0].indexOf(" (")));
      double p = Double.parseDouble(f[1]);
      int n = 0;
      int alarms = 0;
      for (String id : role.keySet()) {
        if (!role.get(id).equals("evaluation") || noise.get(id) != p) continue;
        n++;
        if (max(paths.get(id)[k]) > th[k]) alarms++;
      }
      assertEquals(4, n);
      assertEquals(n, Integer.parseInt(f[2]));
      assertEquals(alarms, Integer.parseInt(f[3]), f[0] + " alarms at noise " + p);
      double rate = alarms / (double) n;
      assertEquals(rate, Double.parseDouble(f[4]), 1e-15);
      assertEquals(Math.sqrt(rate * (1 - rate) / n), Double.parseDouble(f[5]), 1e-15);
      checked++;
    }
    assertEquals(12, checked, "three kinds × two threshold scopes × two noise levels");
    for (String[] f : csv(out.resolve("thresholds.csv"))) {
      if (f[0].contains("shipped")) continue;
      int k = kinds.indexOf(f[0].substring(0, f[0].indexOf(" (")));
      assertEquals(th[k], Double.parseDouble(f[2]), 1e-9 * Math.max(1, Math.abs(th[k])), f[0] + " threshold");
    }

    // resuming the same grid trains nothing and writes the same analysis; another grid in the directory is refused
    String summary = Files.readString(out.resolve("summary.csv"));
    r = run("experiment", "memorisation", "--quick", "--alpha", "0.45", "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("12 runs, 0 to do"), r[1]);
    assertEquals(summary, Files.readString(out.resolve("summary.csv")));
    r = run("experiment", "memorisation", "--quick", "--seeds", "3", "--out", out.toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("holds another grid"), r[2]);
  }
}
