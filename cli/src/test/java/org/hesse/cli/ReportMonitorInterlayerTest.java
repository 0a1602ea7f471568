package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hesse.cli.report.HtmlReport;
import org.hesse.cli.report.MonitorStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analyze report's curvature-monitor plots (trace and CUSUM streams with the alarms marked) and inter-layer
 * heat maps (R and C over layer pairs): the data embedded in the SVG equal the values in monitor.csv and
 * interlayer.json, read here independently.
 */
class ReportMonitorInterlayerTest {
  @TempDir Path tmp;

  /** (row, col) → data-value of the heat-map cells between two headings of the page. */
  private static Map<String, Double> cells(String html, String from, String to) {
    int a = html.indexOf(from);
    int b = to == null ? html.length() : html.indexOf(to, a + 1);
    assertTrue(a >= 0 && b > a, "section '" + from + "' in the report");
    Map<String, Double> m = new HashMap<>();
    Matcher x = Pattern.compile("<rect class=\"cell\" data-row=\"([^\"]*)\" data-col=\"([^\"]*)\" data-value=\"([^\"]*)\"")
        .matcher(html.substring(a, b));
    while (x.find()) assertNull(m.put(x.group(1) + "|" + x.group(2), Double.parseDouble(x.group(3))), "one cell per pair");
    return m;
  }

  @Test
  void analyzeWithInterlayerAndMonitorEmbedsTheFilesValues() throws Exception {
    Path dir = tmp.resolve("run");
    AnalyzeCommandTest.Run r = AnalyzeCommandTest.run(null, "analyze", "--dataset", "iris", "--model", "mlp:6,5", "--batch",
        "16", "--lr", "0.05", "--seed", "3", "--every", "2", "--top", "2", "--slq-steps", "10", "--slq-probes", "2",
        "--epochs", "2", "--monitor", "every=3,probes=2", "--interlayer", "--out", dir.toString());
    assertEquals(0, r.code(), r.err());
    String html = Files.readString(dir.resolve("report.html"));
    JsonNode il = new ObjectMapper().readTree(dir.resolve("interlayer.json").toFile());
    Map<String, Double> res = cells(html, "Inter-layer resonance R", "Inter-layer coupling C");
    Map<String, Double> cou = cells(html, "Inter-layer coupling C", "</div>");
    int pairs = 0;
    for (JsonNode p : il.path("pairs")) {
      String v = p.path("v").asText();
      String w = p.path("w").asText();
      for (String key : List.of(v + "|" + w, w + "|" + v)) {
        assertEquals(p.path("resonance").path("value").asDouble(), res.get(key), 0.0, "R " + key);
        assertEquals(p.path("coupling").path("value").asDouble(), cou.get(key), 0.0, "C " + key);
      }
      pairs++;
    }
    assertEquals(3, pairs, "three parametrised layers: three pairs");
    // the cache provenance has spectrum's and interlayer's keys, with the mode analyze ran under (auto, the default)
    JsonNode cache = il.path("provenance").path("curvature_cache");
    assertEquals("auto", cache.path("option").asText(), "option: " + cache);
    assertEquals("all", cache.path("ran").asText(), "iris fits the budget: all cached");
    assertEquals(2 * pairs, res.size(), "both halves of the symmetric map, no diagonal");
    assertEquals(2 * pairs, cou.size());
    // the monitor section: one trace and one CUSUM chart for the batch source, one line per layer
    assertTrue(html.contains("Trace per layer (batch)") && html.contains("CUSUM per layer (batch)"), "monitor plots");
    List<String> lines = Files.readAllLines(dir.resolve("monitor.csv"));
    long alarms = lines.stream().skip(1).filter(l -> l.endsWith(",1")).count();
    Matcher marks = Pattern.compile("class=\"mark\" data-x=").matcher(html);
    int m = 0;
    while (marks.find()) m++;
    assertEquals(2 * alarms, m, "each alarm marked on both charts");
  }

  @Test
  void alarmMarksAndStreamsEqualTheCsv() throws Exception {
    Path csv = tmp.resolve("monitor.csv");
    StringBuilder s = new StringBuilder("step,epoch,source,layer,trace,se,probes,cusum,alarm\n");
    double[][] trace = new double[2][20];
    double[][] cusum = new double[2][20];
    for (int i = 0; i < 20; i++) {
      for (int l = 0; l < 2; l++) {
        trace[l][i] = 1.5 + l + 0.1 * i * i;
        cusum[l][i] = l == 1 && i >= 12 ? 3.0 * (i - 11) : 0;
        s.append(5 * (i + 1)).append(',').append(1 + i / 4).append(",batch,").append(l == 0 ? "0" : "2").append(',')
            .append(trace[l][i]).append(",0.25,5,").append(cusum[l][i]).append(',').append(l == 1 && i == 14 ? 1 : 0).append('\n');
      }
    }
    s.append("105,6,batch,0,1.2");  // a line cut while being written: skipped
    Files.writeString(csv, s.toString());
    MonitorStreams m = MonitorStreams.read(csv);
    assertEquals(2, m.streams().size());
    for (int l = 0; l < 2; l++) {
      MonitorStreams.Stream st = m.streams().get(l);
      assertEquals(l == 0 ? "0" : "2", st.layer());
      assertEquals(20, st.step().length);
      for (int i = 0; i < 20; i++) {
        assertEquals(5.0 * (i + 1), st.step()[i], 0.0);
        assertEquals(trace[l][i], st.trace()[i], 0.0);
        assertEquals(cusum[l][i], st.cusum()[i], 0.0);
        assertEquals(0.25, st.se()[i], 0.0);
      }
    }
    assertEquals(List.of(new MonitorStreams.Alarm("batch", "2", 75, 4)), m.alarms());
    String html = HtmlReport.render(new HtmlReport.Input("t", "complete", Map.of(), List.of(), List.of(), List.of(), 1, m, 20.5, null));
    Matcher x = Pattern.compile("class=\"mark\" data-x=\"([^\"]*)\"").matcher(html);
    List<Double> xs = new ArrayList<>();
    while (x.find()) xs.add(Double.parseDouble(x.group(1)));
    assertEquals(List.of(75.0, 75.0), xs, "the alarm's step on the trace and the CUSUM chart");
    assertTrue(html.contains("alarm: layer 2 (epoch 4)") && html.contains("threshold h") && html.contains("h = 20.50"), "labels");
    assertNull(MonitorStreams.read(tmp.resolve("absent.csv")));
  }
}
