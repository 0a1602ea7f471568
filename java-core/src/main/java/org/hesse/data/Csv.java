package org.hesse.data;

import ch.randelshofer.fastdoubleparser.JavaDoubleParser;
import org.hesse.io.AtomicFiles;
import org.hesse.io.InputException;
import org.hesse.io.Inputs;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Reads a data set from CSV with a header row: the named target column(s) are the targets, every other column is a
 * feature, in header order. Fields are separated by commas; a field may be double-quoted (RFC 4180, {@code ""}
 * for a quote inside). Blank lines are skipped. A gzip-compressed file (magic bytes {@code 1f 8b}) is decompressed
 * transparently.
 *
 * <p>Every feature and regression-target cell must be a finite number: an empty cell, NaN, infinity or text is
 * reported with its line number as in the file (the header is line 1) and its column name. For classification the
 * label column holds class labels, numbers or names: the classes are the distinct labels, in ascending numeric order
 * when every label is a number (so {@code 0..C-1} keep their indices and {@code {0,1,2,7}} are 4 classes, 7 becoming
 * index 3), else in ascending string order; {@link Dataset#classNames()} records the mapping (class index
 * {@code c} has label {@code classNames().get(c)}). A label that reads as NaN or infinity is refused. Every
 * failure is an {@link InputException} naming the source, the line and the column.
 */
public final class Csv {

    private Csv() {
    }

    /** Classification: {@code labelColumn} holds class indices. */
    public static Dataset readClassification(Path file, String labelColumn) throws IOException {
        return read(file, Dataset.Task.CLASSIFICATION, List.of(labelColumn));
    }

    /** Regression on one or more target columns. */
    public static Dataset readRegression(Path file, String... targetColumns) throws IOException {
        return read(file, Dataset.Task.REGRESSION, List.of(targetColumns));
    }

