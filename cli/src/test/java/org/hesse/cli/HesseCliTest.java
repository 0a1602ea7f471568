package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.hesse.runtime.RuntimeInfo;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

class HesseCliTest {
  /** Exit code, stdout and stderr of one run. */
  private static final class Run {
    final int code;
    final String out;
    final String err;

    Run(CommandLine cl, StringWriter out, StringWriter err, String... args) {
      this.code = cl.execute(args);
      this.out = out.toString();
      this.err = err.toString();
    }
  }

  private static Run run(String... args) {
    return run(null, args);
  }

  private static Run run(Object extraCommand, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Object[] extra = extraCommand == null ? new Object[0] : new Object[] {extraCommand};
    CommandLine cl = HesseCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true), extra);
    return new Run(cl, out, err, args);
  }

  private static List<String> lines(String s) {
    List<String> l = new ArrayList<>(s.lines().toList());
    l.removeIf(String::isBlank);
    return l;
  }

  @Test
  void infoPrintsOneLinePerBackEndAsRuntimeInfoCollectsThem() {
    Run r = run("info");
    assertEquals(0, r.code, r.err);
    List<String> expected = RuntimeInfo.collect().lines();
    List<String> got = lines(r.out);
    assertEquals(expected.size(), got.size(), r.out);
    for (int i = 0; i < got.size(); i++) {
      String key = expected.get(i).substring(0, expected.get(i).indexOf(':') + 1);
      assertTrue(got.get(i).startsWith(key), got.get(i) + " vs " + expected.get(i));
    }
    assertTrue(got.get(0).startsWith("blas: ") && got.get(3).startsWith("openblas: "), r.out);
  }

  @Test
  void infoJsonHasTheSameFieldsAsTheMap() throws Exception {
    Run r = run("info", "--json");
    assertEquals(0, r.code, r.err);
    JsonNode json = new ObjectMapper().readTree(r.out);
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertEquals(new ArrayList<>(RuntimeInfo.collect().toMap().keySet()), keys);
    assertEquals(Runtime.getRuntime().availableProcessors(), json.get("cpu").get("cores").asInt());
  }

  @Test
  void helpListsTheCommandsAndExitsZero() {
    Run r = run("--help");
    assertEquals(0, r.code);
    assertTrue(r.out.contains("Usage: hesse") && r.out.contains("info"), r.out);
    Run sub = run("info", "--help");
    assertEquals(0, sub.code);
    assertTrue(sub.out.contains("--json"), sub.out);
  }

  @Test
  void versionNamesHesseAndTheJvm() {
    Run r = run("--version");
    assertEquals(0, r.code);
    assertTrue(r.out.startsWith("hesse "), r.out);
    assertTrue(r.out.contains(System.getProperty("java.version")), r.out);
  }

  @Test
  void usageErrorsExitTwoWithOneErrorLine() {
    Run unknown = run("info", "--jsn");
    assertEquals(2, unknown.code);
    assertTrue(unknown.err.startsWith("hesse: error: Unknown option: '--jsn'"), unknown.err);
    assertTrue(unknown.out.isEmpty());
    // a close misspelling: picocli's suggestion joins the same line
    Run near = run("spectrum", "--bogus");
    assertEquals(2, near.code);
    assertEquals(1, near.err.strip().lines().count(), near.err);
    assertTrue(near.err.contains("did you mean --bottom?"), near.err);
    Run nearCommand = run("backmatchin");
    assertEquals(2, nearCommand.code);
    assertEquals(1, nearCommand.err.strip().lines().count(), nearCommand.err);
    Run none = run();
    assertEquals(2, none.code);
    assertTrue(none.err.startsWith("hesse: error: missing command"), none.err);
    Run bogus = run("frobnicate");
    assertEquals(2, bogus.code);
    assertTrue(bogus.err.startsWith("hesse: error: "), bogus.err);
  }

  @Command(name = "fail")
  static final class Fail implements Callable<Integer> {
    @Parameters String kind;

    @Override
    public Integer call() throws Exception {
      switch (kind) {
        case "arg":
          throw new IllegalArgumentException("size: expected > 0, got -3");
        case "io":
          throw new FileNotFoundException("model.json (No such file or directory)");
        case "npe":
          throw new NullPointerException();
        case "lines":
          throw new IllegalArgumentException("first line\n  second line\n");
        case "deep":
          return recurse(0);
        case "oom":
          throw new OutOfMemoryError("Java heap space");
        case "nan":
          NumericalFailure.requireFinite("loss", Double.NaN);
          return 0;
        default:
          throw new IllegalStateException("ARPACK did not converge");
      }
    }
  }

  /** A real stack overflow, as a 2,000-deep nested model can cause. */
  static int recurse(int depth) {
    return depth < 0 ? depth : recurse(depth + 1) + 1;
  }

  @Test
  void anyThrowableIsOneLineWithItsExitCode() {
    Run npe = run(new Fail(), "fail", "npe");
    assertEquals(1, npe.code);
    assertEquals(List.of("hesse: error: internal failure: NullPointerException (HESSE_DEBUG=1 shows the stack trace)"),
        lines(npe.err));
    Run multi = run(new Fail(), "fail", "lines");
    assertEquals(2, multi.code);
    assertEquals(List.of("hesse: error: first line; second line"), lines(multi.err));
    Run deep = run(new Fail(), "fail", "deep");
    assertEquals(1, deep.code);
    assertEquals(1, lines(deep.err).size(), deep.err);
    assertTrue(deep.err.startsWith("hesse: error: internal failure: stack overflow"), deep.err);
    Run oom = run(new Fail(), "fail", "oom");
    assertEquals(1, oom.code);
    assertEquals(1, lines(oom.err).size(), oom.err);
    assertTrue(oom.err.startsWith("hesse: error: internal failure: out of memory (Java heap space); raise"), oom.err);
    Run nan = run(new Fail(), "fail", "nan");
    assertEquals(3, nan.code);
    assertEquals(List.of("hesse: error: numerical failure: loss is NaN (not finite)"), lines(nan.err));
  }

  @Test
  void badInputFromACommandExitsTwoAndOtherFailuresOne() {
    Run arg = run(new Fail(), "fail", "arg");
    assertEquals(2, arg.code);
    assertEquals(List.of("hesse: error: size: expected > 0, got -3"), lines(arg.err));
    Run io = run(new Fail(), "fail", "io");
    assertEquals(2, io.code);
    assertEquals(List.of("hesse: error: model.json (No such file or directory)"), lines(io.err));
    Run other = run(new Fail(), "fail", "state");
    assertEquals(1, other.code);
    assertEquals(List.of("hesse: error: internal failure: IllegalStateException: ARPACK did not converge "
        + "(HESSE_DEBUG=1 shows the stack trace)"), lines(other.err));
  }

  @Test
  void fileSystemFailuresSayWhatWasWrongNotJustThePath() {
    // the JDK's messages here are the bare path
    assertEquals("file not found: /no/such/runs.csv",
        HesseCli.message(new java.nio.file.NoSuchFileException("/no/such/runs.csv"), HesseCli.exitCode(new java.io.IOException())));
    assertEquals("cannot use /proc/x: permission denied",
        HesseCli.message(new java.nio.file.AccessDeniedException("/proc/x"), 2));
    assertEquals("cannot use /a/f: not a directory", HesseCli.message(new java.nio.file.NotDirectoryException("/a/f"), 2));
  }

  @Test
  void anUnknownBackEndPropertyIsRefusedNotIgnored() {
    for (String[] kv : new String[][] {{"hesse.kernels", "gpu"}, {"hesse.blas", "cuda"}}) {
      System.setProperty(kv[0], kv[1]);
      try {
        Run r = run("info");
        assertEquals(2, r.code, r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.startsWith("hesse: error: -D" + kv[0] + ": expected "), r.err);
        assertTrue(r.err.contains("got '" + kv[1] + "'"), r.err);
      } finally {
        System.clearProperty(kv[0]);
      }
    }
  }
}
