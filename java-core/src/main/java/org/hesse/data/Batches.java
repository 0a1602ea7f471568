package org.hesse.data;

import java.util.Objects;

/**
 * Iterates over a data set in mini-batches, in a given row order, copying each batch into buffers allocated once
 * ({@code batchSize × numFeatures} features, {@code batchSize} labels or {@code batchSize × numTargets} targets,
 * row-major). The last batch may be partial: {@link #size()} says how many leading rows are valid.
 * <pre>
 * Batches b = new Batches(train, 64);
 * for (int epoch = 0; ...) {
 *     b.reset(Split.permutation(train.size(), seed + epoch));
 *     while (b.next()) { use b.x(), b.labels(), b.size() }
 * }
 * </pre>
 * Not thread-safe: one iterator per thread.
 */
public final class Batches {

    private final Dataset data;
    private final int batchSize;
    private final int d;
    private final int t;
    private final double[] x;
    private final int[] labels;
    private final double[] targets;
    private int[] order;
    private int pos;
    private int size;
    private int start;

    public Batches(Dataset data, int batchSize) {
        this.data = Objects.requireNonNull(data, "data");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize: expected >= 1, found " + batchSize);
        }
        this.batchSize = batchSize;
        this.d = data.numFeatures();
        this.t = data.numTargets();
        this.x = new double[batchSize * d];
        this.labels = data.isClassification() ? new int[batchSize] : null;
        this.targets = data.isClassification() ? null : new double[batchSize * t];
    }

    /** Number of batches for {@code rows} rows: {@code ceil(rows / batchSize)}. */
    public int numBatches(int rows) {
        return (rows + batchSize - 1) / batchSize;
    }

    /**
     * Starts a pass over the rows {@code order} (a permutation, a subset, or with repeats; not copied, so do not
     * change it during the pass). Every index is checked here, once, not per batch.
     */
    public void reset(int[] order) {
        Objects.requireNonNull(order, "order");
        int n = data.size();
        for (int k = 0; k < order.length; k++) {
            if (order[k] < 0 || order[k] >= n) {
                throw new IllegalArgumentException("order[" + k + "]: expected a row in [0, " + n + "), found " + order[k]);
            }
        }
        this.order = order;
        this.pos = 0;
        this.size = 0;
    }

    /** Fills the buffers with the next batch; false when the pass is over. */
    public boolean next() {
        if (order == null) {
            throw new IllegalStateException("reset(order) must be called before next()");
        }
        if (pos >= order.length) {
            size = 0;
            return false;
        }
        start = pos;
        size = Math.min(batchSize, order.length - pos);
        double[] src = data.x();
        for (int k = 0; k < size; k++) {
            int i = order[pos + k];
            System.arraycopy(src, i * d, x, k * d, d);
        }
        if (labels != null) {
            int[] l = data.labels();
            for (int k = 0; k < size; k++) {
                labels[k] = l[order[pos + k]];
            }
        } else {
            double[] y = data.targets();
            for (int k = 0; k < size; k++) {
                System.arraycopy(y, order[pos + k] * t, targets, k * t, t);
            }
        }
        pos += size;
        return true;
    }

    /** Rows in the current batch (the last one may be short). */
    public int size() {
        return size;
    }

    /** Position in the order of the current batch's first row. */
    public int start() {
        return start;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Feature buffer, {@code batchSize × numFeatures}; rows {@code [0, size())} hold the current batch. */
    public double[] x() {
        return x;
    }

    /** Label buffer (classification). */
    public int[] labels() {
        if (labels == null) {
            throw new IllegalStateException("labels: the data set is for regression; use targets()");
        }
        return labels;
    }

    /** Target buffer (regression), {@code batchSize × numTargets}. */
    public double[] targets() {
        if (targets == null) {
            throw new IllegalStateException("targets: the data set is for classification; use labels()");
        }
        return targets;
    }
}