    public static Dataset read(Path file, Dataset.Task task, List<String> targetColumns) throws IOException {
        Objects.requireNonNull(file, "file");
        org.hesse.io.Inputs.requireFile(file, "CSV");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), task, targetColumns, null);
        }
    }

    /**
     * Reads from a stream (closed by the caller); {@code source} names it in messages. {@code classNames} (may be
     * null) names the classes of a classification set and fixes their number, else it is the largest label plus one.
     */
    public static Dataset read(InputStream in, String source, Dataset.Task task, List<String> targetColumns,
                               List<String> classNames) throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(targetColumns, "targetColumns");
        if (targetColumns.isEmpty()) {
            throw new InputException("CSV " + source + ": no target column given; expected at least one column name");
        }
        if (task == Dataset.Task.CLASSIFICATION && targetColumns.size() != 1) {
            throw new InputException("CSV " + source + ": classification takes one label column, found "
                    + InputException.excerpt(targetColumns));
        }
        return parse(in, source, task, targetColumns, classNames, new Labels(), 2);
    }

    /**
     * The distinct labels of a part of a classification file (e.g. one Spark partition, behind the header), in
     * order of appearance: the first pass of reading a file in parts. The part is parsed in full, so its errors are
     * those of {@link #read}; {@code firstDataLine} is the file's line number of the part's first line after the
     * header (2 for a whole file), so that messages name lines of the file.
     */
    public static List<String> labels(InputStream in, String source, String labelColumn, int firstDataLine)
            throws IOException {
        Labels l = new Labels();
        parse(in, source, Dataset.Task.CLASSIFICATION, List.of(labelColumn), null, l, firstDataLine);
        return List.copyOf(l.raw);
    }

    /**
     * One part of a file (e.g. a Spark partition, behind the header), read as {@link #read} reads a whole file:
     * {@code firstDataLine} as in {@link #labels}; a classification's classes are numbered over {@code allLabels}
     * (the distinct labels of every part, from {@link #labels}) exactly as reading the whole file at once numbers
     * them ({@link #classOrder}), and a label outside them is refused. {@code allLabels} is ignored for regression.
     */
    public static Dataset readPart(InputStream in, String source, Dataset.Task task, List<String> targetColumns,
                                   Collection<String> allLabels, int firstDataLine) throws IOException {
        Labels l = new Labels();
        if (task == Dataset.Task.CLASSIFICATION) {
            Objects.requireNonNull(allLabels, "allLabels");
            for (String s : allLabels) {
                l.id(s, "CSV " + source + ": the labels of the first pass");
            }
            l.fixed = true;
        }
        return parse(in, source, task, targetColumns, null, l, firstDataLine);
    }

    /**
     * The classes of a label column with these distinct labels, in class-index order: ascending numbers (in
     * canonical form) when every label is a finite number, else ascending strings. The one ordering rule of
     * {@link #read}.
     */
    public static List<String> classOrder(Collection<String> labels) {
        Labels l = new Labels();
        for (String s : labels) {
            l.id(s, "label '" + InputException.excerpt(s) + "'");
        }
        return List.copyOf(l.names());
    }

    private static Dataset parse(InputStream in, String source, Dataset.Task task, List<String> targetColumns,
                                 List<String> classNames, Labels classes, int firstDataLine) throws IOException {
        try {
            return parse(Inputs.utf8Lines(maybeGunzip(in)), source, task, targetColumns, classNames, classes, firstDataLine);
        } catch (IOException e) {
            if (!Inputs.isDataError(e)) throw e;
            throw Inputs.unreadable("CSV " + source, e);
        }
    }

    private static Dataset parse(BufferedReader r, String source, Dataset.Task task, List<String> targetColumns,
                                 List<String> classNames, Labels classes, int firstDataLine) throws IOException {
        List<String> header = header(r, source);
        String line;
        Map<String, Integer> col = new HashMap<>();
        for (int j = 0; j < header.size(); j++) {
            col.put(header.get(j), j);
        }
        int[] targetIdx = new int[targetColumns.size()];
        boolean[] isTarget = new boolean[header.size()];
        for (int k = 0; k < targetIdx.length; k++) {
            Integer j = col.get(targetColumns.get(k));
            if (j == null) {
                throw new InputException("CSV " + source + ": target column '" + InputException.excerpt(targetColumns.get(k))
                        + "' not found; header: " + InputException.excerpt(header));
            }
            if (isTarget[j]) {
                throw new InputException("CSV " + source + ": target column '" + InputException.excerpt(targetColumns.get(k))
                        + "' given twice");
            }
            targetIdx[k] = j;
            isTarget[j] = true;
        }
        List<String> featureNames = new ArrayList<>();
        for (int j = 0; j < header.size(); j++) {
            if (!isTarget[j]) {
                featureNames.add(header.get(j));
            }
        }
        if (featureNames.isEmpty()) {
            throw new InputException("CSV " + source + ": no feature columns besides the targets "
                    + InputException.excerpt(targetColumns));
        }
        int d = featureNames.size();
        int t = targetIdx.length;
        boolean classify = task == Dataset.Task.CLASSIFICATION;

        String where = "CSV " + source;
        Growable.Doubles x = new Growable.Doubles(where + ": the features");
        Growable.Doubles y = new Growable.Doubles(where + ": the targets");
        Growable.Ints labels = new Growable.Ints(where + ": the labels");
        int labelCol = classify ? targetIdx[0] : -1;
        String[] label = new String[1];
        double[] row = new double[header.size()];
        int lineNo = firstDataLine - 1;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            Inputs.checkUtf8Line(line, where + ", line " + lineNo);
            if (line.indexOf('"') < 0) {
                parseUnquoted(line, row, header, source, lineNo, labelCol, label);
            } else {
                List<String> cells = split(line, source, lineNo);
                checkCount(cells.size(), header.size(), source, lineNo);
                for (int j = 0; j < row.length; j++) {
                    if (j == labelCol) {
                        label[0] = cells.get(j).strip();
                    } else {
                        row[j] = number(cells.get(j), source, lineNo, header.get(j));
                    }
                }
            }
            for (int j = 0; j < row.length; j++) {
                if (!isTarget[j]) {
                    x.add(row[j]);
                }
            }
            if (classify) {
                String at = where + ", line " + lineNo + ", column '" + InputException.excerpt(targetColumns.get(0)) + "'";
                labels.add(classNames != null ? classIndex(label[0], classNames.size(), at) : classes.id(label[0], at));
            } else {
                for (int k = 0; k < t; k++) {
                    y.add(row[targetIdx[k]]);
                }
            }
        }
        int n = x.size() / d;
        if (n == 0) {
            throw new InputException(where + ": no data rows after the header");
        }
        if (!classify) {
            return Dataset.regression(x.toArray(), n, d, y.toArray(), t, featureNames, targetColumns);
        }
        if (classNames != null) {
            return Dataset.classification(x.toArray(), n, d, labels.toArray(), classNames.size(), featureNames,
                    targetColumns.get(0), classNames);
        }
        int[] ids = labels.toArray();
        int[] classOf = classes.order();
        for (int i = 0; i < n; i++) {
            ids[i] = classOf[ids[i]];
        }
        return Dataset.classification(x.toArray(), n, d, ids, classes.count(), featureNames, targetColumns.get(0),
                classes.names());
    }

    /** The header row (line 1): unique column names. */
    private static List<String> header(BufferedReader r, String source) throws IOException {
        String line = r.readLine();
        if (line == null) {
            throw new InputException("CSV " + source + ": empty file, expected a header row");
        }
        Inputs.checkUtf8Line(line, "CSV " + source + ", line 1");
        if (line.startsWith("\uFEFF")) {
            line = line.substring(1); // UTF-8 byte-order mark written by some spreadsheet programs
        }
        List<String> header = split(line, source, 1);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String name : header) {
            if (!seen.add(name)) {
                throw new InputException("CSV " + source + ", line 1: column name '" + InputException.excerpt(name)
                        + "' appears twice in the header " + InputException.excerpt(header));
            }
        }
        return header;
    }

    /** Cells that {@link #readTable} reads as missing: empty, {@code NA} (R's write.csv) and {@code ?} (UCI). */
    public static final java.util.Set<String> MISSING = java.util.Set.of("", "NA", "?");

    /**
     * Reads a CSV file (same syntax, header and line rules as {@link #read}) as a {@link Table}, for data with text
     * (categorical) columns or missing values, to be encoded by {@link Encoder}. A column is numeric when every cell
     * that is not missing ({@link #MISSING}) is a finite number, else categorical with its distinct values (as
     * written, blanks stripped) as levels in ascending string order. A row with another cell count than the header
     * is refused naming its line.
     */
    public static Table readTable(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        org.hesse.io.Inputs.requireFile(file, "CSV");
        try (InputStream in = Files.newInputStream(file)) {
            return readTable(in, file.toString());
        }
    }

    /** {@link #readTable(Path)} from a stream (closed by the caller); {@code source} names it in messages. */
    public static Table readTable(InputStream in, String source) throws IOException {
        Objects.requireNonNull(in, "in");
        try {
            return parseTable(Inputs.utf8Lines(maybeGunzip(in)), source);
        } catch (IOException e) {
            if (!Inputs.isDataError(e)) throw e;
            throw Inputs.unreadable("CSV " + source, e);
        }
    }

    private static Table parseTable(BufferedReader r, String source) throws IOException {
        List<String> header = header(r, source);
        int m = header.size();
        List<String[]> rows = new ArrayList<>();
        Growable.Ints lines = new Growable.Ints("CSV " + source + ": the rows");
        String line;
        int lineNo = 1;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            Inputs.checkUtf8Line(line, "CSV " + source + ", line " + lineNo);
            List<String> cells = split(line, source, lineNo);
            checkCount(cells.size(), m, source, lineNo);
            String[] row = new String[m];
            for (int j = 0; j < m; j++) {
                String c = cells.get(j);
                row[j] = MISSING.contains(c) ? null : c;
            }
            rows.add(row);
            lines.add(lineNo);
        }
        if (rows.isEmpty()) {
            throw new InputException("CSV " + source + ": no data rows after the header");
        }
        int n = rows.size();
        List<Table.Column> columns = new ArrayList<>(m);
        for (int j = 0; j < m; j++) {
            String[] cells = new String[n];
            double[] v = new double[n]; // NaN: missing
            boolean numeric = true;
            for (int i = 0; i < n; i++) {
                cells[i] = rows.get(i)[j];
                if (cells[i] == null) {
                    v[i] = Double.NaN;
                } else if (numeric) {
                    v[i] = finiteOrNaN(cells[i], 0, cells[i].length());
                    numeric = !Double.isNaN(v[i]);
                }
            }
            if (numeric) {
                columns.add(new Table.Numeric(header.get(j), v));
            } else {
                columns.add(Table.Categorical.of(header.get(j), cells, null));
            }
        }
        return Table.of("CSV " + source, columns, lines.toArray());
    }

    /** With given class names (bundled data) the label is an index into them. */
    private static int classIndex(String cell, int numClasses, String at) {
        if (cell.isEmpty()) {
            throw new InputException(at + ": empty cell, expected a class index");
        }
        double v = finiteNumber(cell, at);
        if (v < 0 || v != Math.rint(v) || v >= numClasses) {
            throw new InputException(at + ": expected a class index in 0.." + (numClasses - 1) + ", found '"
                    + InputException.excerpt(cell) + "'");
        }
        return (int) v;
    }

    /**
     * The distinct labels of a column in order of appearance, and at the end their classes: ascending numbers when
     * every label is a finite number (1 and 1.0 are one class), else ascending strings.
     */
    static final class Labels {
        private final Map<String, Integer> ids = new HashMap<>();
        private final List<String> raw = new ArrayList<>();
        private boolean numeric = true;
        /** Set once the labels of every part are known: a new one is refused. */
        private boolean fixed;

        int id(String cell, String at) {
            Integer id = ids.get(cell);
            if (id != null) {
                return id;
            }
            if (fixed) {
                throw new InputException(at + ": class label '" + InputException.excerpt(cell)
                        + "' was not seen by the first pass over the file (has the file changed?)");
            }
            if (cell.isEmpty()) {
                throw new InputException(at + ": empty cell, expected a class label (a number or a name)");
            }
            boolean isNumber = isFiniteNumber(cell);
            String word = cell.toLowerCase(java.util.Locale.ROOT).replaceFirst("^[+-]", "");
            if (!isNumber && (word.equals("nan") || word.equals("inf") || word.equals("infinity"))) {
                // NaN or infinity: missing or broken data, not a class
                throw new InputException(at + ": expected a class label (a number or a name), found '"
                        + InputException.excerpt(cell) + "'");
            }
            numeric &= isNumber;
            ids.put(cell, raw.size());
            raw.add(cell);
            return raw.size() - 1;
        }

        private List<String> classes;
        private int[] order;

        private void sort() {
            if (order != null) {
                return;
            }
            order = new int[raw.size()];
            if (numeric) {
                java.util.TreeMap<Double, Integer> byValue = new java.util.TreeMap<>();
                for (String s : raw) {
                    byValue.putIfAbsent(Double.parseDouble(s) + 0.0, 0); // + 0.0: -0 and 0 are one class
                }
                List<Double> values = new ArrayList<>(byValue.keySet());
                classes = new ArrayList<>(values.size());
                for (double v : values) {
                    classes.add(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v));
                }
                for (int i = 0; i < raw.size(); i++) {
                    order[i] = java.util.Collections.binarySearch(values, Double.parseDouble(raw.get(i)) + 0.0);
                }
            } else {
                List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(raw));
                classes = sorted;
                for (int i = 0; i < raw.size(); i++) {
                    order[i] = java.util.Collections.binarySearch(sorted, raw.get(i));
                }
            }
        }

        int[] order() {
            sort();
            return order;
        }

        int count() {
            sort();
            return classes.size();
        }

        List<String> names() {
            sort();
            return classes;
        }
    }

    private static boolean isFiniteNumber(String s) {
        return !Double.isNaN(finiteOrNaN(s, 0, s.length()));
    }

    /**
     * Writes {@code data} as CSV (header: feature names, then target names), atomically; gzip-compressed if the file
     * name ends in {@code .gz}. Values are written with {@link Double#toString} (shortest exact form), class
     * indices as integers, so reading the file back gives the same bits.
     */
    public static void write(Path file, Dataset data) throws IOException {
        Objects.requireNonNull(data, "data");
        boolean gz = file.getFileName().toString().endsWith(".gz");
        AtomicFiles.write(file, raw -> {
            java.io.OutputStream os = gz ? new java.util.zip.GZIPOutputStream(raw, 1 << 16) : raw;
            Writer w = new OutputStreamWriter(os, StandardCharsets.UTF_8);
            List<String> head = new ArrayList<>(data.featureNames());
            head.addAll(data.targetNames());
            for (int j = 0; j < head.size(); j++) {
                if (j > 0) {
                    w.write(',');
                }
                w.write(quote(head.get(j)));
            }
            w.write('\n');
            int d = data.numFeatures();
            int t = data.numTargets();
            double[] x = data.x();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < data.size(); i++) {
                sb.setLength(0);
                for (int j = 0; j < d; j++) {
                    sb.append(format(x[i * d + j])).append(',');
                }
                if (data.isClassification()) {
                    sb.append(data.labels()[i]);
                } else {
                    for (int k = 0; k < t; k++) {
                        sb.append(k > 0 ? "," : "").append(format(data.targets()[i * t + k]));
                    }
                }
                sb.append('\n');
                w.append(sb);
            }
            w.flush();
            if (gz) {
                ((java.util.zip.GZIPOutputStream) os).finish();
            }
        });
    }

    // integral values without ".0" keep files such as digits (pixel counts) short
    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15 && !(v == 0 && 1 / v < 0)) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    // The common case, no quotes: scan commas and parse in place, no per-line lists (digits has 115k cells).
    // Column labelCol (-1: none) is a class label, kept as text in label[0].
    private static void parseUnquoted(String line, double[] row, List<String> header, String source, int lineNo,
                                      int labelCol, String[] label) {
        int len = line.length();
        int from = 0;
        for (int j = 0; j < row.length; j++) {
            if (from > len) {
                checkCount(j, row.length, source, lineNo);
            }
            int comma = line.indexOf(',', from);
            int end = comma < 0 ? len : comma;
            if (j == labelCol) {
                label[0] = line.substring(from, end).strip();
            } else {
                row[j] = number(line, from, end, source, lineNo, header.get(j));
            }
            from = end + 1;
            if (comma < 0 && j < row.length - 1) {
                checkCount(j + 1, row.length, source, lineNo);
            }
        }
        if (from <= len) {
            // more commas than header columns
            int count = row.length;
            for (int i = from - 1; i < len; i++) {
                if (line.charAt(i) == ',') {
                    count++;
                }
            }
            checkCount(count, row.length, source, lineNo);
        }
    }

    private static void checkCount(int found, int expected, String source, int lineNo) {
        if (found != expected) {
            throw new InputException("CSV " + source + ", line " + lineNo + ": expected " + expected
                    + " cells as in the header, found " + found);
        }
    }

    private static boolean blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
    }

    private static double number(String line, int from, int end, String source, int lineNo, String column) {
        // trim blanks (spaces, tabs, CR: not every char <= ' ', so a NUL or other control byte is refused below)
        while (from < end && blank(line.charAt(from))) {
            from++;
        }
        while (end > from && blank(line.charAt(end - 1))) {
            end--;
        }
        double v = finiteOrNaN(line, from, end);
        // anything else (an empty cell, text, other blanks) takes the general path, which reads it or says why not
        return Double.isNaN(v) ? number(line.substring(from, end), source, lineNo, column) : v;
    }

    static InputStream maybeGunzip(InputStream in) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
        b.mark(2);
        int b0 = b.read();
        int b1 = b.read();
        b.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new GZIPInputStream(b, 1 << 16);
        }
        return b;
    }

    private static double number(String cell, String source, int lineNo, String column) {
        String s = cell.strip();
        double v = finiteOrNaN(s, 0, s.length());
        if (!Double.isNaN(v)) {
            return v;
        }
        // the message is built only here: building it for every cell cost as much as parsing the cell
        String where = "CSV " + source + ", line " + lineNo + ", column '" + InputException.excerpt(column) + "'";
        if (s.isEmpty()) {
            throw new InputException(where + ": empty cell, expected a number");
        }
        throw notAFiniteNumber(s, where);
    }

    /** A finite decimal number (the one rule of the text readers); where names the place for the message. */
    static double finiteNumber(String s, String where) {
        double v = finiteOrNaN(s, 0, s.length());
        if (Double.isNaN(v)) {
            throw notAFiniteNumber(s, where);
        }
        return v;
    }

    /**
     * The value of {@code s[from, end)} when it is a finite number by the rule of {@link #finiteNumber}, else NaN
     * (the caller then names the fault with {@link #notAFiniteNumber}). Parsed by FastDoubleParser, which reads
     * the syntax of {@link Double#parseDouble} and rounds correctly as it does, so the bits are the same; in place,
     * without a substring.
     */
    static double finiteOrNaN(CharSequence s, int from, int end) {
        if (from == end) {
            return Double.NaN;
        }
        for (int i = from; i < end; i++) {
            if (binary(s.charAt(i))) {
                return Double.NaN;
            }
        }
        if (javaSuffix(s.charAt(end - 1))) {
            return Double.NaN;
        }
        double v;
        try {
            v = JavaDoubleParser.parseDouble(s, from, end - from);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
        return Double.isFinite(v) ? v : Double.NaN;
    }

    /** Why {@code s} is not a finite number (it is not: {@link #finiteOrNaN} said NaN). */
    private static InputException notAFiniteNumber(String s, String where) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (binary(c)) {
                return new InputException(where + ": expected a number, found control character U+"
                        + String.format("%04X", (int) c) + " in '" + InputException.excerpt(s) + "' (binary data?)");
            }
        }
        boolean number = !s.isEmpty() && !javaSuffix(s.charAt(s.length() - 1));
        try {
            JavaDoubleParser.parseDouble(s);
        } catch (NumberFormatException e) {
            number = false;
        }
        // a number that is not finite: NaN, infinity, or beyond the double range
        return new InputException(where + (number ? ": expected a finite number, found '" : ": expected a number, found '")
                + InputException.excerpt(s) + "'");
    }

    // parseDouble strips every char <= ' ' at either end, so "2\0" would read as 2: binary content is refused
    private static boolean binary(char c) {
        return (c < ' ' && c != '\t') || c == 0x7f;
    }

    // Java accepts "1d", "2f" and hex floats; a data file meaning those is more likely a mistake
    private static boolean javaSuffix(char last) {
        return Character.isLetter(last) && last != 'N' && last != 'y';
    }

    /** Splits one line into fields; double quotes may enclose a field, {@code ""} is a literal quote. */
    static List<String> split(String line, String source, int lineNo) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int i = 0;
        int len = line.length();
        while (true) {
            f.setLength(0);
            // skip leading blanks so ` "a"` is still a quoted field
            int start = i;
            while (i < len && line.charAt(i) == ' ') {
                i++;
            }
            if (i < len && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= len) {
                        throw new InputException("CSV " + source + ", line " + lineNo
                                + ": unterminated quoted field");
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        if (i < len && line.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(c);
                    }
                }
                while (i < len && line.charAt(i) == ' ') {
                    i++;
                }
                if (i < len && line.charAt(i) != ',') {
                    throw new InputException("CSV " + source + ", line " + lineNo
                            + ": unexpected text after a quoted field at character " + (i + 1));
                }
            } else {
                i = start;
                int comma = line.indexOf(',', i);
                int end = comma < 0 ? len : comma;
                f.append(line.substring(i, end).strip());
                i = end;
            }
            out.add(f.toString());
            if (i >= len) {
                return out;
            }
            i++; // the comma
            if (i == len) {
                out.add("");
                return out;
            }
        }
    }
}
