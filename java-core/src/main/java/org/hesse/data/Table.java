package org.hesse.data;

import org.hesse.io.InputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A data table as read from a file, before encoding: named columns, each numeric or categorical, with missing
 * values. {@link Encoder} turns a table into a {@link Dataset}. A categorical column's {@code levels} are its
 * schema: the declared levels (ARFF nominal values, R factor levels) or the distinct values of the file (CSV,
 * strings), in both cases only those that occur in the file, so every level names at least one row of the file.
 * {@link #rows} keeps the schema, so the parts of one file share it.
 *
 * <p>Rows are named in messages by their line in the file when the reader knows it ({@code line 57}), else by
 * their 1-based row number ({@code row 12}, as R prints a data frame).
 */
public final class Table {

    /** One column: {@code size()} values, numeric or categorical. */
    public sealed interface Column permits Numeric, Categorical {
        String name();

        int size();

        boolean isMissing(int row);

        /** The rows {@code idx} in that order. */
        Column rows(int[] idx);

        /** The same values under another name. */
        Column named(String name);
    }

    /** Numeric values; {@code NaN} is missing. */
    public record Numeric(String name, double[] values) implements Column {
        public Numeric {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(values, "values");
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isMissing(int row) {
            return Double.isNaN(values[row]);
        }

        @Override
        public Numeric rows(int[] idx) {
            double[] v = new double[idx.length];
            for (int k = 0; k < idx.length; k++) {
                v[k] = values[idx[k]];
            }
            return new Numeric(name, v);
        }

        @Override
        public Numeric named(String newName) {
            return new Numeric(newName, values);
        }
    }

    /** Category codes into {@code levels}; code {@code -1} is missing. */
    public record Categorical(String name, List<String> levels, int[] codes) implements Column {
        public Categorical {
            Objects.requireNonNull(name, "name");
            levels = List.copyOf(levels);
            Objects.requireNonNull(codes, "codes");
            for (int c : codes) {
                if (c < -1 || c >= levels.size()) {
                    throw new IllegalArgumentException("column '" + name + "': code " + c + " outside -1.."
                            + (levels.size() - 1));
                }
            }
        }

        /**
         * From raw values ({@code null} missing), with {@code declared} levels (may be null: then the distinct
         * values in ascending string order); levels not occurring in {@code values} are dropped. A value outside
         * {@code declared} is a bug of the reader (IllegalArgumentException): readers check their input first.
         */
        public static Categorical of(String name, String[] values, List<String> declared) {
            List<String> order = declared != null ? declared : new ArrayList<>(new java.util.TreeSet<>(
                    Arrays.stream(values).filter(Objects::nonNull).toList()));
            Map<String, Integer> index = new java.util.LinkedHashMap<>();
            for (String l : order) {
                index.putIfAbsent(l, index.size());
            }
            int[] raw = new int[values.length];
            boolean[] used = new boolean[index.size()];
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    raw[i] = -1;
                    continue;
                }
                Integer c = index.get(values[i]);
                if (c == null) {
                    throw new IllegalArgumentException("column '" + name + "': value '" + values[i]
                            + "' is not a declared level");
                }
                raw[i] = c;
                used[c] = true;
            }
            return compact(name, new ArrayList<>(index.keySet()), raw, used);
        }

        /** From codes into {@code levels} ({@code -1} missing), dropping the levels no row uses. */
        public static Categorical ofCodes(String name, List<String> levels, int[] codes) {
            boolean[] used = new boolean[levels.size()];
            for (int c : codes) {
                if (c >= 0) {
                    used[c] = true;
                }
            }
            return compact(name, levels, codes, used);
        }

        private static Categorical compact(String name, List<String> levels, int[] codes, boolean[] used) {
            int[] to = new int[levels.size()];
            List<String> kept = new ArrayList<>();
            for (int c = 0; c < levels.size(); c++) {
                to[c] = used[c] ? kept.size() : -1;
                if (used[c]) {
                    kept.add(levels.get(c));
                }
            }
            int[] out = new int[codes.length];
            for (int i = 0; i < codes.length; i++) {
                out[i] = codes[i] < 0 ? -1 : to[codes[i]];
            }
            return new Categorical(name, kept, out);
        }

        @Override
        public int size() {
            return codes.length;
        }

        @Override
        public boolean isMissing(int row) {
            return codes[row] < 0;
        }

        /** The value of {@code row}, null if missing. */
        public String value(int row) {
            return codes[row] < 0 ? null : levels.get(codes[row]);
        }

        @Override
        public Categorical rows(int[] idx) {
            int[] v = new int[idx.length];
            for (int k = 0; k < idx.length; k++) {
                v[k] = codes[idx[k]];
            }
            return new Categorical(name, levels, v);
        }

        @Override
        public Categorical named(String newName) {
            return new Categorical(newName, levels, codes);
        }
    }

    private final String source;
    private final List<Column> columns;
    private final int rows;
    private final int[] lines; // line in the file of each row, or null

    private Table(String source, List<Column> columns, int rows, int[] lines) {
        this.source = source;
        this.columns = columns;
        this.rows = rows;
        this.lines = lines;
    }

    /**
     * A table of equally long, uniquely named columns; {@code lines} (may be null) holds each row's line in the
     * file for messages. {@code source} names the file.
     */
    public static Table of(String source, List<? extends Column> columns, int[] lines) {
        Objects.requireNonNull(source, "source");
        List<Column> cols = List.copyOf(columns);
        if (cols.isEmpty()) {
            throw new InputException(source + ": no columns");
        }
        int n = cols.get(0).size();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Column c : cols) {
            if (c.size() != n) {
                throw new InputException(source + ": column '" + InputException.excerpt(c.name()) + "' has "
                        + c.size() + " values, expected " + n + " as column '"
                        + InputException.excerpt(cols.get(0).name()) + "'");
            }
            if (!names.add(c.name())) {
                throw new InputException(source + ": column name '" + InputException.excerpt(c.name())
                        + "' appears twice; expected unique names");
            }
        }
        if (lines != null && lines.length != n) {
            throw new IllegalArgumentException("lines: expected " + n + " entries, found " + lines.length);
        }
        return new Table(source, cols, n, lines);
    }

    /**
     * A data set as a table (for data read by the numeric readers: bundled CSV, LibSVM, IDX): one numeric column per
     * feature, then the target, {@code target} named by the data set's target name: classification labels as a
     * categorical column with the class names as levels, a regression target as a numeric column.
     */
    public static Table of(Dataset data, String source) {
        int n = data.size();
        int d = data.numFeatures();
        List<Column> cols = new ArrayList<>(d + 1);
        for (int j = 0; j < d; j++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = data.x()[i * d + j];
            }
            cols.add(new Numeric(data.featureNames().get(j), v));
        }
        if (data.isClassification()) {
            cols.add(Categorical.ofCodes(data.targetNames().get(0), data.classNames(), data.labels().clone()));
        } else {
            if (data.numTargets() != 1) {
                throw new IllegalArgumentException("data: expected one regression target, found " + data.numTargets());
            }
            cols.add(new Numeric(data.targetNames().get(0), data.targets().clone()));
        }
        return of(source, cols, null);
    }

    public String source() {
        return source;
    }

    public int rows() {
        return rows;
    }

    public List<Column> columns() {
        return columns;
    }

    public List<String> names() {
        return columns.stream().map(Column::name).toList();
    }

    /** The column called {@code name}; an {@link InputException} listing the columns if there is none. */
    public Column column(String name) {
        for (Column c : columns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new InputException(source + ": no column '" + InputException.excerpt(name) + "'; columns: "
                + InputException.excerpt(names().toString(), 300));
    }

    /** Row {@code i} as named in messages: {@code line L} of the file, or {@code row i+1}. */
    public String rowName(int i) {
        return lines != null ? "line " + lines[i] : "row " + (i + 1);
    }

    /** The rows {@code idx} in that order (repeats allowed), with the same columns and schema. */
    public Table rows(int[] idx) {
        Objects.requireNonNull(idx, "idx");
        for (int k = 0; k < idx.length; k++) {
            if (idx[k] < 0 || idx[k] >= rows) {
                throw new IllegalArgumentException("idx[" + k + "]: expected a row in [0, " + rows + "), found " + idx[k]);
            }
        }
        List<Column> cols = new ArrayList<>(columns.size());
        for (Column c : columns) {
            cols.add(c.rows(idx));
        }
        int[] l = null;
        if (lines != null) {
            l = new int[idx.length];
            for (int k = 0; k < idx.length; k++) {
                l[k] = lines[idx[k]];
            }
        }
        return new Table(source, cols, idx.length, l);
    }

    /** The same rows without the named columns (each must exist). */
    public Table without(List<String> names) {
        for (String n : names) {
            column(n);
        }
        return new Table(source, columns.stream().filter(c -> !names.contains(c.name())).toList(), rows, lines);
    }

    /** The same rows with only the named columns, in that order. */
    public Table select(List<String> names) {
        return new Table(source, names.stream().map(this::column).toList(), rows, lines);
    }

    /** The rows where column {@code name} is not missing. */
    public Table withoutMissing(String name) {
        Column c = column(name);
        int[] keep = java.util.stream.IntStream.range(0, rows).filter(i -> !c.isMissing(i)).toArray();
        return keep.length == rows ? this : rows(keep);
    }

    /** This table with column {@code name} replaced by {@code replacement} (same length). */
    public Table with(String name, Column replacement) {
        column(name);
        return of(source, columns.stream().map(c -> c.name().equals(name) ? replacement : c).toList(), lines);
    }

    /** This table's columns followed by {@code other}'s (same rows), e.g. R's {@code x} matrix and {@code y}. */
    public Table beside(Table other) {
        if (other.rows != rows) {
            throw new InputException(source + ": " + rows + " rows, but " + other.source + " has " + other.rows);
        }
        List<Column> cols = new ArrayList<>(columns);
        cols.addAll(other.columns);
        return of(source, cols, lines);
    }

    @Override
    public String toString() {
        return "Table[" + source + ", " + rows + " × " + columns.size() + "]";
    }
}
