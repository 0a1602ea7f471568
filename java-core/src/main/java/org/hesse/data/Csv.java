package org.hesse.data;

import org.hesse.io.AtomicFiles;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * <p>Every cell must be a finite number: an empty cell, NaN, infinity or text is reported with its line number
 * as in the file (the header is line 1) and its column name. For classification the target column holds class
 * indices {@code 0..C-1} (non-negative integers) and {@code C} is the largest index plus one.
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
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("CSV file not found: " + file.toAbsolutePath());
        }
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
            throw new IllegalArgumentException("targetColumns: expected at least one column name, found none");
        }
        if (task == Dataset.Task.CLASSIFICATION && targetColumns.size() != 1) {
            throw new IllegalArgumentException("targetColumns: classification takes one label column, found " + targetColumns);
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(maybeGunzip(in), StandardCharsets.UTF_8), 1 << 16);
        String line = r.readLine();
        int lineNo = 1;
        if (line == null) {
            throw new IllegalArgumentException("CSV " + source + ": empty file, expected a header row");
        }
        if (line.startsWith("\uFEFF")) {
            line = line.substring(1); // UTF-8 byte-order mark written by some spreadsheet programs
        }
        List<String> header = split(line, source, lineNo);
        Map<String, Integer> col = new HashMap<>();
        for (int j = 0; j < header.size(); j++) {
            if (col.put(header.get(j), j) != null) {
                throw new IllegalArgumentException("CSV " + source + ": column name '" + header.get(j)
                        + "' appears twice in the header " + header);
            }
        }
        int[] targetIdx = new int[targetColumns.size()];
        boolean[] isTarget = new boolean[header.size()];
        for (int k = 0; k < targetIdx.length; k++) {
            Integer j = col.get(targetColumns.get(k));
            if (j == null) {
                throw new IllegalArgumentException("CSV " + source + ": target column '" + targetColumns.get(k)
                        + "' not found; header: " + header);
            }
            if (isTarget[j]) {
                throw new IllegalArgumentException("targetColumns: '" + targetColumns.get(k) + "' listed twice");
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
            throw new IllegalArgumentException("CSV " + source + ": no feature columns besides the targets " + targetColumns);
        }
        int d = featureNames.size();
        int t = targetIdx.length;
        boolean classify = task == Dataset.Task.CLASSIFICATION;

        Growable.Doubles x = new Growable.Doubles();
        Growable.Doubles y = new Growable.Doubles();
        Growable.Ints labels = new Growable.Ints();
        int maxLabel = -1;
        double[] row = new double[header.size()];
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            if (line.indexOf('"') < 0) {
                parseUnquoted(line, row, header, source, lineNo);
            } else {
                List<String> cells = split(line, source, lineNo);
                checkCount(cells.size(), header.size(), source, lineNo);
                for (int j = 0; j < row.length; j++) {
                    row[j] = number(cells.get(j), source, lineNo, header.get(j));
                }
            }
            for (int j = 0; j < row.length; j++) {
                if (!isTarget[j]) {
                    x.add(row[j]);
                }
            }
            if (classify) {
                double v = row[targetIdx[0]];
                if (v < 0 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("CSV " + source + ", line " + lineNo + ", column '"
                            + targetColumns.get(0) + "': expected a class index (non-negative integer), found '"
                            + cell(line, targetIdx[0], source, lineNo) + "'");
                }
                labels.add((int) v);
                maxLabel = Math.max(maxLabel, (int) v);
            } else {
                for (int k = 0; k < t; k++) {
                    y.add(row[targetIdx[k]]);
                }
            }
        }
        int n = x.size() / d;
        if (n == 0) {
            throw new IllegalArgumentException("CSV " + source + ": no data rows after the header");
        }
        if (!classify) {
            return Dataset.regression(x.toArray(), n, d, y.toArray(), t, featureNames, targetColumns);
        }
        int numClasses = maxLabel + 1;
        if (classNames != null) {
            if (maxLabel >= classNames.size()) {
                throw new IllegalArgumentException("CSV " + source + ": label " + maxLabel + " out of range for "
                        + classNames.size() + " classes " + classNames);
            }
            numClasses = classNames.size();
        }
        return Dataset.classification(x.toArray(), n, d, labels.toArray(), numClasses, featureNames,
                targetColumns.get(0), classNames);
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
    private static void parseUnquoted(String line, double[] row, List<String> header, String source, int lineNo) {
        int len = line.length();
        int from = 0;
        for (int j = 0; j < row.length; j++) {
            if (from > len) {
                checkCount(j, row.length, source, lineNo);
            }
            int comma = line.indexOf(',', from);
            int end = comma < 0 ? len : comma;
            row[j] = number(line, from, end, source, lineNo, header.get(j));
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
            throw new IllegalArgumentException("CSV " + source + ", line " + lineNo + ": expected " + expected
                    + " cells as in the header, found " + found);
        }
    }

    /** Cell {@code j} of a line, for messages. */
    private static String cell(String line, int j, String source, int lineNo) {
        return split(line, source, lineNo).get(j).strip();
    }

    private static double number(String line, int from, int end, String source, int lineNo, String column) {
        // trim blanks
        while (from < end && line.charAt(from) <= ' ') {
            from++;
        }
        while (end > from && line.charAt(end - 1) <= ' ') {
            end--;
        }
        // fast exact path for short plain integers (pixel counts, class indices); anything else via parseDouble
        int i = from;
        boolean neg = false;
        if (i < end && (line.charAt(i) == '-' || line.charAt(i) == '+')) {
            neg = line.charAt(i) == '-';
            i++;
        }
        if (i < end && end - i <= 15) {
            long v = 0;
            int k = i;
            while (k < end) {
                char c = line.charAt(k);
                if (c < '0' || c > '9') {
                    break;
                }
                v = v * 10 + (c - '0');
                k++;
            }
            if (k == end) {
                return neg ? (v == 0 ? -0.0 : -v) : v;
            }
        }
        return number(line.substring(from, end), source, lineNo, column);
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
        String where = "CSV " + source + ", line " + lineNo + ", column '" + column + "'";
        if (s.isEmpty()) {
            throw new IllegalArgumentException(where + ": empty cell, expected a number");
        }
        return finiteNumber(s, where);
    }

    /** A finite decimal number (the one rule of the text readers); where names the place for the message. */
    static double finiteNumber(String s, String where) {
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        double v;
        try {
            // Java accepts "1d", "2f" and hex floats; a data file meaning those is more likely a mistake
            if (Character.isLetter(last) && last != 'N' && last != 'y') {
                throw new NumberFormatException();
            }
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": expected a number, found '" + s + "'");
        }
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(where + ": expected a finite number, found '" + s + "'");
        }
        return v;
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
                        throw new IllegalArgumentException("CSV " + source + ", line " + lineNo
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
                    throw new IllegalArgumentException("CSV " + source + ", line " + lineNo
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
