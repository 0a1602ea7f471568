package org.hesse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;

/**
 * Warnings when the data given to a trained model differ from the data it was trained on (the numbers would
 * still come out, but describe another problem). The rule, in one place:
 * <ul>
 *   <li>name: the run's config.json names another data set or file (Fashion-MNIST's training and test sets count
 *       as the same data);</li>
 *   <li>statistics: a feature is "off" when its mean on the given data lies more than {@value #MEAN_SDS} training
 *       standard deviations from the training mean, or its standard deviation exceeds {@value #SPREAD_RATIO} times
 *       the training one (both measured after the run's standardisation, i.e. against mean 0 and scale 1); the
 *       warning fires when more than {@value #OFF_SHARE} of the features (and at least one) are off. A share,
 *       not any single feature, so that near-constant pixels of an image set do not raise it on a small subset.</li>
 * </ul>
 */
final class Mismatch {
  private Mismatch() {}

  static final double MEAN_SDS = 3;
  static final double SPREAD_RATIO = 10;
  static final double OFF_SHARE = 0.1;

  static List<String> ofData(JsonNode config, String given, Dataset d) {
    List<String> w = new ArrayList<>();
    if (config.hasNonNull("dataset")) {
      String trained = config.get("dataset").asText();
      if (!canonical(trained).equals(canonical(given))) {
        w.add("the model was trained on '" + trained + "' (config.json), the data given are '" + given + "'");
      }
    }
    if (config.has("features") && config.get("features").asInt() != d.numFeatures()) {
      w.add("the model was trained on " + config.get("features").asInt() + " features, the data have " + d.numFeatures());
    }
    return w;
  }

  private static String canonical(String name) {
    if (CliData.FASHION_TEST.equals(name)) return CliData.FASHION_TRAIN;
    try {
      Path p = Path.of(name);
      return p.getNameCount() > 1 || name.contains(".") ? p.toAbsolutePath().normalize().toString() : name;
    } catch (java.nio.file.InvalidPathException e) {
      return name;
    }
  }

  /** The statistics rule on the raw (not yet standardised) data against the run's feature standardisation. */
  static List<String> ofFeatures(Standardizer st, Dataset d, Path file) {
    int p = d.numFeatures();
    int n = d.size();
    if (st.numFeatures() != p || n == 0) return List.of();
    double[] x = d.x();
    double[] mean = st.mean();
    double[] scale = st.scale();
    int off = 0;
    int worst = -1;
    double worstShift = 0;
    for (int j = 0; j < p; j++) {
      double m = 0;
      for (int i = 0; i < n; i++) m += (x[i * p + j] - mean[j]) / scale[j];
      m /= n;
      double v = 0;
      for (int i = 0; i < n; i++) {
        double z = (x[i * p + j] - mean[j]) / scale[j] - m;
        v += z * z;
      }
      double sd = Math.sqrt(v / n);
      if (Math.abs(m) > MEAN_SDS || sd > SPREAD_RATIO) {
        off++;
        if (Math.abs(m) >= worstShift) {
          worstShift = Math.abs(m);
          worst = j;
        }
      }
    }
    if (off == 0 || off <= OFF_SHARE * p) return List.of();
    return List.of(String.format(Locale.ROOT, "the data do not look like the training data of %s: %d of %d features "
        + "have a mean more than %.0f training standard deviations off or %.0fx the training spread (feature %d: mean "
        + "%.3g training SDs off); already standardised data, or another data set?", file, off, p, MEAN_SDS, SPREAD_RATIO,
        worst, worstShift));
  }
}
