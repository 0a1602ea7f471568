package org.hesse.cli.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's monitor stream ({@code monitor.csv} of {@code --monitor}, header {@code step,epoch,source,layer,trace,se,
 * probes,cusum,alarm}) as the report plots it: one series per (source, layer) and the alarms. A line still being
 * written (the monitor appends a step's lines in one write, but a reader may see a file cut anywhere) is skipped.
 */
public record MonitorStreams(List<Stream> streams, List<Alarm> alarms) {
  /** One (source, layer) series in step order. */
  public record Stream(String source, String layer, double[] step, double[] trace, double[] se, double[] cusum) {}

  /** The step and epoch at which a (source, layer) series' CUSUM first crossed its threshold. */
  public record Alarm(String source, String layer, long step, int epoch) {}

  static final String HEADER = "step,epoch,source,layer,trace,se,probes,cusum,alarm";

  /** Reads the file; null when it does not exist or is not a monitor stream. */
  public static MonitorStreams read(Path csv) throws IOException {
    if (!Files.isRegularFile(csv)) return null;
    List<String> lines = Files.readAllLines(csv);
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) return null;
    Map<String, List<double[]>> rows = new LinkedHashMap<>();
    List<Alarm> alarms = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      if (f.length != 9) continue;
      double[] r;
      try {
        r = new double[] {Long.parseLong(f[0]), Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[7])};
        if (f[8].equals("1")) alarms.add(new Alarm(f[2], f[3], Long.parseLong(f[0]), Integer.parseInt(f[1])));
      } catch (NumberFormatException e) {
        continue;
      }
      rows.computeIfAbsent(f[2] + "\u0000" + f[3], k -> new ArrayList<>()).add(r);
    }
    List<Stream> streams = new ArrayList<>();
    for (Map.Entry<String, List<double[]>> e : rows.entrySet()) {
      String[] key = e.getKey().split("\u0000", 2);
      List<double[]> r = e.getValue();
      double[][] cols = new double[4][r.size()];
      for (int i = 0; i < r.size(); i++) for (int c = 0; c < 4; c++) cols[c][i] = r.get(i)[c];
      streams.add(new Stream(key[0], key[1], cols[0], cols[1], cols[2], cols[3]));
    }
    return new MonitorStreams(streams, alarms);
  }

  /** The sources in order of first appearance (batch, then probe when a probe batch was monitored). */
  public List<String> sources() {
    return streams.stream().map(Stream::source).distinct().toList();
  }
}
