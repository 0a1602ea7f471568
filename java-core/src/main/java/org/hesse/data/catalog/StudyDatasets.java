package org.hesse.data.catalog;

import org.hesse.data.BundledDatasets;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.data.Encoder;
import org.hesse.data.LibSvm;
import org.hesse.data.Table;
import org.hesse.io.InputException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.SoftReference;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The catalog of real data sets of the layer-wise Hessian study, all readable offline: permissively licensed ones
 * are resources of this jar (NOTICE), GPL-packaged ones are extracted from Debian packages into a cache at first use
 * ({@link DebianCache}). {@code docs/datasets.md} lists them with their sizes, sources and licences.
 *
 * <p>{@link #load} gives a data set ready to train, encoded by {@link Encoder} fitted on all its rows. For a
 * train/test study, fit the encoder on the training rows only:
 * <pre>{@code
 * StudyDatasets.Raw raw = StudyDatasets.raw("Soybean");
 * Split s = Split.stratified(StudyDatasets.load("Soybean"), 0.2, seed);  // only the row indices are used
 * StudyDatasets.Encoded e = raw.encode(s.trainIndex(), s.validationIndex());
 * // e.train(), e.test(): encoded with one-hot levels and imputation means of the training rows
 * }</pre>
 * {@link #load} and {@link Raw#table} keep the file's row order, so indices of one are rows of the other.
 */
public final class StudyDatasets {

    /** One catalog entry: its name, task, where the file comes from, the licence it is distributed under, whom to cite. */
    public record StudyDataset(String name, Dataset.Task task, String source, String licence, String citation) {
    }

    /**
     * The documented size of a data set: {@code rows} × {@code features} input columns before encoding (the target
     * excluded; a categorical column counts once), {@code classes} (0 for regression).
     */
    public record Shape(int rows, int features, int classes) {
    }

    /**
     * A data set before encoding: its table, target column and task. {@link #fit} fits the encoding on some rows,
     * {@link #encode} encodes a training and a test part with the encoding of the training part.
     */
    public record Raw(String name, Table table, String target, Dataset.Task task) {
        /** The encoder fitted on rows {@code trainRows} of the table. */
        public Encoder fit(int[] trainRows) {
            return Encoder.fit(table.rows(trainRows), target, task);
        }

        /** Rows {@code trainRows} and {@code testRows}, both encoded as fitted on the training rows. */
        public Encoded encode(int[] trainRows, int[] testRows) {
            Encoder enc = fit(trainRows);
            return new Encoded(enc.apply(table.rows(trainRows)), enc.apply(table.rows(testRows)), enc);
        }

        /** All rows, encoded as fitted on all rows ({@link StudyDatasets#load}). */
        public Dataset encodeAll() {
            return Encoder.encode(table, target, task);
        }
    }

    /** A training and a test part encoded by {@code encoder}, fitted on the training part. */
    public record Encoded(Dataset train, Dataset test, Encoder encoder) {
    }

    @FunctionalInterface
    interface Loader {
        Table load() throws IOException;
    }

    private record Entry(StudyDataset info, String target, Shape shape, Loader loader) {
    }

    private static final String CC_BY = "CC BY 4.0 (UCI)";
    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();
    private static final Map<String, SoftReference<Raw>> RAW_CACHE = new ConcurrentHashMap<>();

    static {
        // --- scikit-learn's copies, bundled with java-core (org/hesse/data, BSD-3-Clause) ---
        bundled("iris", new Shape(150, 4, 3), "R.A. Fisher (1936), The use of multiple measurements in taxonomic problems");
        bundled("wine", new Shape(178, 13, 3), "M. Forina et al., PARVUS; UCI Wine");
        bundled("breast_cancer", new Shape(569, 30, 2), "W.H. Wolberg, W.N. Street, O.L. Mangasarian, UCI Breast Cancer Wisconsin (Diagnostic)");
        bundled("digits", new Shape(1797, 64, 10), "E. Alpaydin, C. Kaynak, UCI Optical Recognition of Handwritten Digits");
        bundled("diabetes", new Shape(442, 10, 0), "B. Efron, T. Hastie, I. Johnstone, R. Tibshirani (2004), Least Angle Regression");
        // --- other permissive files, committed under org/hesse/data/catalog ---
        add("penguins", Dataset.Task.CLASSIFICATION, "species", new Shape(344, 7, 3),
                "palmerpenguins 0.1.1 extdata/penguins.csv (Debian r-cran-palmerpenguins)", "CC0",
                "A.M. Horst, A.P. Hill, K.B. Gorman (2020), palmerpenguins; K.B. Gorman, T.D. Williams, W.R. Fraser (2014), PLoS ONE 9(3) e90081",
                () -> csvResource("penguins.csv.gz"));
        add("heart_scale", Dataset.Task.CLASSIFICATION, "label", new Shape(270, 13, 2),
                "LIBLINEAR 2.3.0 examples/heart_scale (Debian liblinear-tools), Statlog Heart scaled to [-1, 1]", "BSD-3-Clause",
                "UCI Statlog (Heart); R.-E. Fan et al. (2008), LIBLINEAR, JMLR 9",
                () -> {
                    try (InputStream in = resource("heart_scale.gz")) {
                        return Table.of(LibSvm.read(in, "catalog:heart_scale.gz", Dataset.Task.CLASSIFICATION, 13), "catalog:heart_scale.gz");
                    }
                });
        add("randhie", Dataset.Task.REGRESSION, "mdvis", new Shape(20190, 9, 0),
                "statsmodels 0.13.5 datasets/randhie/randhie.csv (Debian python3-statsmodels)", "public domain",
                "RAND Health Insurance Experiment; A.C. Cameron, P.K. Trivedi (2005), Microeconometrics: Methods and Applications",
                () -> csvResource("randhie.csv.gz"));
    }

    private StudyDatasets() {
    }

    private static void bundled(String name, Shape shape, String citation) {
        BundledDatasets.Info b = BundledDatasets.info(name);
        add(name, b.task(), b.target(), shape, b.source(), "BSD-3-Clause (scikit-learn); data " + CC_BY, citation,
                () -> Table.of(BundledDatasets.load(name), "bundled:" + b.file()));
    }

    static void add(String name, Dataset.Task task, String target, Shape shape, String source, String licence,
                    String citation, Loader loader) {
        if (ENTRIES.put(name, new Entry(new StudyDataset(name, task, source, licence, citation), target, shape, loader)) != null) {
            throw new IllegalStateException("catalog entry '" + name + "' twice");
        }
    }

    /** Every catalog data set, in catalog order (stable across versions: new ones are appended). */
    public static List<StudyDataset> all() {
        return ENTRIES.values().stream().map(Entry::info).toList();
    }

    /** The catalog names, in catalog order. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** The entry {@code name}; an {@link InputException} listing the known names if there is none. */
    public static StudyDataset info(String name) {
        return entry(name).info();
    }

    /** The documented size of {@code name} (docs/datasets.md), checked by the catalog test. */
    public static Shape shape(String name) {
        return entry(name).shape();
    }

    private static Entry entry(String name) {
        Objects.requireNonNull(name, "name");
        Entry e = ENTRIES.get(name);
        if (e == null) {
            throw new InputException("unknown study data set '" + InputException.excerpt(name) + "'; expected one of "
                    + String.join(", ", ENTRIES.keySet()));
        }
        return e;
    }

    /**
     * Data set {@code name} encoded for training on all its rows (features numeric: one-hot, imputed; see
     * {@link Encoder}). A GPL-packaged one is extracted from its Debian package at first use; if that package cannot
     * be had, a {@link DebianCache.Unavailable} (an IOException) says what to do.
     */
    public static Dataset load(String name) throws IOException {
        return raw(name).encodeAll();
    }

    /** Data set {@code name} before encoding (parsed once per JVM while memory allows). */
    public static Raw raw(String name) throws IOException {
        Entry e = entry(name);
        SoftReference<Raw> ref = RAW_CACHE.get(name);
        Raw r = ref == null ? null : ref.get();
        if (r == null) {
            Table t = e.loader().load();
            r = new Raw(name, t, e.target(), e.info().task());
            RAW_CACHE.put(name, new SoftReference<>(r));
        }
        return r;
    }

    /**
     * A user's data file, CSV ({@code .csv}, {@code .csv.gz}) or ARFF ({@code .arff}, {@code .arff.gz}) by its
     * extension, encoded as the catalog's data sets, with {@code target} as the target column and the task of
     * {@link #rawFile(Path, String)}.
     */
    public static Dataset loadFile(Path file, String target) throws IOException {
        return rawFile(file, target).encodeAll();
    }

    /**
     * A user's data file before encoding. The task: classification when the target column is categorical (text,
     * ARFF nominal) or holds only integers with at most {@value #MAX_INTEGER_CLASSES} distinct values (class codes
     * such as 0/1 or 1..10), else regression. {@link #rawFile(Path, String, Dataset.Task)} states it instead.
     */
    public static Raw rawFile(Path file, String target) throws IOException {
        Table t = readFile(file);
        return new Raw(file.getFileName().toString(), t, target, inferTask(t.column(target)));
    }

    /** A user's data file before encoding, for the given task. */
    public static Raw rawFile(Path file, String target, Dataset.Task task) throws IOException {
        Table t = readFile(file);
        t.column(target);
        return new Raw(file.getFileName().toString(), t, target, task);
    }

    /** Integer targets with at most this many distinct values are read as class codes by {@link #rawFile(Path, String)}. */
    public static final int MAX_INTEGER_CLASSES = 20;

    static Dataset.Task inferTask(Table.Column y) {
        if (y instanceof Table.Categorical) {
            return Dataset.Task.CLASSIFICATION;
        }
        java.util.Set<Double> distinct = new java.util.HashSet<>();
        for (double v : ((Table.Numeric) y).values()) {
            if (!Double.isNaN(v)) {
                if (v != Math.rint(v)) {
                    return Dataset.Task.REGRESSION;
                }
                distinct.add(v + 0.0);
            }
        }
        return distinct.size() <= MAX_INTEGER_CLASSES ? Dataset.Task.CLASSIFICATION : Dataset.Task.REGRESSION;
    }

    private static Table readFile(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".csv") || n.endsWith(".csv.gz")) {
            return Csv.readTable(file);
        }
        throw new InputException(file + ": unknown data file type; expected a name ending in .csv or .csv.gz");
    }

    private static Table csvResource(String file) throws IOException {
        try (InputStream in = resource(file)) {
            return Csv.readTable(in, "catalog:" + file);
        }
    }

    private static InputStream resource(String file) {
        InputStream in = StudyDatasets.class.getResourceAsStream(file);
        if (in == null) {
            throw new IllegalStateException("resource org/hesse/data/catalog/" + file + " missing from the jar");
        }
        return in;
    }
}
