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

  /**
   * CSV with a header row (every line equal to it is skipped, as in a directory of part files). A classification's
   * classes are the distinct labels of the whole file, numbered by Csv's rule ({@link Csv#classOrder}): a first pass
   * collects them, so that every partition numbers its rows alike. Error messages name lines of the file when
   * {@code path} is one file; for a directory or glob, lines counted from the partition's start.
   */
  public static JavaRDD<RowBatch> csv(SparkSession spark, String path, List<String> targets, Network net) {
    requireTargets(targets);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // the RDD reader: its partitions are a file's splits in order, so counting lines gives each one's first line
    JavaRDD<String> lines = jsc.textFile(path);
    String header = first(lines, path);
    Dataset.Task task = taskOf(net);
    int in = net.inputSize();
    int out = net.outputSize();
    Broadcast<int[]> starts = jsc.broadcast(firstLines(spark, lines, path));
    List<String> allLabels;
    if (task == Dataset.Task.CLASSIFICATION) {
      // two passes over the file (labels, then rows) rather than caching the parsed rows, as for LibSVM
      allLabels = new ArrayList<>(lines.mapPartitionsWithIndex((p, it) -> {
        StringBuilder sb = partText(header, it);
        if (sb == null) return java.util.Collections.<String>emptyIterator();
        return Csv.labels(stream(sb), source(path, p, starts.value()), targets.get(0), firstLine(p, starts.value())).iterator();
      }, true).distinct().collect());
      int classes = Csv.classOrder(allLabels).size();
      if (classes > out) {
        throw new IllegalArgumentException("the data have " + classes + " classes but the model has " + out + " outputs");
      }
    } else {
      allLabels = null;
    }
    return lines.mapPartitionsWithIndex((p, it) -> {
      StringBuilder sb = partText(header, it);
      if (sb == null) return single(new RowBatch(0, new double[0], new double[0]));
      Dataset d = Csv.readPart(stream(sb), source(path, p, starts.value()), task, targets, allLabels,
          firstLine(p, starts.value()));
      return single(batch(d, in, out, path));
    }, true);
  }

  /**
   * The header, then the partition's lines, a copy of the header blanked (Csv skips blank lines, and the line
   * numbers stay those of the partition); null when the partition holds no line but headers and blanks.
   */
  private static StringBuilder partText(String header, Iterator<String> it) {
    StringBuilder sb = new StringBuilder(header).append('\n');
    boolean rows = false;
    while (it.hasNext()) {
      String line = it.next();
      if (line.equals(header) || line.equals("\uFEFF" + header)) {
        sb.append('\n');
      } else {
        sb.append(line).append('\n');
        rows |= !line.isBlank();
      }
    }
    return rows ? sb : null;
  }

  /**
   * For one file, the file's line number of each partition's first line (an extra pass counting lines); null for a
   * directory or glob, whose partitions are not one sequence of lines.
   */
  private static int[] firstLines(SparkSession spark, JavaRDD<String> lines, String path) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
      if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).getFileStatus(p).isFile()) return null;
    } catch (java.io.IOException e) {
      return null;  // a glob, or unreadable: the read itself reports the latter
    }
    List<Long> counts = lines.mapPartitions(it -> {
      long c = 0;
      for (; it.hasNext(); it.next()) c++;
      return List.of(c).iterator();
    }).collect();  // in partition order
    int[] first = new int[counts.size()];
    long line = 1;
    for (int p = 0; p < first.length; p++) {
      first[p] = (int) Math.min(Integer.MAX_VALUE, line);
      line += counts.get(p);
    }
    return first;
  }

  private static int firstLine(int partition, int[] starts) {
    return starts == null ? 1 : starts[partition];
  }

  private static String source(String path, int partition, int[] starts) {
    return starts == null ? path + " (partition " + partition + ", lines counted from its start)" : path;
  }

  /**
   * LibSVM; a classification's labels are class indices or numbered in sorted order of the distinct values, by the
   * rule of one machine ({@link Dataset#labelsAreClassIndices}).
   */
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
    boolean indices = Dataset.labelsAreClassIndices(sorted, out);
    return raw.map(b -> {
      double[] y = new double[b.rows()];
      for (int i = 0; i < y.length; i++) y[i] = indices ? b.y()[i] : Arrays.binarySearch(labels.value(), b.y()[i]);
      return new RowBatch(b.rows(), b.x(), y);
    });
  }

  /**
   * Parquet: every column but the targets is a feature, in the file's column order, cast to double; a null or
   * non-finite value is refused. A classification's label column is numeric (a string column is refused: the
   * label names of a CSV file have no Parquet counterpart here), and its classes are its distinct values in
   * ascending order, numbered 0, 1, ... (a first pass collects them), unless they are the model's class indices
   * ({@link Dataset#labelsAreClassIndices}): the rule of one machine.
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
    Broadcast<double[]> classes = null;
    if (classify) {
      String label = targets.get(0);
      if (df.schema().apply(label).dataType() instanceof org.apache.spark.sql.types.StringType) {
        throw new IllegalArgumentException("Parquet " + path + ", column '" + label + "': expected numeric class labels, "
            + "found strings (give the classes as numbers, or use a CSV file)");
      }
      List<Row> distinct = df.select(functions.col("`" + label + "`").cast("double")).distinct().collectAsList();
      double[] values = new double[distinct.size()];
      for (int i = 0; i < values.length; i++) {
        Row r = distinct.get(i);
        if (r.isNullAt(0) || !Double.isFinite(r.getDouble(0))) {
          throw new IllegalArgumentException("Parquet " + path + ", column '" + label + "': expected a finite class label, found "
              + (r.isNullAt(0) ? "null" : Double.toString(r.getDouble(0))));
        }
        values[i] = r.getDouble(0) + 0.0;  // -0 and 0 are one class
      }
      values = Arrays.stream(values).distinct().sorted().toArray();
      if (values.length > out) {
        throw new IllegalArgumentException("the data have " + values.length + " classes but the model has " + out + " outputs");
      }
      classes = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(values);
    }
    Broadcast<double[]> classValues = classes;
    boolean indices = classify && Dataset.labelsAreClassIndices(classes.value(), out);
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
        if (classify) {
          int c = Arrays.binarySearch(classValues.value(), v[d] + 0.0);
          if (c < 0) {
            throw new IllegalArgumentException("Parquet " + path + ", column '" + targets.get(0) + "': class label " + v[d]
                + " was not seen by the first pass (has the data changed?)");
          }
          if (!indices) v[d] = c;
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

  /**
   * The rows in {@code partitions} partitions, in their order: of the m batches, batch i goes to partition
   * ⌊i·P/m⌋. Unlike {@code repartition}'s round robin this keeps every row's index in the data set, from which the
   * per-sample trace draws the row's probes ({@link DistributedCurvature#layerTrace}). Batches move whole (a
   * partition read as one batch stays one, so more partitions than batches leaves some empty).
   */
  public static JavaRDD<RowBatch> repartitionInOrder(JavaRDD<RowBatch> rows, int partitions) {
    if (partitions < 1) throw new IllegalArgumentException("partitions: expected >= 1, got " + partitions);
    long batches = rows.count();
    return rows.zipWithIndex().mapToPair(t -> new scala.Tuple2<>(t._2(), t._1()))
        .repartitionAndSortWithinPartitions(new InOrder(partitions, batches)).values();
  }

  /** Batch i of m to partition ⌊i·P/m⌋: contiguous ranges, in order. */
  private static final class InOrder extends org.apache.spark.Partitioner {
    private final int partitions;
    private final long batches;

    InOrder(int partitions, long batches) {
      this.partitions = partitions;
      this.batches = batches;
    }

    @Override public int numPartitions() {
      return partitions;
    }

    @Override public int getPartition(Object key) {
      return (int) ((Long) key * partitions / Math.max(1, batches));
    }
  }

  private static RowBatch batch(Dataset d, int in, int out, String path) {
    if (d.numFeatures() != in) {
      throw new IllegalArgumentException("the data have " + d.numFeatures() + " feature columns but the model expects " + in + " inputs");
    }
    if (d.isClassification()) {
      d = d.withNumericLabelsAsIndices(out, "--data " + path);  // the local rule; d's classes are the whole file's
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
