package org.hesse.data;

import java.util.List;
import java.util.Objects;

/**
 * An in-memory data set: features {@code x}, row-major {@code n × d} (sample {@code i}'s feature {@code j} at
 * {@code x[i*d + j]}), and targets, either class indices {@code 0..numClasses-1} (classification) or real values
 * row-major {@code n × t} (regression). Immutable by convention: the accessors return the backing arrays, not
 * copies, so that training code reads them without copying; do not modify them.
 */
public final class Dataset {

    public enum Task { CLASSIFICATION, REGRESSION }

    private final Task task;
    private final int n;
    private final int d;
    private final double[] x;
    private final int[] labels;      // classification, else null
    private final double[] targets;  // regression, else null
    private final int t;             // target columns: 1 for classification
    private final int numClasses;    // 0 for regression
    private final List<String> featureNames;
    private final List<String> targetNames;
    private final List<String> classNames;

    private Dataset(Task task, int n, int d, double[] x, int[] labels, double[] targets, int t, int numClasses,
                    List<String> featureNames, List<String> targetNames, List<String> classNames) {
        this.task = task;
        this.n = n;
        this.d = d;
        this.x = x;
        this.labels = labels;
        this.targets = targets;
        this.t = t;
        this.numClasses = numClasses;
        this.featureNames = featureNames;
        this.targetNames = targetNames;
        this.classNames = classNames;
    }

