package org.hesse.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A seeded train / validation split. The same data, fraction and seed give the same split on every run and JVM
 * (SplittableRandom's sequence is specified). Each part keeps the original row order.
 */
public record Split(Dataset train, Dataset validation, int[] trainIndex, int[] validationIndex) {

    /**
     * Random split with {@code round(validationFraction · n)} validation rows (at least one row on each side).
     */
    public static Split of(Dataset data, double validationFraction, long seed) {
        Objects.requireNonNull(data, "data");
        int n = data.size();
        int nVal = validationCount(n, validationFraction, "data");
        int[] perm = permutation(n, seed);
        return make(data, Arrays.copyOfRange(perm, nVal, n), Arrays.copyOfRange(perm, 0, nVal));
    }

    /**
     * Stratified split for classification: each class contributes {@code round(validationFraction · count)} of its
     * rows to validation (so the total may differ from the unstratified count by up to half the number of classes).
     */
    public static Split stratified(Dataset data, double validationFraction, long seed) {
        Objects.requireNonNull(data, "data");
        if (!data.isClassification()) {
            throw new IllegalArgumentException("data: stratified split needs a classification data set, found " + data.task());
        }
        validationCount(data.size(), validationFraction, "data");
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] counts = data.classCounts();
        int[] labels = data.labels();
        int nVal = 0;
        int[] take = new int[counts.length];
        for (int c = 0; c < counts.length; c++) {
            take[c] = (int) Math.round(validationFraction * counts[c]);
            nVal += take[c];
        }
        if (nVal == 0 || nVal == data.size()) {
            throw new IllegalArgumentException("validationFraction: " + validationFraction + " leaves an empty side "
                    + "after stratification over class counts " + Arrays.toString(counts));
        }
        int[] val = new int[nVal];
        int[] train = new int[data.size() - nVal];
        int v = 0;
        int t = 0;
        for (int c = 0; c < counts.length; c++) {
            int[] idx = new int[counts[c]];
            int k = 0;
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == c) {
                    idx[k++] = i;
                }
            }
            shuffle(idx, rnd);
            for (int i = 0; i < idx.length; i++) {
                if (i < take[c]) {
                    val[v++] = idx[i];
                } else {
                    train[t++] = idx[i];
                }
            }
        }
        return make(data, train, val);
    }

    /** A uniformly random permutation of {@code 0..n-1} (Fisher–Yates), deterministic given the seed. */
    public static int[] permutation(int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("n: expected >= 0, found " + n);
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p, new SplittableRandom(seed));
        return p;
    }

    /** Shuffles {@code a} in place (Fisher–Yates). */
    public static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }

    private static int validationCount(int n, double fraction, String arg) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validationFraction: expected a value in (0, 1), found " + fraction);
        }
        int nVal = (int) Math.round(fraction * n);
        if (nVal < 1 || nVal > n - 1) {
            throw new IllegalArgumentException("validationFraction: " + fraction + " of " + n + " rows gives " + nVal
                    + " validation rows; need at least one on each side");
        }
        return nVal;
    }

    private static Split make(Dataset data, int[] train, int[] val) {
        Arrays.sort(train);
        Arrays.sort(val);
        return new Split(data.rows(train), data.rows(val), train, val);
    }
}
