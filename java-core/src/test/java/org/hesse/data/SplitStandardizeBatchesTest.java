package org.hesse.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.*;

class SplitStandardizeBatchesTest {

    @Test
    void splitIsADeterministicPartition() {
        Dataset wine = BundledDatasets.load("wine");
        Split a = Split.of(wine, 0.2, 42);
        Split b = Split.of(wine, 0.2, 42);
        Split c = Split.of(wine, 0.2, 43);
        assertArrayEquals(a.validationIndex(), b.validationIndex());
        assertFalse(Arrays.equals(a.validationIndex(), c.validationIndex()), "another seed, another split");
        assertEquals(Math.round(0.2 * 178), a.validation().size());
        assertEquals(178 - Math.round(0.2 * 178), a.train().size());
        BitSet seen = new BitSet();
        for (int i : a.trainIndex()) { assertFalse(seen.get(i)); seen.set(i); }
        for (int i : a.validationIndex()) { assertFalse(seen.get(i)); seen.set(i); }
        assertEquals(178, seen.cardinality());
        // the rows really are the indexed rows
        int k = a.validationIndex()[3];
        assertArrayEquals(Arrays.copyOfRange(wine.x(), k * 13, k * 13 + 13), Arrays.copyOfRange(a.validation().x(), 39, 52), 0.0);
        assertEquals(wine.labels()[k], a.validation().labels()[3]);

        Split s = Split.stratified(wine, 0.25, 1);
        int[] counts = s.validation().classCounts();
        assertArrayEquals(new int[]{Math.round(59 * 0.25f), Math.round(71 * 0.25f), Math.round(48 * 0.25f)}, counts);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Split.of(wine, 1.0, 0));
        assertTrue(e.getMessage().contains("validationFraction") && e.getMessage().contains("(0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Split.of(wine, 0.001, 0));
        assertTrue(e.getMessage().contains("gives 0 validation rows"), e.getMessage());
    }

    @Test
    void permutationIsUniformEnough() {
        // every position receives every value about equally often: chi-square-free check with a wide margin
        int n = 4, trials = 8000;
        int[][] hits = new int[n][n];
        for (int s = 0; s < trials; s++) {
            int[] p = Split.permutation(n, s);
            for (int i = 0; i < n; i++) hits[i][p[i]]++;
        }
        for (int[] row : hits) for (int h : row) assertEquals(trials / n, h, 5 * Math.sqrt(trials / (double) n));
    }

    @Test
    void invertUndoesApplyOnRegressionTargets() {
        Dataset diabetes = BundledDatasets.load("diabetes");
        double[] y = diabetes.targets().clone();
        Standardizer st = Standardizer.fit(y, diabetes.size(), diabetes.numTargets());
        double[] z = y.clone();
        st.applyInPlace(z);
        // closed form for one entry: (y - mean) / population sd
        double mean = java.util.Arrays.stream(y).average().orElseThrow();
        double var = java.util.Arrays.stream(y).map(v -> (v - mean) * (v - mean)).sum() / y.length;
        assertEquals((y[7] - mean) / Math.sqrt(var), z[7], 1e-12);
        st.invertInPlace(z);
        for (int i = 0; i < y.length; i++) assertEquals(y[i], z[i], 1e-12 * Math.abs(y[i]));
    }

    @Test
    void standardizerFitsOnTrainOnly() {
        Dataset bc = BundledDatasets.load("breast_cancer");
        Split sp = Split.of(bc, 0.3, 5);
        Standardizer st = Standardizer.fit(sp.train());
        Dataset tr = st.apply(sp.train());
        Dataset va = st.apply(sp.validation());
        int d = bc.numFeatures();
        for (int j = 0; j < d; j++) {
            double m = 0, v = 0;
            for (int i = 0; i < tr.size(); i++) m += tr.x()[i * d + j];
            m /= tr.size();
            for (int i = 0; i < tr.size(); i++) v += Math.pow(tr.x()[i * d + j] - m, 2);
            assertEquals(0, m, 1e-12, "train mean of feature " + j);
            assertEquals(1, v / tr.size(), 1e-12, "train variance of feature " + j);
        }
        // validation uses the train statistics: recompute one entry from raw train rows
        int j = 3;
        double mean = 0;
        for (int i = 0; i < sp.train().size(); i++) mean += sp.train().x()[i * d + j];
        mean /= sp.train().size();
        double var = 0;
        for (int i = 0; i < sp.train().size(); i++) var += Math.pow(sp.train().x()[i * d + j] - mean, 2);
        double expect = (sp.validation().x()[2 * d + j] - mean) / Math.sqrt(var / sp.train().size());
        assertEquals(expect, va.x()[2 * d + j], 1e-12 * Math.abs(expect) + 1e-15);
        assertNotSame(sp.validation().x(), va.x());

        // a constant feature maps to 0, not NaN
        Dataset c = Dataset.regression(new double[]{2, 1, 2, 3}, 2, 2, new double[]{0, 0}, 1, null, null);
        Dataset cs = Standardizer.fit(c).apply(c);
        assertArrayEquals(new double[]{0, -1, 0, 1}, cs.x(), 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.apply(c));
        assertTrue(e.getMessage().contains("expected 30 features") && e.getMessage().contains("found 2"), e.getMessage());
    }

    @Test
    void batchesCoverTheOrderWithAPartialLastBatch() {
        Dataset iris = BundledDatasets.load("iris");
        int[] order = Split.permutation(150, 9);
        Batches b = new Batches(iris, 32);
        assertEquals(5, b.numBatches(150));
        double[] xBuf = b.x();
        int[] lBuf = b.labels();
        b.reset(order);
        int seen = 0, batches = 0;
        while (b.next()) {
            assertSame(xBuf, b.x(), "buffers are reused, not reallocated");
            assertSame(lBuf, b.labels());
            assertEquals(seen, b.start());
            for (int k = 0; k < b.size(); k++) {
                int i = order[seen + k];
                assertArrayEquals(Arrays.copyOfRange(iris.x(), i * 4, i * 4 + 4), Arrays.copyOfRange(b.x(), k * 4, k * 4 + 4), 0.0);
                assertEquals(iris.labels()[i], b.labels()[k]);
            }
            seen += b.size();
            batches++;
        }
        assertEquals(150, seen);
        assertEquals(5, batches);
        assertEquals(0, b.size());

        Dataset dia = BundledDatasets.load("diabetes");
        Batches r = new Batches(dia, 100);
        r.reset(new int[]{441, 0});
        assertTrue(r.next());
        assertEquals(2, r.size());
        assertEquals(dia.targets()[441], r.targets()[0], 0.0);
        assertEquals(dia.targets()[0], r.targets()[1], 0.0);
        assertFalse(r.next());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.reset(new int[]{0, 442}));
        assertEquals("order[1]: expected a row in [0, 442), found 442", e.getMessage());
        assertThrows(IllegalStateException.class, r::labels);
    }
}
