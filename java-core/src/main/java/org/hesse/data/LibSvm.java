package org.hesse.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

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
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("LibSVM file not found: " + file.toAbsolutePath());
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), task, numFeatures);
        }
    }

    public static Dataset read(InputStream in, String source, Dataset.Task task, int numFeatures) throws IOException {
        Objects.requireNonNull(task, "task");
        if (numFeatures < 0) {
            throw new IllegalArgumentException("numFeatures: expected >= 0 (0 = infer), found " + numFeatures);
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(Csv.maybeGunzip(in), StandardCharsets.UTF_8), 1 << 16);
        Growable.Doubles ys = new Growable.Doubles();
        Growable.Ints rowStart = new Growable.Ints();
        Growable.Ints cols = new Growable.Ints();
        Growable.Doubles vals = new Growable.Doubles();
        int maxIndex = 0;
        int lineNo = 0;
        String line;
        while ((line = r.readLine()) != null) {
            lineNo++;
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
                    throw new IllegalArgumentException(at + ": expected index:value, found '" + tok[k] + "'");
                }
                int idx;
                try {
                    idx = Integer.parseInt(tok[k].substring(0, colon));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(at + ": expected an integer feature index, found '" + tok[k] + "'");
                }
                if (idx < 1) {
                    throw new IllegalArgumentException(at + ": feature indices are 1-based, found " + idx);
                }
                if (idx <= prev) {
                    throw new IllegalArgumentException(at + ": feature indices must increase, found " + idx + " after " + prev);
                }
                if (numFeatures > 0 && idx > numFeatures) {
                    throw new IllegalArgumentException(at + ": feature index " + idx + " exceeds numFeatures=" + numFeatures);
                }
                prev = idx;
                cols.add(idx - 1);
                vals.add(parse(tok[k].substring(colon + 1), at + ", feature " + idx));
                maxIndex = Math.max(maxIndex, idx);
            }
        }
        int n = ys.size();
        if (n == 0) {
            throw new IllegalArgumentException("LibSVM " + source + ": no samples");
        }
        int d = numFeatures > 0 ? numFeatures : maxIndex;
        if (d == 0) {
            throw new IllegalArgumentException("LibSVM " + source + ": no feature appears; pass numFeatures");
        }
        if ((long) n * d > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("LibSVM " + source + ": " + n + " × " + d + " dense features do not fit in one array");
        }
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
}
