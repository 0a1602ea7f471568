package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs that fail after the options were accepted: diverged training (exit 3, the epoch named, the metrics so far
 * kept, no final weights) and an {@code analyze --resume} of a run whose files are corrupt (exit 2, the file named,
 * nothing changed).
 */
class RunFailureTest {
  static final Pattern EPOCH = Pattern.compile("^hesse: error: training diverged (?:at|after) epoch (\\d+)");

  @TempDir static Path tmp;
  static Path analysed;

  static String[] args(String cmd, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of(cmd, "--dataset", "iris", "--model", "mlp:8", "--batch", "16", "--seed", "3",
        "--epochs", "3", "--out", out.toString()));
    if (cmd.equals("analyze")) a.addAll(List.of("--every", "1", "--top", "1", "--no-density"));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  /**
   * command, extra options, whether the loss stays finite (tanh saturates, log-softmax is stable: the loss grows
   * to ~1e6 without overflowing) or overflows (relu, lr 1e300: an infinite or NaN batch loss in the trainer).
   */
  static Stream<Arguments> diverging() {
    return Stream.of(Arguments.of("train", new String[] {"--lr", "1e6"}, true),
        Arguments.of("analyze", new String[] {"--lr", "1e8"}, true),
        Arguments.of("train", new String[] {"--lr", "1e300", "--act", "relu"}, false),
        Arguments.of("analyze", new String[] {"--lr", "1e300", "--act", "relu"}, false));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("diverging")
  void divergedTrainingIsANumericalFailureNamingTheEpoch(String cmd, String[] extra, boolean finite) throws Exception {
    Path out = Files.createDirectories(tmp.resolve(cmd + "-" + String.join("", extra)));
    // a stale model.safetensors of an earlier run in --out (--force) must not survive as this run's weights
    Files.writeString(out.resolve(RunDir.WEIGHTS), "stale");
    String[] a = args(cmd, out, extra);
    String[] all = java.util.Arrays.copyOf(a, a.length + 1);
    all[a.length] = "--force";
    RunDirCommandTest.Run r = RunDirCommandTest.run(all);
    assertEquals(HesseCli.EXIT_NUMERICAL, r.code(), r.err());
    List<String> lines = r.errLines();
    assertEquals(1, lines.size(), r.err());
    String line = lines.get(0);
    Matcher m = EPOCH.matcher(line);
    assertTrue(m.find(), line);
    assertTrue(line.endsWith("; lower --lr"), line);
    int epoch = Integer.parseInt(m.group(1));
    assertFalse(Files.exists(out.resolve(RunDir.WEIGHTS)), "no final weights after divergence");
    assertTrue(Files.exists(out.resolve(RunDir.CONFIG)));
    // the per-epoch losses as written: epoch 0 .. the diverging one (a finite row) or the one before (none to write)
    List<Map<String, String>> rows = CsvRows.read(out.resolve(cmd.equals("train") ? "metrics.csv" : AnalyzeFiles.TRAINING));
    double initial = Double.parseDouble(rows.get(0).get("train_loss"));
    if (finite) {
      assertEquals(epoch + 1, rows.size());
      int first = -1;
      for (int i = 0; i < rows.size() && first < 0; i++) {
        if (Double.parseDouble(rows.get(i).get("train_loss")) > 1e3 * Math.max(1, initial)) first = i;
      }
      assertEquals(first, epoch, "the first epoch whose loss exceeds 1000 x max(1, the initial loss)");
    } else {
      assertEquals(epoch, rows.size());
      assertTrue(line.contains("loss is NaN") || line.contains("loss is Infinity"), line);
    }
    if (cmd.equals("analyze")) {
      // the finished checkpoints (epoch 0 .. epoch - 1) are kept, readable
      assertEquals(epoch, AnalyzeFiles.readCheckpoints(out).size());
    }
  }

  @BeforeAll
  static void analysedRun() {
    analysed = tmp.resolve("analysed");
    RunDirCommandTest.Run r = RunDirCommandTest.run(args("analyze", analysed, "--lr", "0.05"));
    assertEquals(0, r.code(), r.err());
  }

  /** file to corrupt, its new content, what the message must say. */
  static Stream<Arguments> corrupt() {
    return Stream.of(Arguments.of(AnalyzeFiles.SPECTRA, "{\"checkpoints\": [{\"epoch\": 0,", "is not valid JSON: "),
        Arguments.of(AnalyzeFiles.CONFIG, "{garbage", "is not valid JSON: "),
        Arguments.of(AnalyzeFiles.SPECTRA, "{\"checkpoints\": [{\"steps\": 1}]}", "checkpoint 0 has no numeric 'epoch'"),
        Arguments.of(AnalyzeFiles.SPECTRA, "{\"checkpoints\": [7]}", "checkpoint 0 has no numeric 'epoch'"),
        Arguments.of(AnalyzeFiles.SPECTRA, "", "no 'checkpoints' list"),
        Arguments.of(AnalyzeFiles.SPECTRA, "[1, 2]", "no 'checkpoints' list"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("corrupt")
  void resumeOfACorruptRunNamesTheFileAndChangesNothing(String file, String content, String what) throws Exception {
    Path run = tmp.resolve("corrupt-" + Math.abs((file + content).hashCode()));
    copy(analysed, run);
    Files.writeString(run.resolve(file), content);
    Map<String, byte[]> before = contents(run);
    String[] a = args("analyze", run, "--lr", "0.05", "--resume");
    RunDirCommandTest.Run r = RunDirCommandTest.run(a);
    assertEquals(HesseCli.EXIT_BAD_INPUT, r.code(), r.err());
    List<String> lines = r.errLines();
    assertEquals(1, lines.size(), r.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("hesse: error: --resume: " + run.resolve(file) + ": ") || line.startsWith(
        "hesse: error: --resume: " + run.resolve(file) + " "), line);
    assertTrue(line.contains(what), line);
    assertTrue(line.endsWith("expected the file analyze wrote (or start afresh with --force)"), line);
    Map<String, byte[]> after = contents(run);
    assertEquals(before.keySet(), after.keySet());
    for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k);
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t);
        else Files.copy(p, t);
      }
    }
  }

  static Map<String, byte[]> contents(Path dir) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir".getBytes(StandardCharsets.UTF_8) : Files.readAllBytes(p));
      }
    }
    return m;
  }
}
