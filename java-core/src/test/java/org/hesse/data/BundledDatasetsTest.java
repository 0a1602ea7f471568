package org.hesse.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Sizes and class counts against the figures documented by the sources (scikit-learn's DESCR, UCI). */
class BundledDatasetsTest {

    private static void check(String name, int n, int d, int[] classCounts) {
        Dataset ds = BundledDatasets.load(name);
        assertEquals(n, ds.size(), name + " rows");
        assertEquals(d, ds.numFeatures(), name + " features");
        assertEquals(d, ds.featureNames().size());
        assertEquals(n * d, ds.x().length);
        if (classCounts != null) {
            assertTrue(ds.isClassification());
            assertEquals(classCounts.length, ds.numClasses());
            assertArrayEquals(classCounts, ds.classCounts(), name + " class counts");
            assertEquals(classCounts.length, ds.classNames().size());
        }
    }

    @Test
    void sizesAndClassCounts() {
        assertEquals(List.of("iris", "wine", "breast_cancer", "digits", "diabetes"), BundledDatasets.names());
        check("iris", 150, 4, new int[]{50, 50, 50});
        check("wine", 178, 13, new int[]{59, 71, 48});
        check("breast_cancer", 569, 30, new int[]{212, 357});
        // UCI optdigits test set: class counts as in its documentation
        check("digits", 1797, 64, new int[]{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
        check("diabetes", 442, 10, null);
    }

    @Test
    void irisMatchesFishersSummaryStatistics() {
        Dataset iris = BundledDatasets.load("iris");
        assertEquals(List.of("setosa", "versicolor", "virginica"), iris.classNames());
        assertEquals("sepal length (cm)", iris.featureNames().get(0));
        // scikit-learn's DESCR table: min, max, mean, SD (two decimals) per feature. The table comes from UCI's
        // iris.names, whose copy differs from Fisher's in two points (sepal width mean 3.054 vs 3.057) and is
        // truncated to two decimals: hence 0.01.
        double[][] table = {{4.3, 7.9, 5.84, 0.83}, {2.0, 4.4, 3.05, 0.43}, {1.0, 6.9, 3.76, 1.76}, {0.1, 2.5, 1.20, 0.76}};
        double[] x = iris.x();
        for (int j = 0; j < 4; j++) {
            double min = Double.MAX_VALUE, max = -Double.MAX_VALUE, s = 0, s2 = 0;
            for (int i = 0; i < 150; i++) {
                double v = x[i * 4 + j];
                min = Math.min(min, v);
                max = Math.max(max, v);
                s += v;
            }
            double mean = s / 150;
            for (int i = 0; i < 150; i++) {
                s2 += (x[i * 4 + j] - mean) * (x[i * 4 + j] - mean);
            }
            assertEquals(table[j][0], min, 0.0);
            assertEquals(table[j][1], max, 0.0);
            assertEquals(table[j][2], mean, 0.01, "mean of feature " + j);
            assertEquals(table[j][3], Math.sqrt(s2 / 149), 0.01, "SD of feature " + j);
        }
    }

    @Test
    void diabetesAndDigitsRanges() {
        Dataset dia = BundledDatasets.load("diabetes");
        assertFalse(dia.isClassification());
        assertEquals(List.of("target"), dia.targetNames());
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (double v : dia.targets()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        // documented range of the disease-progression response
        assertEquals(25, lo, 0.0);
        assertEquals(346, hi, 0.0);
        for (int i = 0; i < dia.size(); i++) {
            double sex = dia.x()[i * 10 + 1];
            int row = i;
            assertTrue(sex == 1 || sex == 2, () -> "raw sex coding 1/2, row " + row);
        }
        Dataset dig = BundledDatasets.load("digits");
        for (double v : dig.x()) {
            assertTrue(v >= 0 && v <= 16 && v == Math.rint(v), () -> "pixel counts are integers in 0..16: " + v);
        }
    }

    @Test
    void unknownNameListsAvailable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BundledDatasets.load("mnist"));
        assertEquals("unknown bundled data set 'mnist'; expected one of [iris, wine, breast_cancer, digits, diabetes]",
                e.getMessage());
    }

    @Test
    void loadGivesIndependentCopies() {
        Dataset a = BundledDatasets.load("iris");
        a.x()[0] = -1;
        assertEquals(5.1, BundledDatasets.load("iris").x()[0], 0.0);
    }
}
