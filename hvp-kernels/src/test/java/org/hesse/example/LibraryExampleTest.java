package org.hesse.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.eigen.Eigen;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example is {@link LibraryExample}, character for character, and it runs: on a generated
 * classifier its λ_max (ARPACK) agrees with LAPACK on the materialised block to 1e-8 relative, its Hutch++ trace
 * with the exact trace within 5 of its standard errors, its loss with the curvature's.
 */
class LibraryExampleTest {
  static final Path SOURCE = Path.of("src/test/java/org/hesse/example/LibraryExample.java");
  static final String MARKER = "<!-- the example is hvp-kernels/" + SOURCE + " (LibraryExampleTest keeps them equal) -->";

  @Test
  void readmeShowsTheExampleSource() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int at = readme.indexOf(MARKER);
    assertTrue(at >= 0, "README.md lacks the line " + MARKER);
    int start = readme.indexOf("```java\n", at) + "```java\n".length();
    int end = readme.indexOf("```\n", start);
    assertEquals(Files.readString(SOURCE), readme.substring(start, end),
        "README.md's example block differs from " + SOURCE + ": copy the file into the block");
  }

  @Test
  void exampleRunsAndAgreesWithDenseSpectra(@TempDir Path dir) throws Exception {
    Network net = Nets.mlp(4, 6, 5, 3, Activation.TANH, "cross_entropy");
    double[] theta = Init.PYTORCH.init(net, 3);
    int n = 30;
    double[] x = Nets.features(n, 4, 1.0, 4);
    int[] labels = new int[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = labels[i] = i % 3;
    ModelFiles.spec(net).write(dir.resolve("model.json"));
    ModelFiles.writeParameters(net, theta, dir.resolve("model.safetensors"));
    Csv.write(dir.resolve("data.csv"), Dataset.classification(x, n, 4, labels, 3, null, "label", null));

    PrintStream stdout = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      LibraryExample.main(new String[] {dir.toString()});
    } finally {
      System.setOut(stdout);
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    Curvature c = Curvature.of(net, theta, x, y, n);
    assertEquals(c.loss(), Double.parseDouble(lines.get(0).split(" ")[1]), 1e-12 * c.loss());
    List<Integer> layers = net.parametrisedLayers();
    assertEquals(layers.size() + 1, lines.size(), String.join("\n", lines));
    for (int k = 0; k < layers.size(); k++) {
      String[] f = lines.get(k + 1).split(" ");  // layer NAME TYPE params P lambda_max L trace T SOURCE [se S]
      assertEquals(Integer.toString(layers.get(k)), f[1]);
      double[] ev = Eigen.full(c.block(Curvature.Kind.HESSIAN, layers.get(k)), false).eigenvalues();
      double max = ev[ev.length - 1];
      double scale = Math.max(Math.abs(ev[0]), Math.abs(max));
      assertEquals(max, Double.parseDouble(f[6]), 1e-8 * scale, lines.get(k + 1));
      double trace = 0;
      for (double v : ev) trace += v;
      // an exact trace (the small blocks here are solved densely) to rounding, an estimate to 5 standard errors
      double tol = f.length > 10 ? 5 * Double.parseDouble(f[11]) + 1e-12 * scale : 1e-10 * scale;
      assertEquals(f.length > 10 ? 12 : 10, f.length, lines.get(k + 1));
      assertEquals(trace, Double.parseDouble(f[8]), tol, lines.get(k + 1));
    }
  }
}
