package org.hesse.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.hesse.eigen.DenseEigen;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.external.ExternalLayer;
import org.hesse.nn.Dense;
import org.hesse.nn.Init;
import org.hesse.nn.Loss;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;

/**
 * docs/external-ops.md shows {@link ExternalOpExample} character for character, and it runs: each layer's λ_max and
 * trace agree to 1e-6 of the block's largest eigenvalue magnitude with the block built by central differences of
 * the gradient (h = 1e-5, symmetrised) and LAPACK; nothing is listed as approximated.
 */
class ExternalOpExampleTest {
  static final Path SOURCE = Path.of("src/test/java/org/hesse/example/ExternalOpExample.java");
  static final String MARKER = "<!-- the example is hvp-kernels/" + SOURCE + " (ExternalOpExampleTest keeps them equal) -->";

  @Test
  void docsShowTheExampleSource() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "external-ops.md"));
    int at = doc.indexOf(MARKER);
    assertTrue(at >= 0, "docs/external-ops.md lacks the line " + MARKER);
    int start = doc.indexOf("```java\n", at) + "```java\n".length();
    int end = doc.indexOf("```\n", start);
    assertEquals(Files.readString(SOURCE), doc.substring(start, end),
        "docs/external-ops.md's example block differs from " + SOURCE + ": copy the file into the block");
  }

  @Test
  void exampleRunsAndAgreesWithDifferencesOfTheGradient() {
    PrintStream stdout = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      ExternalOpExample.main(new String[0]);
    } finally {
      System.setOut(stdout);
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(3, lines.size(), String.join("\n", lines));
    assertEquals("approximations []", lines.get(2));

    // the example's network and data, rebuilt here
    Network net = new Network(new int[] {4}, Loss.byName("cross_entropy"), g -> {
      int fc1 = g.add("fc1", new Dense(4, 8), 0);
      int act = ExternalLayer.add(g, "act", new ExternalOpExample.Softsign(), fc1);
      return g.add("head", new Dense(8, 3), act);
    });
    double[] theta = Init.PYTORCH.init(net, 1);
    Random r = new Random(2);
    int n = 64;
    double[] x = new double[n * 4];
    double[] y = new double[n];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    for (int i = 0; i < n; i++) y[i] = r.nextInt(3);

    List<Integer> layers = net.parametrisedLayers();
    for (int k = 0; k < layers.size(); k++) {
      int layer = layers.get(k);
      int off = net.offset(layer);
      int p = net.layer(layer).paramCount();
      double[] fd = new double[p * p];
      double h = 1e-5;
      for (int j = 0; j < p; j++) {
        double[] tp = theta.clone();
        double[] tm = theta.clone();
        tp[off + j] += h;
        tm[off + j] -= h;
        double[] gp = Curvature.of(net, tp, x, y, 32).gradient();
        double[] gm = Curvature.of(net, tm, x, y, 32).gradient();
        for (int i = 0; i < p; i++) fd[i * p + j] += (gp[off + i] - gm[off + i]) / (4 * h);
        for (int i = 0; i < p; i++) fd[j * p + i] += (gp[off + i] - gm[off + i]) / (4 * h);
      }
      double[] ev = DenseEigen.all(fd, p, false).eigenvalues();
      double scale = Math.max(Math.abs(ev[0]), Math.abs(ev[p - 1]));
      double trace = 0;
      for (double e : ev) trace += e;
      String[] f = lines.get(k).split(" ");  // NAME lambda_max L trace T
      assertEquals(net.layerName(layer), f[0]);
      assertEquals(ev[p - 1], Double.parseDouble(f[2]), 1e-6 * scale, lines.get(k));
      assertEquals(trace, Double.parseDouble(f[4]), 1e-6 * scale, lines.get(k));
    }
  }
}
