package org.hesse.data;

import java.util.Objects;

/**
 * Feature standardisation {@code (x - mean) / scale}, fitted on a training set and applied unchanged to the others
 * (validation, test) so that no information leaks from them. {@code scale} is the population standard deviation
 * (divisor n, as scikit-learn's StandardScaler); a constant feature gets scale 1, so it maps to 0 rather than NaN.
 * The same transform serves regression targets ({@link #fit(double[], int, int)} on the n × t targets; the CLI's
 * default), and {@link #invertInPlace} maps standardised predictions back to the data's units.
 */
public final class Standardizer {

    private final double[] mean;
    private final double[] scale;

    private Standardizer(double[] mean, double[] scale) {
        this.mean = mean;
        this.scale = scale;
    }

    /** A standardiser with given per-feature means and scales (e.g. read back from a run directory). */
    public static Standardizer of(double[] mean, double[] scale) {
        if (mean.length != scale.length) {
            throw new IllegalArgumentException("mean, scale: expected equal lengths, got " + mean.length + " and " + scale.length);
        }
        for (int j = 0; j < scale.length; j++) {
            if (!(scale[j] > 0) || !Double.isFinite(mean[j])) {
                throw new IllegalArgumentException("feature " + j + ": expected a finite mean and a scale > 0, got "
                        + mean[j] + " and " + scale[j]);
            }
        }
        return new Standardizer(mean.clone(), scale.clone());
    }

    public static Standardizer fit(Dataset train) {
        Objects.requireNonNull(train, "train");
        return fit(train.x(), train.size(), train.numFeatures());
    }

    /** Fits on {@code x}, row-major {@code n × d}. */
    public static Standardizer fit(double[] x, int n, int d) {
        Objects.requireNonNull(x, "x");
        if (n < 1 || d < 1 || (long) n * d != x.length) {
            throw new IllegalArgumentException("x: expected n × d values with n, d >= 1, found n=" + n + ", d=" + d
                    + ", length " + x.length);
        }
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += x[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        // second pass about the mean: no cancellation as in E[x²] − E[x]²
        double[] var = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double c = x[i * d + j] - mean[j];
                var[j] += c * c;
            }
        }
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) {
            double s = Math.sqrt(var[j] / n);
            // relative threshold: a feature whose spread is rounding noise around its mean is constant
            scale[j] = s <= 1e-12 * Math.max(1.0, Math.abs(mean[j])) ? 1.0 : s;
        }
        return new Standardizer(mean, scale);
    }

    /** A new data set with standardised features; targets and names shared. */
    public Dataset apply(Dataset data) {
        Objects.requireNonNull(data, "data");
        checkWidth(data.numFeatures());
        double[] x = data.x().clone();
        applyInPlace(x);
        return data.withFeatures(x);
    }

    /** The fitted width, after checking that {@code x} holds whole rows of it. */
    private int checkRows(double[] x) {
        Objects.requireNonNull(x, "x");
        int d = mean.length;
        if (x.length % d != 0) {
            throw new IllegalArgumentException("x: expected a multiple of " + d + " values (rows of the fitted width), found " + x.length);
        }
        return d;
    }

    /** Standardises rows of {@code x} (row-major, width = the fitted feature count) in place. */
    public void applyInPlace(double[] x) {
        int d = checkRows(x);
        for (int i = 0; i < x.length; i += d) {
            for (int j = 0; j < d; j++) {
                x[i + j] = (x[i + j] - mean[j]) / scale[j];
            }
        }
    }

    /**
     * The inverse of {@link #applyInPlace}: {@code x = x' * scale + mean} per column, in place (e.g. a model's
     * predictions of standardised regression targets back to the data's units).
     */
    public void invertInPlace(double[] x) {
        int d = checkRows(x);
        for (int i = 0; i < x.length; i += d) {
            for (int j = 0; j < d; j++) {
                x[i + j] = x[i + j] * scale[j] + mean[j];
            }
        }
    }

    public int numFeatures() {
        return mean.length;
    }

    public double[] mean() {
        return mean.clone();
    }

    public double[] scale() {
        return scale.clone();
    }

    private void checkWidth(int d) {
        if (d != mean.length) {
            throw new IllegalArgumentException("data: expected " + mean.length + " features (as fitted), found " + d);
        }
    }
}
