package org.hesse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code hesse spectrum --spark MASTER ...}: the same spectrum on a Spark cluster, by handing the options to
 * {@code $SPARK_HOME/bin/spark-submit --master MASTER --class org.hesse.spark.SparkSpectrum hesse-spark.jar ...}
 * (the cli jar stays free of Spark; spark/README.md). Only the options SparkSpectrum distributes are passed; any
 * other (--full, --vectors, --run, --dataset, --limit) and --curvature backmatching are refused in one
 * line before anything starts, as are a missing spark-submit or jar.
 */
final class SparkSubmit {
  private SparkSubmit() {}

  static final String MAIN_CLASS = "org.hesse.spark.SparkSpectrum";
  static final String JAR_PROPERTY = "hesse.spark.jar";
  static final String JAR_ENV = "HESSE_SPARK_JAR";

  /** hesse spectrum's options that SparkSpectrum takes with the same meaning (the rest are not distributed). */
  static final Set<String> DISTRIBUTED = Set.of("--model", "--weights", "--data", "--target", "--curvature", "--layers",
      "--top", "--bottom", "--density", "--slq-steps", "--slq-probes", "--batch", "--mode", "--tol", "--seed", "--out",
      "--partitions", "--standardizer", "--curvature-cache");

  /** Options of this launcher itself or of the whole CLI, not passed on. */
  static final Set<String> OWN = Set.of("--spark", "--spark-jar", "--quiet", "--verbose");

  /** The environment (a test replaces it). */
  static UnaryOperator<String> env = System::getenv;

  /** The spark-submit command line for a parsed {@code hesse spectrum --spark ...}; refuses what is not distributed. */
  static List<String> command(CommandLine.ParseResult spectrum, String master, Path jarOption) {
    List<String> pass = new ArrayList<>();
    for (OptionSpec o : spectrum.matchedOptions()) {
      String name = o.longestName();
      if (OWN.contains(name)) continue;
      if (!DISTRIBUTED.contains(name)) {
        throw new IllegalArgumentException("--spark: " + name + " is not distributed (SparkSpectrum takes "
            + String.join(" ", new java.util.TreeSet<>(DISTRIBUTED)) + "); run without --spark for it");
      }
      if (o.arity().max() == 0) {
        pass.add(name);
      } else {
        for (String v : o.originalStringValues()) {
          if (name.equals("--curvature") && v.equals("backmatching")) {
            throw new IllegalArgumentException("--spark: --curvature backmatching is not distributed (its spectrum comes "
                + "from per-layer input moments); run without --spark for it");
          }
          pass.add(name);
          pass.add(v);
        }
      }
    }
    for (String required : List.of("--model", "--weights", "--data")) {
      if (!pass.contains(required)) {
        throw new IllegalArgumentException("--spark: needs --model, --weights and --data (a file or directory Spark reads); "
            + required + " is missing");
      }
    }
    List<String> cmd = new ArrayList<>(List.of(sparkSubmit().toString(), "--master", master, "--class", MAIN_CLASS,
        jar(jarOption).toString()));
    cmd.addAll(pass);
    return cmd;
  }

  /** $SPARK_HOME/bin/spark-submit, refused naming what to set when absent. */
  static Path sparkSubmit() {
    String home = env.apply("SPARK_HOME");
    if (home == null || home.isBlank()) {
      throw new IllegalArgumentException("--spark: SPARK_HOME is not set; set it to a Spark distribution "
          + "(its bin/spark-submit starts the job)");
    }
    Path p = Path.of(home, "bin", "spark-submit");
    if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
      throw new IllegalArgumentException("--spark: " + p + " not found or not executable; set SPARK_HOME to a Spark "
          + "distribution");
    }
    return p;
  }

  /**
   * hesse-spark.jar: --spark-jar, else -Dhesse.spark.jar, else $HESSE_SPARK_JAR, else spark/target/hesse-spark.jar
   * of the checkout this cli runs from (cli/target/hesse-cli.jar or cli/target/classes).
   */
  static Path jar(Path option) {
    String from;
    Path p;
    if (option != null) {
      p = option;
      from = "--spark-jar";
    } else if (System.getProperty(JAR_PROPERTY) != null) {
      p = Path.of(System.getProperty(JAR_PROPERTY));
      from = "-D" + JAR_PROPERTY;
    } else if (env.apply(JAR_ENV) != null && !env.apply(JAR_ENV).isBlank()) {
      p = Path.of(env.apply(JAR_ENV));
      from = JAR_ENV;
    } else {
      p = checkoutJar();
      if (p == null) {
        throw new IllegalArgumentException("--spark: hesse-spark.jar not located (this cli does not run from a source "
            + "checkout); set " + JAR_ENV + " (or -D" + JAR_PROPERTY + ", --spark-jar)");
      }
      from = "the checkout";
    }
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException("--spark: hesse-spark.jar not found at " + p + " (" + from + "); build it with "
          + "'mvn -B -DskipTests package -pl spark -am' or set " + JAR_ENV + " (or -D" + JAR_PROPERTY + ", --spark-jar)");
    }
    return p;
  }

  /** ROOT/spark/target/hesse-spark.jar when this class comes from ROOT/cli/target/..., else null. */
  static Path checkoutJar() {
    try {
      Path here = Path.of(SparkSubmit.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
      for (Path p = here; p != null && p.getParent() != null; p = p.getParent()) {
        if (p.getFileName().toString().equals("target") && p.getParent().getFileName() != null
            && p.getParent().getFileName().toString().equals("cli") && p.getParent().getParent() != null) {
          return p.getParent().getParent().resolve("spark").resolve("target").resolve("hesse-spark.jar");
        }
      }
      return null;
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /** Runs spark-submit with this process's streams and returns its exit code. */
  static int run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      p.destroy();
      throw e;
    }
  }
}
