package org.hesse.spark;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.data.LibSvm;
import org.hesse.nn.Network;

/**
 * A data set as an RDD of row batches, one batch per partition, targets in the network's layout. Files are split
 * by Spark's readers (text for CSV and LibSVM, Parquet's own); each partition's CSV or LibSVM lines are parsed by
 * Hesse's readers, so numbers, quoting and labels follow exactly the rules of a single-machine run.
 */
public final class SparkData {
  private SparkData() {}

  /** The format a path names: .parquet (file or directory), .svm/.libsvm, otherwise CSV. */
  public static JavaRDD<RowBatch> read(SparkSession spark, String path, List<String> targets, Network net) {
    String name = path.toLowerCase(Locale.ROOT);
    if (name.endsWith(".parquet") || name.endsWith(".parquet/")) return parquet(spark, path, targets, net);
    if (name.endsWith(".svm") || name.endsWith(".libsvm")) return libsvm(spark, path, net);
    return csv(spark, path, targets, net);
  }

  /** CSV with a header row (every line equal to it is skipped, as in a directory of part files). */
  public static JavaRDD<RowBatch> csv(SparkSession spark, String path, List<String> targets, Network net) {
    requireTargets(targets);
    JavaRDD<String> lines = spark.read().textFile(path).javaRDD();
    String header = first(lines, path);
    Dataset.Task task = taskOf(net);
    int in = net.inputSize();
    int out = net.outputSize();
    return lines.mapPartitionsWithIndex((p, it) -> {
      StringBuilder sb = new StringBuilder(header).append('\n');
      int rows = 0;
      while (it.hasNext()) {
        String line = it.next();
        if (line.equals(header) || line.equals("\uFEFF" + header)) continue;
        sb.append(line).append('\n');
        rows++;
      }
      if (rows == 0) return single(new RowBatch(0, new double[0], new double[0]));
      Dataset d = Csv.read(stream(sb), source(path, p), task, targets, null);
      return single(batch(d, in, out, path));
    }, true);
  }

  /** LibSVM; a classification's labels are numbered in sorted order of the distinct values, as on one machine. */
  public static JavaRDD<RowBatch> libsvm(SparkSession spark, String path, Network net) {
    JavaRDD<String> lines = spark.read().textFile(path).javaRDD();
    first(lines, path);
    int in = net.inputSize();
    int out = net.outputSize();
    // parsed as regression: raw label values; the numbering needs every partition's values
    JavaRDD<RowBatch> raw = lines.mapPartitionsWithIndex((p, it) -> {
      StringBuilder sb = new StringBuilder();
      int rows = 0;
      while (it.hasNext()) {
        sb.append(it.next()).append('\n');
        rows++;
      }
      if (rows == 0 || sb.toString().isBlank()) return single(new RowBatch(0, new double[0], new double[0]));
      Dataset d = LibSvm.read(stream(sb), source(path, p), Dataset.Task.REGRESSION, in);
      return single(new RowBatch(d.size(), d.x(), d.targets()));
    }, true);
    if (taskOf(net) == Dataset.Task.REGRESSION) {
      if (out != 1) {
        throw new IllegalArgumentException("--data " + path + ": a LibSVM file has one target but the model has " + out + " outputs");
      }
      return raw;
    }
    // two passes over the file (labels, then rows) rather than caching the parsed rows: the partitions' curvatures
    // are what stays in memory
    double[] sorted = raw.flatMap(b -> Arrays.stream(b.y()).boxed().iterator()).distinct().collect().stream()
        .mapToDouble(Double::doubleValue).sorted().toArray();
    if (sorted.length > out) {
      throw new IllegalArgumentException("the data have " + sorted.length + " classes but the model has " + out + " outputs");
    }
    Broadcast<double[]> labels = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(sorted);
    return raw.map(b -> {
      double[] y = new double[b.rows()];
      for (int i = 0; i < y.length; i++) y[i] = Arrays.binarySearch(labels.value(), b.y()[i]);
      return new RowBatch(b.rows(), b.x(), y);
    });
  }

