package org.hesse.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.hesse.data.BundledDatasets;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.data.Idx;
import org.hesse.data.LibSvm;
import org.hesse.nn.Network;

/** Loading data for the commands: bundled data sets by name, or files, and targets in the network's layout. */
final class CliData {
  private CliData() {}

  /** Fashion-MNIST's location when Debian's dataset-fashion-mnist is installed. */
  static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
  /** Another directory holding Fashion-MNIST's four IDX files. */
  static final String FASHION_MNIST_PROPERTY = "hesse.fashion-mnist.dir";

  /** Names besides the bundled ones: Fashion-MNIST's training and test images (Debian package, not bundled). */
  static final String FASHION_TRAIN = "fashion-mnist";
  static final String FASHION_TEST = "fashion-mnist-test";

  static Dataset load(String dataset, Path file, String target, Dataset.Task task) throws IOException {
    return load(dataset, file, target, task, 0);
  }

  /**
   * A bundled data set by name, Fashion-MNIST ({@value #FASHION_TRAIN}, {@value #FASHION_TEST}), or a file: CSV
   * (with target columns) or LibSVM (.svm/.libsvm). limit &gt; 0 keeps the first rows only.
   */
  static Dataset load(String dataset, Path file, String target, Dataset.Task task, int limit) throws IOException {
    if (dataset != null && file != null) throw new IllegalArgumentException("give either --dataset or --data, not both");
    if (FASHION_TRAIN.equals(dataset) || FASHION_TEST.equals(dataset)) {
      Path dir = fashionMnistDir();
      if (!java.nio.file.Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--dataset " + dataset + ": " + dir + " not found; install Debian's "
            + "dataset-fashion-mnist (or -D" + FASHION_MNIST_PROPERTY + "=DIR)");
      }
      return Idx.fashionMnist(dir, FASHION_TRAIN.equals(dataset) ? "train" : "t10k", limit);
    }
    if (limit < 0) throw new IllegalArgumentException("--limit: expected >= 0 rows (0 = all), got " + limit);
    if (dataset != null) {
      if (!BundledDatasets.names().contains(dataset)) {
        throw new IllegalArgumentException("--dataset: unknown data set '" + dataset + "'; expected one of "
            + String.join(", ", BundledDatasets.names()) + ", " + FASHION_TRAIN + ", " + FASHION_TEST + " (or --data FILE)");
      }
      return limit(BundledDatasets.load(dataset), limit);
    }
    if (file == null) throw new IllegalArgumentException("no data: give --dataset NAME (one of " + BundledDatasets.names() + ") or --data FILE");
    String name = file.getFileName().toString().toLowerCase();
    if (name.endsWith(".svm") || name.endsWith(".libsvm")) return limit(LibSvm.read(file, task, 0), limit);
    if (target == null || target.isBlank()) {
      throw new IllegalArgumentException("--target is required with a CSV file: the target column(s), e.g. label or y0,y1");
    }
    return limit(Csv.read(file, task, targetColumns(target, task)), limit);
  }

  /** --target's column names, checked here so that the message names the option. */
  static List<String> targetColumns(String target, Dataset.Task task) {
    List<String> cols = Arrays.stream(target.split(",", -1)).map(String::trim).toList();
    if (cols.contains("")) throw new IllegalArgumentException("--target: empty column name in '" + target + "'; expected e.g. label or y0,y1");
    if (new java.util.HashSet<>(cols).size() != cols.size()) {
      throw new IllegalArgumentException("--target: a column is listed twice in '" + target + "'");
    }
    if (task == Dataset.Task.CLASSIFICATION && cols.size() != 1) {
      throw new IllegalArgumentException("--target: classification takes one label column, got '" + target
          + "' (for several regression targets pass --task regression)");
    }
    return cols;
  }

  /** Builds a network, possibly reading a file (so an I/O error may come). */
  interface NetworkSource {
    Network build() throws IOException;
  }

  /**
   * The network a model description describes (built with {@code ModelFiles.readNetwork(file)}, whose errors name
   * the file). A description nested so deeply that building it overflows the stack is bad input, named by its option.
   */
  static Network network(NetworkSource build, String option, Path file) throws IOException {
    try {
      return build.build();
    } catch (StackOverflowError e) {
      throw new IllegalArgumentException(option + ": " + file + ": the model is nested too deeply to build (stack "
          + "overflow); expected a shallower description (or a larger thread stack, JAVA_OPTS=-Xss64m)");
    }
  }

  static Dataset limit(Dataset d, int limit) {
    if (limit <= 0 || limit >= d.size()) return d;
    int[] idx = new int[limit];
    for (int i = 0; i < limit; i++) idx[i] = i;
    return d.rows(idx);
  }

  /** Targets as the loss expects them: class indices as doubles for cross-entropy, values for mse. */
  static double[] targets(Dataset d, Network net) {
    String loss = net.loss().name();
    if (d.isClassification()) {
      if (!"cross_entropy".equals(loss)) {
        throw new IllegalArgumentException("the data are class labels but the model's loss is " + loss + "; expected cross_entropy");
      }
      if (d.numClasses() > net.outputSize()) {
        throw new IllegalArgumentException("the data have " + d.numClasses() + " classes but the model has "
            + net.outputSize() + " outputs");
      }
      int[] l = d.labels();
      double[] y = new double[l.length];
      for (int i = 0; i < l.length; i++) y[i] = l[i];
      return y;
    }
    if (d.numTargets() != net.outputSize()) {
      throw new IllegalArgumentException("the data have " + d.numTargets() + " target columns but the model has "
          + net.outputSize() + " outputs");
    }
    return d.targets();
  }

  /**
   * The data fit the model: feature count, and class count (at most the outputs) or target count (the outputs).
   * {@code given} names the data (e.g. "--data d.csv"), {@code model} the model (e.g. "m.json").
   */
  static void checkFits(Dataset d, Network net, String given, String model) {
    if (d.numFeatures() != net.inputSize()) {
      throw new IllegalArgumentException(given + ": " + d.numFeatures() + " feature columns, but the model (" + model
          + ") expects " + net.inputSize() + " inputs");
    }
    if (d.isClassification() && "cross_entropy".equals(net.loss().name()) && d.numClasses() > net.outputSize()) {
      throw new IllegalArgumentException(given + ": " + d.numClasses() + " classes, but the model (" + model + ") has "
          + net.outputSize() + " outputs");
    }
    if (!d.isClassification() && d.numTargets() != net.outputSize()) {
      throw new IllegalArgumentException(given + ": " + d.numTargets() + " target columns, but the model (" + model
          + ") has " + net.outputSize() + " outputs");
    }
  }

  /** How the commands name their data in messages: "--dataset NAME" or "--data FILE". */
  static String given(String dataset, Path file) {
    return dataset != null ? "--dataset " + dataset : "--data " + file;
  }

  /** The Fashion-MNIST directory: -Dhesse.fashion-mnist.dir or Debian's. */
  static Path fashionMnistDir() {
    String p = System.getProperty(FASHION_MNIST_PROPERTY);
    return p == null || p.isBlank() ? FASHION_MNIST : Path.of(p);
  }

  static Dataset.Task taskOf(String loss) {
    return "mse".equals(loss) ? Dataset.Task.REGRESSION : Dataset.Task.CLASSIFICATION;
  }

}
