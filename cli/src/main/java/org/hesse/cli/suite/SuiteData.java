package org.hesse.cli.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.hesse.data.BundledDatasets;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.data.Split;

/**
 * The data of the suite's runs: the study's catalog (names), loading a data set, and one run's train/test split
 * with its caps and label noise. The rules, each in one place:
 * <ul>
 *   <li>split: stratified by class (classification) or uniform (regression), {@code test_fraction} of the rows to
 *   the test split, from the run's seed; then each split is capped by a seeded random subsample
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
    return BundledDatasets.names();
  }

  /** A catalog data set by name; a name the catalog lacks is refused listing it. */
  public static Dataset load(String name) throws IOException {
    if (!catalog().contains(name)) {
      throw new IllegalArgumentException("data set '" + name + "' is not in the study's catalog; expected one of "
          + String.join(", ", catalog()) + " (or {\"name\", \"file\", \"target\"} for a file of your own)");
    }
    return BundledDatasets.load(name);
  }

  /** A catalog data set's task, without loading it. */
  public static Dataset.Task task(String name) {
    return BundledDatasets.info(name).task();
  }

  /** A user's file (CSV with a header) with its target column; classification unless the target is numeric with many values. */
  public static Dataset loadFile(Path file, String target) throws IOException {
    return Csv.read(file, Dataset.Task.CLASSIFICATION, List.of(target));
  }

  /** One run's data: the (possibly noisy) training split, the clean test split, and the noise actually applied. */
  public record RunSplit(Dataset train, Dataset test, int noisyRows) {}

  public static RunSplit split(Dataset d, SuiteSpec.RunSettings s, double noise, long seed) {
    Split sp = d.isClassification() ? Split.stratified(d, s.testFraction(), seed) : Split.of(d, s.testFraction(), seed);
    Dataset train = subsample(sp.train(), s.maxTrainRows(), seed);
    Dataset test = subsample(sp.validation(), s.maxTestRows(), seed + 1);
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

  /** A seeded random subset of at most {@code max} rows, in their original order. */
  static Dataset subsample(Dataset d, int max, long seed) {
    if (d.size() <= max) return d;
    int[] idx = firstOfPermutation(d.size(), max, new SplittableRandom(seed ^ SUBSAMPLE_STREAM));
    Arrays.sort(idx);
    return d.rows(idx);
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