    /**
     * A classification data set. {@code featureNames} may be null (then {@code x0..}); {@code classNames} may be null
     * (then {@code "0".."C-1"}), else it must have {@code numClasses} entries. Labels must lie in {@code [0, numClasses)}.
     */
    public static Dataset classification(double[] x, int n, int d, int[] labels, int numClasses,
                                         List<String> featureNames, String targetName, List<String> classNames) {
        checkFeatures(x, n, d);
        Objects.requireNonNull(labels, "labels");
        if (labels.length != n) {
            throw new IllegalArgumentException("labels: expected " + n + " entries (one per row), found " + labels.length);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses: expected at least 1, found " + numClasses);
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("labels[" + i + "]: expected a class index in [0, " + numClasses
                        + "), found " + labels[i]);
            }
        }
        List<String> cn = classNames == null ? defaultNames("", numClasses) : List.copyOf(classNames);
        if (cn.size() != numClasses) {
            throw new IllegalArgumentException("classNames: expected " + numClasses + " names, found " + cn.size());
        }
        return new Dataset(Task.CLASSIFICATION, n, d, x, labels, null, 1, numClasses, names(featureNames, d, "x", "featureNames"),
                List.of(targetName == null ? "label" : targetName), cn);
    }

    /** A regression data set with {@code t} target columns, {@code y} row-major {@code n × t}. */
    public static Dataset regression(double[] x, int n, int d, double[] y, int t,
                                     List<String> featureNames, List<String> targetNames) {
        checkFeatures(x, n, d);
        Objects.requireNonNull(y, "y");
        if (t < 1) {
            throw new IllegalArgumentException("t: expected at least 1 target column, found " + t);
        }
        if ((long) n * t != y.length) {
            throw new IllegalArgumentException("y: expected " + n + " × " + t + " = " + (long) n * t + " values, found " + y.length);
        }
        return new Dataset(Task.REGRESSION, n, d, x, null, y, t, 0, names(featureNames, d, "x", "featureNames"),
                names(targetNames, t, "y", "targetNames"), List.of());
    }

    private static void checkFeatures(double[] x, int n, int d) {
        Objects.requireNonNull(x, "x");
        if (n < 0 || d < 1) {
            throw new IllegalArgumentException("n, d: expected n >= 0 and d >= 1, found n=" + n + ", d=" + d);
        }
        if ((long) n * d != x.length) {
            throw new IllegalArgumentException("x: expected " + n + " × " + d + " = " + (long) n * d + " values, found " + x.length);
        }
    }

    private static List<String> names(List<String> given, int count, String prefix, String arg) {
        if (given == null) {
            return defaultNames(prefix, count);
        }
        if (given.size() != count) {
            throw new IllegalArgumentException(arg + ": expected " + count + " names, found " + given.size());
        }
        return List.copyOf(given);
    }

    /**
     * {@code prefix0 .. prefix(count-1)}, computed on access: a wide sparse file (LibSVM index 10^7) must not
     * cost a string per column on top of its data.
     */
    static List<String> defaultNames(String prefix, int count) {
        return new java.util.AbstractList<>() {
            @Override
            public String get(int i) {
                Objects.checkIndex(i, count);
                return prefix + i;
            }

            @Override
            public int size() {
                return count;
            }
        };
    }

    public Task task() {
        return task;
    }

    public boolean isClassification() {
        return task == Task.CLASSIFICATION;
    }

    /** Number of samples (rows). */
    public int size() {
        return n;
    }

    /** Number of features per sample. */
    public int numFeatures() {
        return d;
    }

    /** Target width: the number of regression outputs, or 1 (the class index) for classification. */
    public int numTargets() {
        return t;
    }

    /** Number of classes; 0 for regression. */
    public int numClasses() {
        return numClasses;
    }

    /** Features, row-major {@code size() × numFeatures()}; the backing array. */
    public double[] x() {
        return x;
    }

    /** Class indices; the backing array. Fails for a regression data set. */
    public int[] labels() {
        if (labels == null) {
            throw new IllegalStateException("labels: this data set is for regression; use targets()");
        }
        return labels;
    }

    /** Regression targets, row-major {@code size() × numTargets()}; the backing array. Fails for classification. */
    public double[] targets() {
        if (targets == null) {
            throw new IllegalStateException("targets: this data set is for classification; use labels()");
        }
        return targets;
    }

    public List<String> featureNames() {
        return featureNames;
    }

    /** Names of the target column(s) as in the source file, e.g. {@code [label]} or {@code [y0, y1]}. */
    public List<String> targetNames() {
        return targetNames;
    }

    /** Names of the classes, index {@code c} for label {@code c}; empty for regression. */
    public List<String> classNames() {
        return classNames;
    }

    /** Samples per class, index {@code c} for label {@code c}. */
    public int[] classCounts() {
        int[] c = new int[numClasses];
        for (int l : labels()) {
            c[l]++;
        }
        return c;
    }

    /** The rows {@code idx} (in that order, repeats allowed) as a new data set. */
    public Dataset rows(int[] idx) {
        Objects.requireNonNull(idx, "idx");
        double[] nx = new double[idx.length * d];
        for (int k = 0; k < idx.length; k++) {
            int i = idx[k];
            if (i < 0 || i >= n) {
                throw new IllegalArgumentException("idx[" + k + "]: expected a row in [0, " + n + "), found " + i);
            }
            System.arraycopy(x, i * d, nx, k * d, d);
        }
        if (isClassification()) {
            int[] nl = new int[idx.length];
            for (int k = 0; k < idx.length; k++) {
                nl[k] = labels[idx[k]];
            }
            return new Dataset(task, idx.length, d, nx, nl, null, 1, numClasses, featureNames, targetNames, classNames);
        }
        double[] ny = new double[idx.length * t];
        for (int k = 0; k < idx.length; k++) {
            System.arraycopy(targets, idx[k] * t, ny, k * t, t);
        }
        return new Dataset(task, idx.length, d, nx, null, ny, t, 0, featureNames, targetNames, classNames);
    }

    /**
     * The same samples with the classes of another run: class {@code c} here becomes the index of its name in
     * {@code names} (e.g. the class names a model was trained with, so that a test file lacking a class keeps the
     * training indices). A class absent from {@code names} is refused naming {@code source}.
     */
    public Dataset withClassNames(List<String> names, String source) {
        Objects.requireNonNull(names, "names");
        int[] to = new int[numClasses];
        for (int c = 0; c < numClasses; c++) {
            to[c] = names.indexOf(classNames().get(c));
            if (to[c] < 0) {
                throw new org.hesse.io.InputException(source + ": class label '"
                        + org.hesse.io.InputException.excerpt(classNames().get(c)) + "' is not one of the "
                        + names.size() + " classes " + org.hesse.io.InputException.excerpt(names.toString(), 200));
            }
        }
        int[] nl = new int[n];
        for (int i = 0; i < n; i++) {
            nl[i] = to[labels()[i]];
        }
        return new Dataset(task, n, d, x, nl, null, 1, names.size(), featureNames, targetNames, List.copyOf(names));
    }

    /**
     * The same samples read as a given model reads them ({@link #labelsAreClassIndices}): labels that are class
     * indices of the model keep their numbers, so a file lacking a class keeps the others' indices (read alone,
     * {@code {0, 2}} are numbered 0, 1); other labels keep the reading's numbering.
     */
    public Dataset withNumericLabelsAsIndices(int outputs, String source) {
        if (!labelsAreClassIndices(classNames(), outputs)) return this;
        List<String> indices = new java.util.ArrayList<>(outputs);
        for (int c = 0; c < outputs; c++) indices.add(Integer.toString(c));
        return withClassNames(indices, source);
    }

    /**
     * The rule by which a model that comes without its training run's classes reads labels: when every label is an
     * integer in {@code 0..outputs-1} the labels are the class indices, as a PyTorch cross-entropy target is;
     * otherwise (names, {@code -1/+1}, labels from 1) the distinct labels numbered in ascending order, as read.
     */
    public static boolean labelsAreClassIndices(List<String> labels, int outputs) {
        double[] v = new double[labels.size()];
        for (int i = 0; i < v.length; i++) {
            try {
                v[i] = Double.parseDouble(labels.get(i));
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return labelsAreClassIndices(v, outputs);
    }

    /** {@link #labelsAreClassIndices(List, int)} for numeric labels. */
    public static boolean labelsAreClassIndices(double[] labels, int outputs) {
        for (double v : labels) {
            if (!(v >= 0 && v < outputs && v == Math.rint(v))) return false;
        }
        return true;
    }

    /** The same targets and names with other features of the same shape (e.g. standardised). */
    public Dataset withFeatures(double[] newX) {
        Objects.requireNonNull(newX, "newX");
        if (newX.length != x.length) {
            throw new IllegalArgumentException("newX: expected " + n + " × " + d + " = " + x.length + " values, found " + newX.length);
        }
        return new Dataset(task, n, d, newX, labels, targets, t, numClasses, featureNames, targetNames, classNames);
    }

    @Override
    public String toString() {
        return "Dataset[" + task + ", " + n + " × " + d + (isClassification() ? ", " + numClasses + " classes" : ", " + t + " targets") + "]";
    }
}
