package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hesse.hvp.monitor.TraceMonitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** train --monitor: the stream and summary in the run directory, the same weights, bad values refused. */
class MonitorOptionTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) { }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  static String[] train(Path out, String... extra) {
    List<String> a = new java.util.ArrayList<>(List.of("train", "--dataset", "iris", "--model", "mlp:6", "--epochs", "3",
        "--batch", "16", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void trainWithMonitorWritesTheStreamAndTheSameWeights() throws Exception {
    Path plain = tmp.resolve("plain");
    Path mon = tmp.resolve("monitored");
    assertEquals(0, run(train(plain)).code());
    Run r = run(train(mon, "--monitor", "every=2,probes=3"));
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(Files.readAllBytes(plain.resolve(RunDir.WEIGHTS)), Files.readAllBytes(mon.resolve(RunDir.WEIGHTS)));
    List<String> lines = Files.readAllLines(mon.resolve(MonitorOption.CSV));
    assertEquals(TraceMonitor.HEADER, lines.get(0));
    // iris 150 rows, 20 % validation: 120 training rows, batches of 16: 8 steps per epoch, 24 steps, every 2nd;
    // two parametrised layers
    assertEquals(1 + 12 * 2, lines.size());
    assertEquals("2", lines.get(1).split(",")[0]);
    assertEquals("3", lines.get(1).split(",")[6]);
    String json = Files.readString(mon.resolve(MonitorOption.JSON));
    assertTrue(json.contains("\"alarms\"") && json.contains("\"every\" : 2"), json);
  }

  @Test
  void analyzeWithMonitorTrainsTheSameWeightsAndWritesTheStream() throws Exception {
    Path plain = tmp.resolve("train");
    Path analysed = tmp.resolve("analyze");
    assertEquals(0, AnalyzeCommandTest.run(null, AnalyzeCommandTest.args("train", plain, 2)).code());
    AnalyzeCommandTest.Run a = AnalyzeCommandTest.analyze(analysed, 2, "--monitor", "every=4,probes=2");
    assertEquals(0, a.code(), a.err());
    assertArrayEquals(AnalyzeCommandTest.weights(plain, RunDir.WEIGHTS), AnalyzeCommandTest.weights(analysed, RunDir.WEIGHTS), 0.0);
    // 120 training rows in batches of 16: 8 steps per epoch, 16 steps, every 4th; two parametrised layers
    assertEquals(1 + 4 * 2, Files.readAllLines(analysed.resolve(MonitorOption.CSV)).size());
    assertTrue(Files.exists(analysed.resolve(MonitorOption.JSON)));
    AnalyzeCommandTest.Run r = AnalyzeCommandTest.analyze(analysed, 2, "--monitor", "every=4", "--resume");
    assertEquals(2, r.code(), r.err());
    assertEquals("hesse: error: --monitor: not with --resume (the trace series and their CUSUM would restart mid-run)",
        r.err().strip());
  }

  @ParameterizedTest
  @ValueSource(strings = {"every=0,probes=5", "every=10,probes=x", "every=10,seed=3", "every=10,every=5", "probes"})
  void badValuesAreRefusedInOneLineWithNothingWritten(String value) {
    Path out = tmp.resolve("bad");
    Run r = run(train(out, "--monitor", value));
    assertEquals(2, r.code(), r.err());
    String[] errLines = r.err().strip().split("\n");
    assertEquals(1, errLines.length, r.err());
    assertTrue(errLines[0].startsWith("hesse: error: --monitor: "), errLines[0]);
    assertFalse(Files.exists(out));
  }
}
