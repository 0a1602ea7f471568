package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at any moment of {@code analyze}, then {@code --resume}: the run directory ends byte for byte equal to
 * an uninterrupted run's. Each trial runs analyze in a child JVM, kills it (destroyForcibly) after a delay spread
 * evenly over the uninterrupted run's wall time (the first trial within the JVM's start, before any file exists),
 * resumes it in another child JVM and compares every file. {@code -Dhesse.killTrials=20} for the full battery
 * (default 2, a few seconds).
 */
class AnalyzeKillResumeTest {
  @TempDir Path tmp;

  static final String[] ARGS = {"analyze", "--dataset", "iris", "--model", "mlp:8", "--batch", "16", "--seed", "5",
      "--epochs", "6", "--every", "2", "--top", "2", "--slq-steps", "15", "--slq-probes", "2"};

  static Process start(Path out, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-XX:ObjectAlignmentInBytes=16");   // as ./hesse runs it: alignment-independent BLAS sums
    String lib = System.getProperty("java.library.path");
    if (lib != null) cmd.add("-Djava.library.path=" + lib);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(HesseCli.class.getName());
    cmd.addAll(Arrays.asList(ARGS));
    cmd.add("--out");
    cmd.add(out.toString());
    cmd.addAll(Arrays.asList(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile());
    return pb.start();
  }

  static int finish(Process p) throws Exception {
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM finished");
    return p.exitValue();
  }

  /** Every regular file under dir, by relative path, with its bytes. */
  static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) m.put(dir.relativize(f).toString(), Files.readAllBytes(f));
    }
    return m;
  }

  @Test
  void killedAtAnyMomentThenResumedEqualsAnUninterruptedRun() throws Exception {
    int trials = Integer.getInteger("hesse.killTrials", 2);
    Path ref = tmp.resolve("ref");
    long t0 = System.nanoTime();
    assertEquals(0, finish(start(ref)), () -> log(ref));
    long wall = System.nanoTime() - t0;
    Map<String, byte[]> expected = files(ref);
    assertTrue(expected.containsKey("spectra.json") && expected.containsKey("report.html"), expected.keySet().toString());
    // The claim needs a back end that repeats itself. Without 16-byte array alignment (the flag above), OpenBLAS's
    // Prescott kernels make two uninterrupted runs differ in the last bits of ARPACK's eigenvalues; should a back
    // end still not repeat itself, resume cannot be told apart from that noise and the comparison is skipped (said).
    Path ref2 = tmp.resolve("ref2");
    long t1 = System.nanoTime();
    assertEquals(0, finish(start(ref2)), () -> log(ref2));
    wall = Math.max(wall, System.nanoTime() - t1);   // the machine is shared: the slower run bounds the kill moments (later ones resume a finished run)
    Map<String, byte[]> again = files(ref2);
    List<String> unrepeatable = expected.keySet().stream().filter(f -> !Arrays.equals(expected.get(f), again.get(f))).toList();
    // Where the project promises bitwise repeatability, a difference here is a failure, not a reason to skip.
    if (org.hesse.linalg.Determinism.bitwiseRepeatable()) {
      assertEquals(List.of(), unrepeatable, "two uninterrupted runs differ although " + org.hesse.linalg.Determinism.describe());
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(unrepeatable.isEmpty(), () -> "two uninterrupted runs differ in "
        + unrepeatable + " (OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE") + "): the back end is not "
        + "bit-reproducible run to run, so byte identity after resume cannot be tested here");

    for (int i = 0; i < trials; i++) {
      Path dir = tmp.resolve("trial-" + i);
      long delayNanos = (long) (wall * (i + 0.5) / trials);
      Process p = start(dir);
      boolean ended = p.waitFor(delayNanos, TimeUnit.NANOSECONDS);
      if (!ended) p.destroyForcibly();
      p.waitFor();
      String state = Files.isDirectory(dir) ? files(dir).keySet().toString() : "(no directory)";
      int code = finish(start(dir, "--resume"));
      String why = "trial " + i + ", killed after " + delayNanos / 1e6 + " ms" + (ended ? " (had ended)" : "")
          + ", left " + state + ": " + log(dir);
      assertEquals(0, code, why);
      Map<String, byte[]> got = files(dir);
      assertEquals(expected.keySet(), got.keySet(), why);
      for (String f : expected.keySet()) assertTrue(Arrays.equals(expected.get(f), got.get(f)), f + " differs; " + why);
      System.out.println("kill trial " + i + ": killed after " + delayNanos / 1000000 + " ms" + (ended ? " (it had ended)" : "") + ", left " + state
          + "; resumed: identical");
    }
  }

  private static String log(Path dir) {
    try {
      return Files.readString(dir.resolveSibling(dir.getFileName() + ".log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
