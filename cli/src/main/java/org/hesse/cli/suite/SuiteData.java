package org.hesse.cli.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.hesse.data.Dataset;
import org.hesse.data.Encoder;
import org.hesse.data.Split;
import org.hesse.data.Table;
import org.hesse.data.catalog.StudyDatasets;

/**
 * The data of the suite's runs: the study's catalog (names), loading a data set, and one run's train/test split
 * with its caps and label noise. The rules, each in one place:
 * <ul>
 *   <li>split: stratified by class (classification) or uniform (regression), {@code test_fraction} of the rows to
 *   the test split, from the run's seed — or, for a user's data set with a {@code test_file}, all rows of the data
 *   file to training and all rows of the test file to test; then each split is capped by a seeded random subsample
 *   ({@code max_train_rows}, {@code max_test_rows}); test rows of a class the capped training split lacks are
 *   dropped (the model has no output for it);</li>
 *   <li>label noise p (classification): exactly round(p · n_train) training rows, drawn without replacement, get a
 *   uniformly drawn <em>different</em> class, so a fraction p of the training labels is wrong; the test labels
 *   stay clean, so test error measures generalisation to the true labels (ground-truth memorisation).</li>
 * </ul>
 */
public final class SuiteData {
  private SuiteData() {}

  /** Salts of the suite's random streams, so they never coincide with analyze's (split, init, shuffle, probes). */
  static final long SUBSAMPLE_STREAM = 0x5DEECE66DL;
  static final long NOISE_STREAM = 0xA5A5A5A5DEADBEEFL;

  /** The default suite's data sets, in order. */
  public static List<String> catalog() {
    return StudyDatasets.names();
  }

  /**
   * A data set before encoding, and all its rows encoded (for the split's row indices and labels); {@code test} is a
   * separate test file's table before encoding, or null when the runs split the data themselves.
   */
  public record Source(StudyDatasets.Raw raw, Dataset all, StudyDatasets.Raw test) {}

  /** A catalog data set by name; a name the catalog lacks is refused listing it. */
  public static Source load(String name) throws IOException {
    if (!catalog().contains(name)) {
      throw new IllegalArgumentException("data set '" + name + "' is not in the study's catalog; expected one of "
          + String.join(", ", catalog()) + " (or {\"name\", \"file\", \"target\"} for a file of your own)");
    }
    StudyDatasets.Raw raw = StudyDatasets.raw(name);
    return new Source(raw, raw.encodeAll(), null);
  }

  /** A catalog data set's task, without loading it. */
  public static Dataset.Task task(String name) {
    return StudyDatasets.info(name).task();
  }

  /**
   * A user's file (CSV or ARFF, by extension) with its target column, read and encoded as the catalog's data sets
   * (task from the target: see {@link StudyDatasets#rawFile(Path, String)}).
   */
  public static Source loadFile(Path file, String target, Path testFile) throws IOException {
    StudyDatasets.Raw raw = StudyDatasets.rawFile(file, target);
    Dataset all = raw.encodeAll();
    if (testFile == null) return new Source(raw, all, null);
    StudyDatasets.Raw test = StudyDatasets.rawFile(testFile, target, raw.task());
    // Checked now, before anything is written: a category or class label the data file never has is refused,
    // naming the test file, its row, the column and the value (Encoder.apply).
    raw.fit(allRows(all.size())).apply(test.table());
    return new Source(raw, all, test);
  }

