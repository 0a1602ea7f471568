package org.hesse.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.hvp.monitor.CusumThreshold;
import org.hesse.hvp.monitor.TraceMonitor;
import org.hesse.io.AtomicFiles;
import org.hesse.nn.Network;

/**
 * {@code --monitor every=K,probes=P} of train and analyze: a {@link TraceMonitor} every K optimizer steps with P
 * Rademacher probes, streaming {@value #CSV} into the run directory, alarms to stderr as they happen and, with
 * the detector's settings, into {@value #JSON} at the end.
 */
record MonitorOption(int every, int probes) {
  static final String CSV = "monitor.csv";
  static final String JSON = "monitor.json";

  /** Parses {@code every=K,probes=P} (either may be left out: K = 50, P = 5); a one-line error otherwise. */
  static MonitorOption parse(String text) {
    int every = 50;
    int probes = 5;
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String part : text.split(",", -1)) {
      int eq = part.indexOf('=');
      String key = eq < 0 ? part.trim() : part.substring(0, eq).trim();
      if (eq < 0 || !(key.equals("every") || key.equals("probes")) || !seen.add(key)) {
        throw new IllegalArgumentException("--monitor: expected every=K,probes=P (each once), got '" + text + "'");
      }
      int v;
      try {
        v = Integer.parseInt(part.substring(eq + 1).trim());
      } catch (NumberFormatException e) {
        v = 0;
      }
      if (v < 1) {
        throw new IllegalArgumentException("--monitor: " + key + " must be an integer >= 1, got '"
            + part.substring(eq + 1) + "'");
      }
      if (key.equals("every")) every = v; else probes = v;
    }
    return new MonitorOption(every, probes);
  }

  /** The monitor for a run in {@code dir}, printing each alarm to {@code err} when it is raised. */
  TraceMonitor build(Network net, long seed, Path dir, PrintWriter err) {
    return TraceMonitor.builder(net).probes(probes).seed(seed).csv(dir.resolve(CSV)).onAlarm(a -> {
      err.println("hesse: " + a);
      err.flush();
    }).build();
  }

  /**
   * monitor.json: the settings, the seconds spent in the monitor and in the whole training loop (evaluations,
   * analyze's checkpoints and the monitor included), the detector and its calibration, and the alarms.
   */
  void writeSummary(TraceMonitor m, Path dir, double trainingSeconds) throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("every", every);
    s.put("probes", probes);
    s.put("monitor_seconds", m.seconds());
    s.put("training_seconds", trainingSeconds);
    CusumThreshold cal = CusumThreshold.calibrated();
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("window", m.detector().window());
    det.put("k", m.detector().k());
    det.put("h", m.detector().h());
    det.put("calibrated_alpha", cal.alpha());
    det.put("calibrated_horizon", cal.horizon());
    det.put("calibration", cal.method());
    s.put("detector", det);
    List<Map<String, Object>> alarms = m.alarms().stream().map(a -> {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("step", a.step());
      o.put("epoch", a.epoch());
      o.put("source", a.source());
      o.put("layer", a.layer());
      o.put("cusum", a.statistic());
      return o;
    }).toList();
    s.put("alarms", alarms);
    AtomicFiles.writeString(dir.resolve(JSON), Json.write(s));
  }
}
