package org.hesse.data.catalog;

import org.hesse.data.Arff;
import org.hesse.data.BundledDatasets;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.data.Encoder;
import org.hesse.data.Idx;
import org.hesse.data.LibSvm;
import org.hesse.data.RData;
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

    // paths inside the Debian packages
    private static final String MLBENCH = "/usr/lib/R/site-library/mlbench/data/";
    private static final String KERNLAB = "/usr/lib/R/site-library/kernlab/data/";
    private static final String CARET = "/usr/lib/R/site-library/caret/data/";
    private static final String MODELDATA = "/usr/lib/R/site-library/modeldata/data/Rdata.rdx";
    private static final String WEKA = "/usr/share/doc/weka/examples/";
    private static final String FASHION = "/usr/share/datasets/fashion-mnist/";

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

        // --- modeldata 1.1.0 (MIT), lazy-load database of Debian r-cran-modeldata, extracted at first use ---
        modeldata("concrete", Dataset.Task.REGRESSION, "compressive_strength", new Shape(1030, 8, 0),
                "I-C. Yeh (1998), Modeling of strength of high performance concrete using artificial neural networks; UCI Concrete Compressive Strength");
        modeldata("credit_data", Dataset.Task.CLASSIFICATION, "Status", new Shape(4454, 13, 2),
                "credit scoring data of the book by Max Kuhn and Kjell Johnson (modeldata); from the Bank of Spain's CreditScoring R package");
        modeldata("cells", Dataset.Task.CLASSIFICATION, "class", new Shape(2019, 56, 2),
                "A.A. Hill et al. (2007), Impact of image segmentation on high-content screening data quality, BMC Bioinformatics 8:340",
                "case");
        modeldata("attrition", Dataset.Task.CLASSIFICATION, "Attrition", new Shape(1470, 30, 2),
                "IBM Watson Analytics HR employee attrition sample data (modeldata)");
        modeldata("mlc_churn", Dataset.Task.CLASSIFICATION, "churn", new Shape(5000, 19, 2),
                "customer churn data, MLC++ / C50 package (modeldata)");
        modeldata("wa_churn", Dataset.Task.CLASSIFICATION, "churn", new Shape(7043, 19, 2),
                "IBM Watson Analytics telco customer churn sample data (modeldata)");
        modeldata("lending_club", Dataset.Task.CLASSIFICATION, "Class", new Shape(9857, 22, 2),
                "Lending Club loan data, 2016 Q1 (modeldata)");
        modeldata("hpc_data", Dataset.Task.CLASSIFICATION, "class", new Shape(4331, 7, 4),
                "M. Kuhn, K. Johnson (2013), Applied Predictive Modeling, high-performance computing job scheduling data");
        modeldata("pd_speech", Dataset.Task.CLASSIFICATION, "class", new Shape(252, 751, 2),
                "C.O. Sakar et al. (2019), A comparative analysis of speech signal processing algorithms for Parkinson's disease classification, Applied Soft Computing 74; UCI");
        modeldata("meats", Dataset.Task.REGRESSION, "water", new Shape(215, 100, 0),
                "H.H. Thodberg, Tecator meat NIR spectra (StatLib); target water, fat and protein dropped",
                "fat", "protein");
        modeldata("ad_data", Dataset.Task.CLASSIFICATION, "Class", new Shape(333, 130, 2),
                "C.M. Craig-Schapiro et al. (2011), Multiplexed immunoassay panel identifies novel CSF biomarkers for Alzheimer's disease, PLoS ONE 6(4)");
        modeldata("oils", Dataset.Task.CLASSIFICATION, "class", new Shape(96, 7, 7),
                "D. Brodnjak-Voncina et al. (2005), Multivariate data analysis in classification of vegetable oils, Chemometrics and Intelligent Laboratory Systems 75");
        modeldata("biomass", Dataset.Task.REGRESSION, "HHV", new Shape(536, 5, 0),
                "A. Ghugare et al. (2014), Development of higher heating value models of biomass (modeldata); sample and dataset columns dropped",
                "sample", "dataset");
        modeldata("ames", Dataset.Task.REGRESSION, "Sale_Price", new Shape(2930, 73, 0),
                "D. De Cock (2011), Ames, Iowa: alternative to the Boston housing data, Journal of Statistics Education 19(3)");

        // --- mlbench 2.1-3 (GPL-2; data UCI), Debian r-cran-mlbench, extracted at first use ---
        mlbench("Glass", "Type", new Shape(214, 9, 6), "B. German, UCI Glass Identification");
        mlbench("Ionosphere", "Class", new Shape(351, 34, 2), "V. Sigillito et al. (1989), UCI Ionosphere");
        mlbench("Sonar", "Class", new Shape(208, 60, 2), "R.P. Gorman, T.J. Sejnowski (1988), UCI Connectionist Bench (Sonar, Mines vs. Rocks)");
        mlbench("PimaIndiansDiabetes", "diabetes", new Shape(768, 8, 2), "J.W. Smith et al. (1988), National Institute of Diabetes and Digestive and Kidney Diseases; UCI Pima Indians Diabetes");
        mlbench("Vehicle", "Class", new Shape(846, 18, 4), "J.P. Siebert (1987), Turing Institute; UCI Statlog (Vehicle Silhouettes)");
        mlbench("Vowel", "Class", new Shape(990, 10, 11), "D. Deterding (1989), UCI Connectionist Bench (Vowel Recognition)");
        mlbench("Satellite", "classes", new Shape(6435, 36, 6), "A. Srinivasan (1993), UCI Statlog (Landsat Satellite)");
        mlbench("Shuttle", "Class", new Shape(58000, 9, 7), "J. Catlett, NASA; UCI Statlog (Shuttle)");
        mlbench("LetterRecognition", "lettr", new Shape(20000, 16, 26), "P.W. Frey, D.J. Slate (1991), Letter recognition using Holland-style adaptive classifiers, Machine Learning 6(2); UCI");
        mlbench("DNA", "Class", new Shape(3186, 180, 3), "StatLog DNA (primate splice-junction gene sequences), G. Towell, M. Noordewier, J. Shavlik; UCI");
        mlbench("Soybean", "Class", new Shape(683, 35, 19), "R.S. Michalski, R.L. Chilausky (1980); UCI Soybean (Large)");
        mlbench("Zoo", "type", new Shape(101, 16, 7), "R. Forsyth (1990), UCI Zoo");
        mlbench("HouseVotes84", "Class", new Shape(435, 16, 2), "J. Schlimmer (1987), Congressional Quarterly Almanac 1984; UCI Congressional Voting Records");
        mlbench("BreastCancer", "Class", new Shape(699, 9, 2), "W.H. Wolberg, O.L. Mangasarian (1990), UCI Breast Cancer Wisconsin (Original); Id column dropped", "Id");
        mlbench("Servo", "Class", new Shape(167, 4, 0), "K. Ullrich, R. Quinlan (1993); UCI Servo");
        add("Ozone", Dataset.Task.REGRESSION, "V4", new Shape(361, 12, 0), "mlbench 2.1-3 data/Ozone.rda (Debian r-cran-mlbench)", "GPL-2 (mlbench); data UCI",
                "L. Breiman, Los Angeles ozone pollution data 1976 (mlbench); the 5 rows without the target V4 dropped",
                () -> rda("r-cran-mlbench", MLBENCH, "Ozone").withoutMissing("V4"));

        // --- kernlab 0.9-32 (GPL-2), Debian r-cran-kernlab, extracted at first use ---
        kernlab("spam", "type", new Shape(4601, 57, 2), "M. Hopkins, E. Reeber, G. Forman, J. Suermondt (1999), UCI Spambase");
        kernlab("musk", "Class", new Shape(476, 166, 2), "T.G. Dietterich et al. (1997), Solving the multiple instance problem with axis-parallel rectangles; UCI Musk (Version 1)");
        kernlab("ticdata", "CARAVAN", new Shape(9822, 85, 2), "P. van der Putten, M. van Someren (2000), CoIL Challenge 2000 (Insurance Company Benchmark); UCI");
        kernlab("income", "INCOME", new Shape(8993, 13, 9), "Impact Resources, Inc., marketing survey data, in T. Hastie, R. Tibshirani, J. Friedman (2001), The Elements of Statistical Learning");
        kernlab("promotergene", "Class", new Shape(106, 57, 2), "C. Harley, R. Reynolds, M. Noordewier, J. Shavlik; UCI Molecular Biology (Promoter Gene Sequences)");

        // --- larger and other GPL-packaged sets ---
        add("diamonds", Dataset.Task.REGRESSION, "price", new Shape(53940, 9, 0),
                "ggplot2 3.4.1 data/Rdata.rdb (Debian r-cran-ggplot2)", "GPL-2+ (ggplot2)",
                "H. Wickham (2016), ggplot2: Elegant Graphics for Data Analysis; diamond prices from Diamond Search Engine (2008)",
                () -> lazy("r-cran-ggplot2", "/usr/lib/R/site-library/ggplot2/data/Rdata.rdx", "diamonds"));
        add("dhfr", Dataset.Task.CLASSIFICATION, "Y", new Shape(325, 228, 2),
                "caret 6.0-93 data/dhfr.RData (Debian r-cran-caret)", "GPL-2+",
                "J. Sutherland, J. Weaver (2004), Three-dimensional quantitative structure-activity and structure-selectivity relationships of dihydrofolate reductase inhibitors, J. Computer-Aided Molecular Design 18",
                () -> rda("r-cran-caret", CARET, "dhfr"));
        weka("credit-g", "class", new Shape(1000, 20, 2), "H. Hofmann (1994), UCI Statlog (German Credit Data)");
        weka("breast-cancer", "Class", new Shape(286, 9, 2), "M. Zwitter, M. Soklic (1988), University Medical Centre, Institute of Oncology, Ljubljana; UCI Breast Cancer");
        add("fashion_mnist", Dataset.Task.CLASSIFICATION, "label", new Shape(10000, 784, 10),
                "Fashion-MNIST test set t10k (Debian dataset-fashion-mnist 0.0~git20200523)", "MIT (Zalando SE)",
                "H. Xiao, K. Rasul, R. Vollgraf (2017), Fashion-MNIST: a novel image dataset for benchmarking machine learning algorithms, arXiv:1708.07747",
                () -> {
                    Path dir = DebianCache.file("dataset-fashion-mnist", FASHION + "t10k-labels-idx1-ubyte.gz").getParent();
                    return Table.of(Idx.fashionMnist(dir, "t10k", 0), "Fashion-MNIST " + dir);
                });
    }

    private static void modeldata(String name, Dataset.Task task, String target, Shape shape, String citation, String... drop) {
        add(name, task, target, shape, "modeldata 1.1.0 data/Rdata.rdb (Debian r-cran-modeldata)", "MIT (modeldata)", citation,
                () -> lazy("r-cran-modeldata", MODELDATA, name).without(List.of(drop)));
    }

    private static void mlbench(String name, String target, Shape shape, String citation, String... drop) {
        add(name, shape.classes() == 0 ? Dataset.Task.REGRESSION : Dataset.Task.CLASSIFICATION, target, shape,
                "mlbench 2.1-3 data/" + name + ".rda (Debian r-cran-mlbench)", "GPL-2 (mlbench); data UCI", citation,
                () -> rda("r-cran-mlbench", MLBENCH, name).without(List.of(drop)));
    }

    private static void kernlab(String name, String target, Shape shape, String citation) {
        add(name, Dataset.Task.CLASSIFICATION, target, shape, "kernlab 0.9-32 data/" + name + ".rda (Debian r-cran-kernlab)",
                "GPL-2 (kernlab); data UCI", citation, () -> rda("r-cran-kernlab", KERNLAB, name));
    }

    private static void weka(String name, String target, Shape shape, String citation) {
        add(name, Dataset.Task.CLASSIFICATION, target, shape, "Weka 3.6.14 examples/" + name + ".arff (Debian weka)",
                "GPL-2+ (Weka); data UCI", citation, () -> Arff.read(DebianCache.file("weka", WEKA + name + ".arff")));
    }

    /** Object {@code name} of {@code dir/name.rda} (or {@code .RData}) in Debian package {@code pkg}, as a table. */
    private static Table rda(String pkg, String dir, String name) throws IOException {
        String file = dir + name + (dir.equals(CARET) ? ".RData" : ".rda");
        Path f = DebianCache.file(pkg, file);
        return RData.toTable(RData.readRda(f, name), "R data " + f + ", object '" + name + "'");
    }

    /** Object {@code name} of the lazy-load database {@code rdx} in Debian package {@code pkg}, as a table. */
    private static Table lazy(String pkg, String rdx, String name) throws IOException {
        Path f = DebianCache.file(pkg, rdx);
        return RData.toTable(RData.openLazyLoad(f).get(name), "R lazy-load database " + f + ", object '" + name + "'");
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

    /** {@link #loadFile(Path, String)} for the given task. */
    public static Dataset loadFile(Path file, String target, Dataset.Task task) throws IOException {
        return rawFile(file, target, task).encodeAll();
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
        if (n.endsWith(".arff") || n.endsWith(".arff.gz")) {
            return Arff.read(file);
        }
        throw new InputException(file + ": unknown data file type; expected a name ending in .csv, .csv.gz, .arff or .arff.gz");
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