  private static int[] allRows(int n) {
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) rows[i] = i;
    return rows;
  }

  /** One run's data: the (possibly noisy) training split, the clean test split, and the noise actually applied. */
  public record RunSplit(Dataset train, Dataset test, int noisyRows) {}

  /**
   * The split of one run: row indices from the encoded whole, then both parts encoded by the encoding fitted on the
   * training rows alone ({@link StudyDatasets.Raw#encode}: one-hot levels and imputation means of the training rows).
   */
  public static RunSplit split(Source src, SuiteSpec.RunSettings s, double noise, long seed) {
    Dataset d = src.all();
    Dataset train;
    Dataset test;
    if (src.test() == null) {
      Split sp = d.isClassification() ? Split.stratified(d, s.testFraction(), seed) : Split.of(d, s.testFraction(), seed);
      int[] trainRows = subsample(sp.trainIndex(), s.maxTrainRows(), seed);
      int[] testRows = subsample(sp.validationIndex(), s.maxTestRows(), seed + 1);
      StudyDatasets.Encoded enc = src.raw().encode(trainRows, testRows);
      train = enc.train();
      test = enc.test();
    } else {
      int[] trainRows = subsample(allRows(d.size()), s.maxTrainRows(), seed);
      Encoder enc = src.raw().fit(trainRows);
      train = enc.apply(src.raw().table().rows(trainRows));
      Table testTable = src.test().table();
      test = enc.apply(testTable.rows(subsample(allRows(testTable.rows()), s.maxTestRows(), seed + 1)));
    }
    if (train.size() < 2 || test.size() < 1) {
      throw new IllegalArgumentException("data set of " + d.size() + " rows: too few for a train/test split (" + train.size()
          + " train, " + test.size() + " test rows)");
    }
    if (!d.isClassification()) return new RunSplit(train, test, 0);
    int[] counts = train.classCounts();
    int kept = 0;
    int[] keep = new int[test.size()];
    for (int i = 0; i < test.size(); i++) if (counts[test.labels()[i]] > 0) keep[kept++] = i;
    if (kept < test.size()) test = test.rows(Arrays.copyOf(keep, kept));
    if (noise == 0) return new RunSplit(train, test, 0);
    int[] labels = train.labels().clone();
    int noisy = (int) Math.round(noise * labels.length);
    int[] rows = firstOfPermutation(labels.length, noisy, new SplittableRandom(seed ^ NOISE_STREAM));
    SplittableRandom r = new SplittableRandom((seed ^ NOISE_STREAM) + 1);
    int c = train.numClasses();
    for (int i : rows) {
      int other = r.nextInt(c - 1);
      labels[i] = other >= labels[i] ? other + 1 : other;
    }
    Dataset noisyTrain = Dataset.classification(train.x(), train.size(), train.numFeatures(), labels, c,
        train.featureNames(), train.targetNames().get(0), train.classNames());
    return new RunSplit(noisyTrain, test, noisy);
  }

  /** A seeded random subset of at most {@code max} of the rows, in ascending order. */
  static int[] subsample(int[] rows, int max, long seed) {
    int[] sorted = rows.clone();
    Arrays.sort(sorted);
    if (sorted.length <= max) return sorted;
    int[] pick = firstOfPermutation(sorted.length, max, new SplittableRandom(seed ^ SUBSAMPLE_STREAM));
    int[] out = new int[max];
    for (int i = 0; i < max; i++) out[i] = sorted[pick[i]];
    Arrays.sort(out);
    return out;
  }

  /** k distinct indices of [0, n) by a partial Fisher–Yates shuffle. */
  static int[] firstOfPermutation(int n, int k, SplittableRandom r) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = 0; i < k; i++) {
      int j = i + r.nextInt(n - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return Arrays.copyOf(idx, k);
  }

  /**
   * The capacity rule: an MLP of {@code hidden} hidden layers of equal width w, sized so that its parameter count
   * is closest to {@code ratio × nTrain} (parameters per training sample); w ≥ {@value #MIN_WIDTH}, so on wide data
   * the smallest class may exceed its target ratio (its actual ratio is recorded with the run).
   */
  public static int width(int features, int outputs, int hidden, double ratio, int nTrain) {
    double target = ratio * nTrain;
    int best = MIN_WIDTH;
    for (int w = MIN_WIDTH; w <= MAX_WIDTH; w++) {
      if (Math.abs(params(features, outputs, hidden, w) - target) < Math.abs(params(features, outputs, hidden, best) - target)) best = w;
      if (params(features, outputs, hidden, w) > target) break;
    }
    return best;
  }

  static final int MIN_WIDTH = 2;
  static final int MAX_WIDTH = 4096;

  /** Parameters of the MLP: (d+1)w + (hidden−1)(w+1)w + (w+1)k. */
  public static long params(int features, int outputs, int hidden, int w) {
    return (long) (features + 1) * w + (long) (hidden - 1) * (w + 1) * w + (long) (w + 1) * outputs;
  }

  static List<String> names(List<SuiteSpec.DatasetRef> refs) {
    List<String> out = new ArrayList<>();
    for (SuiteSpec.DatasetRef r : refs) out.add(r.name());
    return out;
  }
}