  /**
   * Parquet: every column but the targets is a feature, in the file's column order, cast to double; a null or
   * non-finite value is refused.
   */
  public static JavaRDD<RowBatch> parquet(SparkSession spark, String path, List<String> targets, Network net) {
    requireTargets(targets);
    org.apache.spark.sql.Dataset<Row> df = spark.read().parquet(path);
    List<String> all = Arrays.asList(df.columns());
    for (String t : targets) {
      if (!all.contains(t)) throw new IllegalArgumentException("--target: column '" + t + "' not in " + path + "; columns: " + all);
    }
    List<String> features = new ArrayList<>(all);
    features.removeAll(targets);
    List<String> cols = new ArrayList<>(features);
    cols.addAll(targets);
    Column[] sel = cols.stream().map(c -> functions.col("`" + c + "`").cast("double")).toArray(Column[]::new);
    int d = features.size();
    int t = targets.size();
    int in = net.inputSize();
    int out = net.outputSize();
    if (d != in) {
      throw new IllegalArgumentException("the data have " + d + " feature columns but the model expects " + in + " inputs");
    }
    boolean classify = taskOf(net) == Dataset.Task.CLASSIFICATION;
    if (classify && t != 1) throw new IllegalArgumentException("--target: classification takes one label column, got " + targets);
    if (!classify && t != out) {
      throw new IllegalArgumentException("the data have " + t + " target columns but the model has " + out + " outputs");
    }
    return df.select(sel).javaRDD().mapPartitions(it -> {
      List<double[]> rows = new ArrayList<>();
      while (it.hasNext()) {
        Row r = it.next();
        double[] v = new double[d + t];
        for (int j = 0; j < v.length; j++) {
          if (r.isNullAt(j) || !Double.isFinite(r.getDouble(j))) {
            throw new IllegalArgumentException("Parquet " + path + ", column '" + cols.get(j) + "': expected a finite number, found "
                + (r.isNullAt(j) ? "null" : Double.toString(r.getDouble(j))));
          }
          v[j] = r.getDouble(j);
        }
        if (classify && (v[d] < 0 || v[d] != Math.rint(v[d]) || v[d] >= out)) {
          throw new IllegalArgumentException("Parquet " + path + ", column '" + targets.get(0)
              + "': expected a class index in 0.." + (out - 1) + ", found " + v[d]);
        }
        rows.add(v);
      }
      double[] x = new double[rows.size() * d];
      double[] y = new double[rows.size() * t];
      for (int i = 0; i < rows.size(); i++) {
        System.arraycopy(rows.get(i), 0, x, i * d, d);
        System.arraycopy(rows.get(i), d, y, i * t, t);
      }
      return single(new RowBatch(rows.size(), x, y));
    });
  }

  /**
   * Rows already in memory, split into partitions of the given sizes (in order): for tests and benchmarks.
   * x is rows × input, y rows × target width.
   */
  public static JavaRDD<RowBatch> parallelize(JavaSparkContext jsc, double[] x, double[] y, int inputWidth, int... partitionRows) {
    int n = 0;
    for (int r : partitionRows) n += r;
    int tw = y.length / Math.max(1, n);
    if ((long) n * inputWidth != x.length || (long) n * tw != y.length) {
      throw new IllegalArgumentException("partitionRows: " + n + " rows in total, but x has " + x.length + " values of width "
          + inputWidth + " and y " + y.length);
    }
    List<RowBatch> parts = new ArrayList<>();
    int at = 0;
    for (int r : partitionRows) {
      parts.add(new RowBatch(r, Arrays.copyOfRange(x, at * inputWidth, (at + r) * inputWidth),
          Arrays.copyOfRange(y, at * tw, (at + r) * tw)));
      at += r;
    }
    return jsc.parallelize(parts, parts.size());
  }

  private static RowBatch batch(Dataset d, int in, int out, String path) {
    if (d.numFeatures() != in) {
      throw new IllegalArgumentException("the data have " + d.numFeatures() + " feature columns but the model expects " + in + " inputs");
    }
    if (d.isClassification()) {
      int[] l = d.labels();
      double[] y = new double[l.length];
      for (int i = 0; i < l.length; i++) {
        if (l[i] >= out) {
          throw new IllegalArgumentException("--data " + path + ": class index " + l[i] + " but the model has " + out + " outputs");
        }
        y[i] = l[i];
      }
      return new RowBatch(d.size(), d.x(), y);
    }
    if (d.numTargets() != out) {
      throw new IllegalArgumentException("the data have " + d.numTargets() + " target columns but the model has " + out + " outputs");
    }
    return new RowBatch(d.size(), d.x(), d.targets());
  }

  static Dataset.Task taskOf(Network net) {
    return "mse".equals(net.loss().name()) ? Dataset.Task.REGRESSION : Dataset.Task.CLASSIFICATION;
  }

  private static void requireTargets(List<String> targets) {
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("--target is required with a CSV or Parquet file: the target column(s), e.g. label or y0,y1");
    }
  }

  private static String first(JavaRDD<String> lines, String path) {
    List<String> head = lines.take(1);
    if (head.isEmpty()) throw new IllegalArgumentException("--data " + path + ": empty, expected rows");
    String h = head.get(0);
    return h.startsWith("\uFEFF") ? h.substring(1) : h;
  }

  private static String source(String path, int partition) {
    return path + " (partition " + partition + ", lines counted from its start)";
  }

  private static ByteArrayInputStream stream(StringBuilder sb) {
    return new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static Iterator<RowBatch> single(RowBatch b) {
    return List.of(b).iterator();
  }

}
