package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * hesse spectrum --spark: the spark-submit command line built from the options, its exit code returned (a stand-in
 * spark-submit script records its arguments; no Spark distribution needed), and the refusals before anything starts.
 */
class SparkSubmitTest {
  @TempDir Path tmp;
  Path home;
  Path jar;
  Path argsFile;

  @BeforeEach
  void fakeSpark() throws Exception {
    home = tmp.resolve("spark-home");
    Files.createDirectories(home.resolve("bin"));
    argsFile = tmp.resolve("args.txt");
    Path submit = home.resolve("bin/spark-submit");
    // one argument a line, then exit 3 (a code of its own, to see it returned)
    Files.writeString(submit, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + argsFile + "'\nexit 3\n");
    Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
    jar = tmp.resolve("hesse-spark.jar");
    Files.writeString(jar, "not really a jar");
    Map<String, String> env = Map.of("SPARK_HOME", home.toString(), SparkSubmit.JAR_ENV, jar.toString());
    SparkSubmit.env = env::get;
  }

  @AfterEach
  void realEnvironment() {
    SparkSubmit.env = System::getenv;
  }

  static RunDirCommandTest.Run run(String... args) {
    return RunDirCommandTest.run(args);
  }

  static final String[] BASE = {"spectrum", "--spark", "spark://h:7077", "--model", "m.json", "--weights", "m.safetensors",
      "--data", "hdfs:///d.csv", "--target", "label"};

  @Test
  void commandLineCarriesTheDistributedOptionsOnly() throws Exception {
    CommandLine cl = HesseCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    CommandLine.ParseResult pr = cl.parseArgs(SpectrumCommandTest.concat(BASE, "--top", "3", "--density", "--curvature",
        "ggn", "--partitions", "8", "--curvature-cache", "none", "--quiet", "--out", "r.json"));
    List<String> cmd = SparkSubmit.command(pr.subcommand(), "spark://h:7077", null);
    List<String> expected = new ArrayList<>(List.of(home.resolve("bin/spark-submit").toString(), "--master", "spark://h:7077",
        "--class", "org.hesse.spark.SparkSpectrum", jar.toString()));
    // in the order picocli matched them (the command line's), without --spark and --quiet
    expected.addAll(List.of("--model", "m.json", "--weights", "m.safetensors", "--data", "hdfs:///d.csv", "--target", "label",
        "--top", "3", "--density", "--curvature", "ggn", "--partitions", "8", "--curvature-cache", "none", "--out", "r.json"));
    assertEquals(expected, cmd);
  }

  @Test
  void runsSparkSubmitAndReturnsItsExitCode() throws Exception {
    RunDirCommandTest.Run r = run(SpectrumCommandTest.concat(BASE, "--top", "2"));
    assertEquals(3, r.code(), r.err());
    assertEquals(List.of("--master", "spark://h:7077", "--class", "org.hesse.spark.SparkSpectrum", jar.toString(), "--model",
        "m.json", "--weights", "m.safetensors", "--data", "hdfs:///d.csv", "--target", "label", "--top", "2"),
        Files.readAllLines(argsFile));
  }

