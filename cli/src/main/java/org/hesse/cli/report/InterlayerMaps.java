package org.hesse.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Inter-layer resonance R = ‖H_vw‖_F and coupling C over layer pairs from an {@code interlayer.json} (written by
 * {@code hesse interlayer --out} or {@code analyze --interlayer}), as symmetric matrices over the layers in the order
 * they first appear in its pairs; NaN where a pair was not computed (and on the diagonal).
 */
public record InterlayerMaps(List<String> layers, double[][] resonance, double[][] resonanceSe, double[][] coupling,
                             double[][] couplingSe, double phi) {

  /** Reads the file; null when it does not exist. A file that is not an inter-layer report is refused naming it. */
  public static InterlayerMaps read(Path json) throws IOException {
    if (!Files.isRegularFile(json)) return null;
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    JsonNode pairs = root.path("pairs");
    if (!pairs.isArray()) throw new IllegalArgumentException(json + ": expected an inter-layer report with a \"pairs\" array");
    List<String> layers = new ArrayList<>();
    for (JsonNode p : pairs) {
      for (String k : new String[] {"v", "w"}) if (!layers.contains(p.path(k).asText())) layers.add(p.path(k).asText());
    }
    int n = layers.size();
    double[][][] m = new double[4][n][n];
    for (double[][] a : m) for (double[] row : a) Arrays.fill(row, Double.NaN);
    for (JsonNode p : pairs) {
      int i = layers.indexOf(p.path("v").asText());
      int j = layers.indexOf(p.path("w").asText());
      double[] v = {num(p.path("resonance").path("value")), num(p.path("resonance").path("standard_error")),
          num(p.path("coupling").path("value")), num(p.path("coupling").path("standard_error"))};
      for (int k = 0; k < 4; k++) {
        m[k][i][j] = v[k];
        m[k][j][i] = v[k];
      }
    }
    return new InterlayerMaps(layers, m[0], m[1], m[2], m[3], num(root.path("phi").path("value")));
  }

  /** A JSON number, or NaN for null/missing (Json.num writes non-finite values as null). */
  private static double num(JsonNode n) {
    return n.isNumber() ? n.asDouble() : Double.NaN;
  }
}
