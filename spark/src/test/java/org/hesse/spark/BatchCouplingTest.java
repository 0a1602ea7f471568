package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.io.ModelFiles;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch norm couples the rows of a batch in analysis mode (batch statistics): its Hessian depends on the batch
 * partition, so it is refused with one line; in eval mode (running statistics) the rows are independent and the
 * distributed products equal the local ones.
 */
class BatchCouplingTest {
  @TempDir Path dir;

  static Network bnNet() {
    return Network.builder(4).dense(5).add(new BatchNorm(new int[] {5})).activation(Activation.TANH).dense(3)
        .build("cross_entropy");
  }

  @Test
  void analysisModeIsRefusedInOneLine() {
    Network net = bnNet();
    int n = 12;
    double[] x = Nets.features(n, 4, 1.0, 1);
    double[] y = Nets.targets(net, n, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DistributedCurvature.of(
        SparkData.parallelize(TestSpark.context(), x, y, 4, 5, 7), net, Init.PYTORCH.init(net, 1), net.initialBuffers(),
        Mode.ANALYSIS, 256));
    assertTrue(e.getMessage().contains("batch norm") && e.getMessage().contains("--mode eval"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  @Test
  void theEntryPointRefusesItWithExitCode2AndWritesNothing() throws Exception {
    Network net = bnNet();
    int n = 12;
    Path model = dir.resolve("model.json");
    Path weights = dir.resolve("weights.safetensors");
    Path csv = dir.resolve("data.csv");
    Path out = dir.resolve("report.json");
    ModelFiles.spec(net).write(model);
    ModelFiles.writeParameters(net, Init.PYTORCH.init(net, 1), net.initialBuffers(), weights);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = i % 3;
    Csv.write(csv, Dataset.classification(Nets.features(n, 4, 1.0, 1), n, 4, labels, 3, null, "label", null));
    StringWriter err = new StringWriter();
    int code = SparkSpectrum.run(TestSpark.session(), new PrintWriter(new StringWriter()), new PrintWriter(err),
        "--model", model.toString(), "--weights", weights.toString(), "--data", csv.toString(), "--target", "label",
        "--out", out.toString());
    assertEquals(2, code, err.toString());
    String msg = err.toString().strip();
    assertEquals(1, msg.lines().count(), "one line: " + msg);
    assertTrue(msg.startsWith("hesse: error: --mode analysis: the network has batch norm"), msg);
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void evalModeProductsEqualTheLocalOnes() {
    Network net = bnNet();
    int n = 23;
    double[] x = Nets.features(n, 4, 1.0, 3);
    double[] y = Nets.targets(net, n, 4);
    double[] theta = Init.PYTORCH.init(net, 1);
    // running statistics away from the initial (0, 1), so that the buffers matter
    double[] buffers = net.initialBuffers();
    for (int i = 0; i < buffers.length; i++) buffers[i] += 0.3 * Math.sin(i + 1) + (i >= 5 ? 0.5 : 0);
    Curvature local = Curvature.of(net, theta, buffers, Mode.EVAL, x, y, 256);
    try (DistributedCurvature dc = DistributedCurvature.of(SparkData.parallelize(TestSpark.context(), x, y, 4, 6, 10, 7),
        net, theta, buffers, Mode.EVAL, 4)) {
      for (Curvature.Kind kind : Curvature.Kind.values()) {
        DistributedCurvatureTest.compare(local.full(kind), dc.full(kind), "eval " + kind + " full", 2);
        for (int l : net.parametrisedLayers()) {
          DistributedCurvatureTest.compare(local.block(kind, l), dc.block(kind, l), "eval " + kind + " block " + l, 1);
        }
      }
    }
  }
}