  @Test
  void aRunsClassMappingIsNotAppliedOnSparkAndSaysSo() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(run.resolve("standardizer.json"), "{}");
    Files.writeString(run.resolve("config.json"), "{\"classes\": [\"0\", \"7\"]}");
    RunDirCommandTest.Run r = run("spectrum", "--spark", "local[2]", "--model", run.resolve("model.json").toString(),
        "--weights", "w", "--data", "d.csv");
    assertEquals(3, r.code(), r.err());
    // the standardizer.json next to the model SparkSpectrum applies itself (spark's ReportEqualityTest): no warning
    assertFalse(r.err().contains("standardizer.json"), r.err());
    assertTrue(r.err().contains("hesse: warning: --spark: the class mapping of " + run.resolve("config.json").toAbsolutePath()), r.err());
    assertEquals(1, r.errLines().size(), r.err());
  }

  @Test
  void jarFromTheSystemPropertyBeforeTheEnvironment() throws Exception {
    Path other = tmp.resolve("other.jar");
    Files.writeString(other, "x");
    System.setProperty(SparkSubmit.JAR_PROPERTY, other.toString());
    try {
      assertEquals(other, SparkSubmit.jar(null));
    } finally {
      System.clearProperty(SparkSubmit.JAR_PROPERTY);
    }
    assertEquals(jar, SparkSubmit.jar(null));
    // without either: the checkout's spark/target/hesse-spark.jar (these classes are in ROOT/cli/target/classes)
    SparkSubmit.env = Map.of("SPARK_HOME", home.toString())::get;
    Path root = Path.of(SparkSubmit.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent().getParent().getParent();
    assertEquals(root.resolve("spark/target/hesse-spark.jar"), SparkSubmit.checkoutJar());
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of(new String[] {"--full"}, "--spark: --full is not distributed"),
        Arguments.of(new String[] {"--curvature", "backmatching"}, "--spark: --curvature backmatching is not distributed"),
        Arguments.of(new String[] {"--vectors", "--out", "r.json"}, "--spark: --vectors is not distributed"),
        Arguments.of(new String[] {"--dataset", "iris"}, "--spark: --dataset is not distributed"),
        Arguments.of(new String[] {"--limit", "10"}, "--spark: --limit is not distributed"),
        Arguments.of(new String[] {"--run", "runs/x"}, "--spark: --run is not distributed"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("refused")
  void notDistributedOptionsAreRefusedBeforeStarting(String[] extra, String message) {
    RunDirCommandTest.Run r = run(SpectrumCommandTest.concat(BASE, extra));
    assertBad(r, message);
  }

  @Test
  void missingSparkOrJarIsRefusedNamingWhatToSet() throws Exception {
    SparkSubmit.env = Map.of(SparkSubmit.JAR_ENV, jar.toString())::get;
    assertBad(run(BASE), "--spark: SPARK_HOME is not set");
    SparkSubmit.env = Map.of("SPARK_HOME", tmp.resolve("nowhere").toString(), SparkSubmit.JAR_ENV, jar.toString())::get;
    assertBad(run(BASE), "--spark: " + tmp.resolve("nowhere/bin/spark-submit") + " not found or not executable; set SPARK_HOME");
    SparkSubmit.env = Map.of("SPARK_HOME", home.toString(), SparkSubmit.JAR_ENV, tmp.resolve("no.jar").toString())::get;
    assertBad(run(BASE), "--spark: hesse-spark.jar not found at " + tmp.resolve("no.jar") + " (HESSE_SPARK_JAR)");
    SparkSubmit.env = Map.of("SPARK_HOME", home.toString())::get;
    assertBad(run(SpectrumCommandTest.concat(BASE, "--spark-jar", tmp.resolve("gone.jar").toString())),
        "--spark: hesse-spark.jar not found at " + tmp.resolve("gone.jar") + " (--spark-jar)");
    SparkSubmit.env = Map.of("SPARK_HOME", home.toString(), SparkSubmit.JAR_ENV, jar.toString())::get;
    assertBad(run("spectrum", "--spark", "local[2]", "--model", "m.json", "--weights", "w"), "--spark: needs --model, --weights and --data");
    // --partitions is Spark's alone
    RunDirCommandTest.Run p = run("spectrum", "--dataset", "iris", "--partitions", "2");
    assertEquals(2, p.code(), p.err());
    assertTrue(p.err().startsWith("hesse: error: --partitions: only with --spark"), p.err());
  }

  void assertBad(RunDirCommandTest.Run r, String start) {
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("hesse: error: " + start), r.err());
    assertFalse(Files.exists(argsFile), "spark-submit must not have run");
  }
}
