package org.hesse.data;

import org.hesse.io.InputException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns a {@link Table} into a {@link Dataset}: fitted on the training rows, then applied unchanged to any rows of
 * the same schema (the training rows themselves, a test split, a separate test file), so nothing about the test
 * rows leaks into the encoding. The rules, one each:
 *
 * <ul>
 *   <li><b>Features</b> are every column but the target, in table order.</li>
 *   <li><b>Numeric</b> columns are copied. A missing value becomes the column's mean over the training rows; a
 *       column with any missing value in the training rows also gets an indicator feature {@code name:missing}
 *       (1 where missing, else 0), right after it. A missing value in a column that had none in training is
 *       imputed the same way, without indicator.</li>
 *   <li><b>Categorical</b> columns (text, ARFF nominal, R factor or character) are one-hot encoded: one feature
 *       {@code name=level} per level that occurs in the training rows, in schema order ({@link Table}). A missing
 *       value is a level of its own, {@code name:missing}, if the training rows have one, else all zeros. A level of
 *       the schema that the training rows lack (a rare category that fell into the test split) is encoded as all
 *       zeros; a value outside the schema (a category of a separate test file never seen in the training file) is
 *       refused naming the file, row, column and value. Ordered factors are encoded like unordered ones.</li>
 *   <li><b>All-missing</b> columns (every training row missing) are refused naming the column: they carry nothing,
 *       and dropping them silently would change the feature count between files.</li>
 *   <li><b>Classification</b>: the target holds class labels (text or numbers). The classes are the target's levels
 *       in the schema ordered as {@link Csv#classOrder} orders CSV labels (ascending numbers when every label is a
 *       number, else ascending strings), so a split of one file keeps the file's classes; fewer than two classes
 *       in the training rows are refused, as is a missing or unknown label.</li>
 *   <li><b>Regression</b>: the target column must be numeric, without missing values, and is left raw. The trainer
 *       standardises it, {@code z = (y - mean) / sd} with the training mean and population standard deviation
 *       ({@link Standardizer}); a prediction {@code z} maps back to data units as {@code y = z · sd + mean}
 *       ({@link Standardizer#invertInPlace}).</li>
 * </ul>
 * Ragged rows are refused by the readers before a table exists. Features are not standardised here (the trainer does
 * it, fitted on the training split as this encoder is).
 */
public final class Encoder {

    /** How one input column becomes features. */
    private sealed interface Part permits NumericPart, CategoricalPart {
        String column();
    }

    private record NumericPart(String column, double mean, boolean indicator) implements Part {
    }

    /** {@code schema}: every level of the training file; {@code fitted}: the levels that get a feature. */
    private record CategoricalPart(String column, Set<String> schema, List<String> fitted, boolean missingLevel)
            implements Part {
    }

    private final String source;
    private final String target;
    private final Dataset.Task task;
    private final List<Part> parts;
    private final List<String> featureNames;
    private final List<String> classes; // classification, else empty

    private Encoder(String source, String target, Dataset.Task task, List<Part> parts, List<String> featureNames,
                    List<String> classes) {
        this.source = source;
        this.target = target;
        this.task = task;
        this.parts = parts;
        this.featureNames = featureNames;
        this.classes = classes;
    }

    /** Fits on all rows of {@code table} and encodes them: a data set with no split. */
    public static Dataset encode(Table table, String target, Dataset.Task task) {
        return fit(table, target, task).apply(table);
    }

    /** Fits the encoding on {@code train} (the training rows) for target column {@code target}. */
    public static Encoder fit(Table train, String target, Dataset.Task task) {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(task, "task");
        String src = train.source();
        Table.Column y = train.column(target);
        if (train.rows() == 0) {
            throw new InputException(src + ": no data rows");
        }
        List<String> classes = List.of();
        if (task == Dataset.Task.CLASSIFICATION) {
            List<String> schema = y instanceof Table.Categorical c ? c.levels() : labelStrings(y);
            classes = Csv.classOrder(schema);
            Set<String> present = new LinkedHashSet<>();
            for (int i = 0; i < train.rows(); i++) {
                present.add(label(y, i, train, List.of()));
            }
            if (present.size() < 2) {
                throw new InputException(src + ": target column '" + InputException.excerpt(target) + "' has one class only ("
                        + InputException.excerpt(present.iterator().next()) + ") in " + train.rows()
                        + " rows; classification needs at least two classes");
            }
        } else if (y instanceof Table.Categorical c) {
            throw new InputException(src + ", " + train.rowName(firstText(c)) + ", column '" + InputException.excerpt(target)
                    + "': regression target holds text '" + InputException.excerpt(c.value(firstText(c)))
                    + "', expected numbers");
        }
        List<Part> parts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Table.Column col : train.columns()) {
            if (col.name().equals(target)) {
                continue;
            }
            int missing = 0;
            for (int i = 0; i < col.size(); i++) {
                if (col.isMissing(i)) {
                    missing++;
                }
            }
            if (missing == train.rows()) {
                throw new InputException(src + ": column '" + InputException.excerpt(col.name()) + "' has no values (all "
                        + missing + " rows missing); expected at least one value (drop the column)");
            }
            if (col instanceof Table.Numeric num) {
                double sum = 0;
                for (double v : num.values()) {
                    if (!Double.isNaN(v)) {
                        sum += v;
                    }
                }
                parts.add(new NumericPart(col.name(), sum / (train.rows() - missing), missing > 0));
                names.add(col.name());
                if (missing > 0) {
                    names.add(col.name() + ":missing");
                }
            } else {
                Table.Categorical cat = (Table.Categorical) col;
                boolean[] seen = new boolean[cat.levels().size()];
                for (int code : cat.codes()) {
                    if (code >= 0) {
                        seen[code] = true;
                    }
                }
                List<String> fitted = new ArrayList<>();
                for (int l = 0; l < seen.length; l++) {
                    if (seen[l]) {
                        fitted.add(cat.levels().get(l));
                        names.add(col.name() + "=" + cat.levels().get(l));
                    }
                }
                if (missing > 0) {
                    names.add(col.name() + ":missing");
                }
                parts.add(new CategoricalPart(col.name(), new LinkedHashSet<>(cat.levels()), fitted, missing > 0));
            }
        }
        if (parts.isEmpty()) {
            throw new InputException(src + ": no feature columns besides the target '" + InputException.excerpt(target) + "'");
        }
        return new Encoder(src, target, task, List.copyOf(parts), List.copyOf(names), classes);
    }

    /**
     * Encodes {@code table} (the training rows, a test split, or another file with the same columns) with the
     * fitted rules. A column the encoder does not know, or one it needs and {@code table} lacks, is refused.
     */
    public Dataset apply(Table table) {
        Objects.requireNonNull(table, "table");
        String src = table.source();
        for (String name : table.names()) {
            if (!name.equals(target) && parts.stream().noneMatch(p -> p.column().equals(name))) {
                throw new InputException(src + ": column '" + InputException.excerpt(name) + "' was not in the training data "
                        + InputException.excerpt(source) + "; expected the columns " + InputException.excerpt(columns().toString(), 200));
            }
        }
        int n = table.rows();
        int d = featureNames.size();
        double[] x = new double[Math.multiplyExact(n, d)];
        int j = 0;
        for (Part p : parts) {
            Table.Column col = table.column(p.column());
            if (p instanceof NumericPart num) {
                if (!(col instanceof Table.Numeric values)) {
                    Table.Categorical c = (Table.Categorical) col;
                    int i = firstText(c);
                    throw new InputException(src + ", " + table.rowName(i) + ", column '" + InputException.excerpt(col.name())
                            + "': expected a number as in the training data, found '" + InputException.excerpt(c.value(i)) + "'");
                }
                for (int i = 0; i < n; i++) {
                    double v = values.values()[i];
                    if (Double.isInfinite(v)) {
                        throw new InputException(src + ", " + table.rowName(i) + ", column '" + InputException.excerpt(col.name())
                                + "': expected a finite number, found " + v);
                    }
                    x[i * d + j] = Double.isNaN(v) ? num.mean() : v;
                    if (num.indicator()) {
                        x[i * d + j + 1] = Double.isNaN(v) ? 1 : 0;
                    }
                }
                j += num.indicator() ? 2 : 1;
            } else {
                CategoricalPart cat = (CategoricalPart) p;
                Map<String, Integer> slot = new HashMap<>();
                for (int l = 0; l < cat.fitted().size(); l++) {
                    slot.put(cat.fitted().get(l), l);
                }
                int width = cat.fitted().size() + (cat.missingLevel() ? 1 : 0);
                for (int i = 0; i < n; i++) {
                    String v = value(col, i);
                    if (v == null) {
                        if (cat.missingLevel()) {
                            x[i * d + j + width - 1] = 1;
                        }
                        continue;
                    }
                    Integer s = slot.get(v);
                    if (s != null) {
                        x[i * d + j + s] = 1;
                    } else if (!cat.schema().contains(v)) {
                        throw new InputException(src + ", " + table.rowName(i) + ", column '" + InputException.excerpt(col.name())
                                + "': unknown category '" + InputException.excerpt(v) + "'; the training data "
                                + InputException.excerpt(source) + " has " + InputException.excerpt(cat.schema().toString(), 200));
                    }
                }
                j += width;
            }
        }
        if (task == Dataset.Task.REGRESSION) {
            Table.Column y = table.column(target);
            if (!(y instanceof Table.Numeric num)) {
                Table.Categorical c = (Table.Categorical) y;
                throw new InputException(src + ", " + table.rowName(firstText(c)) + ", column '" + InputException.excerpt(target)
                        + "': regression target holds text '" + InputException.excerpt(c.value(firstText(c))) + "', expected numbers");
            }
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(num.values()[i])) {
                    throw new InputException(src + ", " + table.rowName(i) + ", column '" + InputException.excerpt(target)
                            + "': regression target is " + (Double.isNaN(num.values()[i]) ? "missing" : num.values()[i])
                            + ", expected a finite number");
                }
            }
            return Dataset.regression(x, n, d, num.values().clone(), 1, featureNames, List.of(target));
        }
        Table.Column y = table.column(target);
        Map<String, Integer> classIndex = new HashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            classIndex.put(classes.get(c), c);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = classIndex.get(label(y, i, table, classes));
        }
        return Dataset.classification(x, n, d, labels, classes.size(), featureNames, target, classes);
    }

    /** The class label of row {@code i} as text; missing, or (with {@code classes} given) unknown, is refused. */
    private static String label(Table.Column y, int i, Table table, List<String> classes) {
        String v = value(y, i);
        String at = table.source() + ", " + table.rowName(i) + ", column '" + InputException.excerpt(y.name()) + "'";
        if (v == null) {
            throw new InputException(at + ": class label is missing, expected one of the classes");
        }
        if (!classes.isEmpty() && !classes.contains(v)) {
            throw new InputException(at + ": unknown class label '" + InputException.excerpt(v) + "'; expected one of "
                    + InputException.excerpt(classes.toString(), 200));
        }
        return v;
    }

    /** A cell as text (numbers in the canonical form of CSV class names), null if missing. */
    private static String value(Table.Column col, int i) {
        if (col instanceof Table.Categorical c) {
            return c.value(i);
        }
        double v = ((Table.Numeric) col).values()[i];
        return Double.isNaN(v) ? null : canonical(v + 0.0); // + 0.0: -0 and 0 are one class, as in Csv
    }

    /** As {@link Csv#classOrder} names numeric classes. */
    private static String canonical(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** The distinct values of a numeric label column, as text. */
    private static List<String> labelStrings(Table.Column y) {
        Set<String> s = new LinkedHashSet<>();
        for (int i = 0; i < y.size(); i++) {
            String v = value(y, i);
            if (v != null) {
                s.add(v);
            }
        }
        return new ArrayList<>(s);
    }

    /** The first row whose value is text rather than a number (the one to name in a message). */
    private static int firstText(Table.Categorical c) {
        for (int i = 0; i < c.size(); i++) {
            if (!c.isMissing(i)) {
                try {
                    Csv.finiteNumber(c.value(i), "");
                } catch (IllegalArgumentException e) {
                    return i;
                }
            }
        }
        return 0;
    }

    public Dataset.Task task() {
        return task;
    }

    public String target() {
        return target;
    }

    /** The encoded feature names, in feature order ({@code name}, {@code name:missing}, {@code name=level}). */
    public List<String> featureNames() {
        return featureNames;
    }

    /** The classes, index {@code c} for label {@code c}; empty for regression. */
    public List<String> classNames() {
        return classes;
    }

    /** The input feature columns, in table order. */
    public List<String> columns() {
        return parts.stream().map(Part::column).toList();
    }
}
