package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.hesse.data.BundledDatasets;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;
import org.hesse.eigen.DenseEigen;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hesse backmatching} on a tiny setting, its table checked against closed forms: the stem's weight side is
 * eig(C) of the data (computed here by loops and LAPACK), orthogonal square/tall weights give input side WᵀW = I
 * (condition 1) at initialisation, and a BN layer's weight side is diag(σ²/(σ²+ε), 1) per unit (condition within
 * ε/σ² of 1).
 */
class BackMatchingCommandTest {
  @Test
  void tableHoldsTheClosedForms(@TempDir Path dir) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rows = 128;
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), "backmatching", "--out",
        dir.toString(), "--epochs", "1", "--width", "8", "--analysis-rows", Integer.toString(rows), "--samples", "2");
    assertEquals(0, code, err.toString());
    List<Map<String, String>> t = CsvRows.read(dir.resolve("backmatching.csv"));
    Set<String> configs = new TreeSet<>();
    Set<String> epochs = new TreeSet<>();
    for (Map<String, String> r : t) {
      configs.add(r.get("config"));
      epochs.add(r.get("epoch"));
    }
    assertEquals(8, configs.size(), configs.toString());
    assertEquals(Set.of("0", "1"), epochs);

    // stem weight side: eig(C), C = (1/m) Σ [x;1][x;1]ᵀ over the first m standardised rows
    Dataset d = BundledDatasets.load("digits");
    double[] x = Standardizer.fit(d).apply(d).x();
    int f = d.numFeatures();
    int q = f + 1;
    double[] c = new double[q * q];
    for (int n = 0; n < rows; n++) {
      for (int i = 0; i < q; i++) {
        double xi = i < f ? x[n * f + i] : 1.0;
        for (int j = 0; j < q; j++) c[i * q + j] += xi * (j < f ? x[n * f + j] : 1.0) / rows;
      }
    }
    double[] e = DenseEigen.all(c, q, false).eigenvalues();
    double max = e[q - 1];
    double min = Double.POSITIVE_INFINITY;
    for (double v : e) if (v > 1e-10 * max) min = Math.min(min, v);
    double stem = max / min;

    int bnRows = 0;
    int orthoRows = 0;
    for (Map<String, String> r : t) {
      double cond = Double.parseDouble(r.get("condition"));
      String where = r.get("config") + " epoch " + r.get("epoch") + " " + r.get("block") + " " + r.get("side");
      if (r.get("layer").equals("0") && r.get("side").equals("weight")) {
        assertEquals(stem, cond, 1e-8 * stem, where);
      }
      if (r.get("type").equals("batchnorm") && r.get("side").equals("weight")) {
        assertTrue(cond >= 1 - 1e-12 && cond < 1 + 1e-3, where + ": " + cond);
        bnRows++;
      }
      if (r.get("config").equals("orthogonal") && r.get("epoch").equals("0") && r.get("type").equals("dense")
          && r.get("side").equals("input")) {
        assertEquals(1.0, cond, 1e-10, where);
        orthoRows++;
      }
    }
    assertTrue(bnRows > 0 && orthoRows == 3, bnRows + " BN rows, " + orthoRows + " orthogonal input rows");
    String md = Files.readString(dir.resolve("backmatching.md"));
    assertTrue(md.contains("## weight side") && md.contains("## input side") && md.contains("1e-10"), md);
  }
}
