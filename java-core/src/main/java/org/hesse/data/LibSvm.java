package org.hesse.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.hesse.io.InputException;
import org.hesse.io.Inputs;

/**
 * Reads the LibSVM / SVMlight sparse text format: one sample a line, {@code label index:value index:value ...},
 * indices 1-based and strictly increasing, absent features are 0, text after {@code #} is a comment. Gzip files
 * are decompressed transparently. Feature {@code index} becomes column {@code index-1}, named {@code x<index-1>}.
 *
 * <p>Classification: the distinct label values (read as numbers) are sorted ascending and mapped to class indices
 * {@code 0..C-1} in that order, so {@code -1/+1} become 0/1 and {@code 1,2,3} become 0,1,2; {@link Dataset#classNames()}
 * keeps the original values ("-1", "1"). Regression: the label is the single target {@code y}.
 */
public final class LibSvm {

    private LibSvm() {
    }

    /** {@code numFeatures} 0 infers it as the largest index present. */
    public static Dataset read(Path file, Dataset.Task task, int numFeatures) throws IOException {
        Objects.requireNonNull(file, "file");
        org.hesse.io.Inputs.requireFile(file, "LibSVM");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), task, numFeatures);
        }
    }

    public static Dataset read(InputStream in, String source, Dataset.Task task, int numFeatures) throws IOException {
        Objects.requireNonNull(task, "task");
        if (numFeatures < 0) {
            throw new IllegalArgumentException("numFeatures: expected >= 0 (0 = infer), found " + numFeatures);
        }
        try {
            return parse(Inputs.utf8Lines(Csv.maybeGunzip(in)), source, task, numFeatures);
        } catch (IOException e) {
            if (!Inputs.isDataError(e)) throw e;
            throw Inputs.unreadable("LibSVM " + source, e);
        }
    }

    private static Dataset parse(BufferedReader r, String source, Dataset.Task task, int numFeatures)
            throws IOException {
        String src = "LibSVM " + source;
        Growable.Doubles ys = new Growable.Doubles(src + ": the labels");
        Growable.Ints rowStart = new Growable.Ints(src + ": the rows");
        Growable.Ints cols = new Growable.Ints(src + ": the feature indices");
        Growable.Doubles vals = new Growable.Doubles(src + ": the feature values");
        int maxIndex = 0;
        int lineNo = 0;
        String line;
        while ((line = r.readLine()) != null) {
            lineNo++;
            Inputs.checkUtf8Line(line, src + ", line " + lineNo);
            int hash = line.indexOf('#');
            String s = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (s.isEmpty()) {
                continue;
            }
            String[] tok = s.split("\\s+");
            String at = "LibSVM " + source + ", line " + lineNo;
            ys.add(parse(tok[0], at + ", label"));
            rowStart.add(cols.size());
            int prev = 0;
            for (int k = 1; k < tok.length; k++) {
                int colon = tok[k].indexOf(':');
                if (colon <= 0) {
                    throw new InputException(at + ": expected index:value, found '" + InputException.excerpt(tok[k]) + "'");
                }
                int idx;
                try {
                    idx = Integer.parseInt(tok[k].substring(0, colon));
                } catch (NumberFormatException e) {
                    throw new InputException(at + ": expected an integer feature index (1.." + Integer.MAX_VALUE
                            + "), found '" + InputException.excerpt(tok[k]) + "'");
                }
                if (idx < 1) {
                    throw new InputException(at + ": feature indices are 1-based, found " + idx);
                }
                if (idx <= prev) {
                    throw new InputException(at + ": feature indices must increase, found " + idx + " after " + prev);
                }
                if (numFeatures > 0 && idx > numFeatures) {
                    throw new InputException(at + ": feature index " + idx + " exceeds the " + numFeatures + " features expected");
                }
                prev = idx;
                cols.add(idx - 1);
                vals.add(feature(tok[k].substring(colon + 1), at, idx));
                maxIndex = Math.max(maxIndex, idx);
            }
        }
        int n = ys.size();
        if (n == 0) {
            throw new InputException(src + ": no samples (every line blank or a comment)");
        }
        int d = numFeatures > 0 ? numFeatures : maxIndex;
        if (d == 0) {
            throw new InputException(src + ": no feature appears in any line; expected index:value pairs");
        }
        // the dense matrix: refused before allocating when it exceeds one array or the memory budget
        Inputs.checkDoubles(src, (long) n * d, "the dense " + n + " × " + d + " feature matrix");
        double[] x = new double[n * d];
        double[] vArr = vals.toArray();
        for (int i = 0; i < n; i++) {
            int end = i + 1 < n ? rowStart.get(i + 1) : cols.size();
            for (int k = rowStart.get(i); k < end; k++) {
                x[i * d + cols.get(k)] = vArr[k];
            }
        }
        double[] y = ys.toArray();
        if (task == Dataset.Task.REGRESSION) {
            return Dataset.regression(x, n, d, y, 1, null, List.of("y"));
        }
        TreeSet<Double> distinct = new TreeSet<>();
        for (double v : y) {
            distinct.add(v);
        }
        double[] sorted = distinct.stream().mapToDouble(Double::doubleValue).toArray();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = Arrays.binarySearch(sorted, y[i]);
        }
        List<String> names = new ArrayList<>(sorted.length);
        for (double v : sorted) {
            names.add(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v));
        }
        return Dataset.classification(x, n, d, labels, sorted.length, null, "label", names);
    }

    private static double parse(String s, String where) {
        return Csv.finiteNumber(s, where);
    }

    /** A feature value; its message (naming line and feature) is built only when the value is refused. */
    private static double feature(String s, String at, int idx) {
        double v = Csv.finiteOrNaN(s, 0, s.length());
        return Double.isNaN(v) ? parse(s, at + ", feature " + idx) : v;
    }
}
