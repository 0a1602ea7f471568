package org.hesse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Objective;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  private static final int N = 128;
  private static final int D = 2;

  /** Two classes split by the line x0 + 0.5 x1 = 0: linearly separable. */
  private static double[] labels(double[] x) {
    int n = x.length / D;
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = x[i * D] + 0.5 * x[i * D + 1] > 0 ? 1 : 0;
    return y;
  }

  private static Network classifier() {
    return Nets.mlp(D, 8, 8, 2, Activation.TANH, "cross_entropy");
  }

  /** Accuracy by a full-batch forward pass and an argmax written out here. */
  private static double accuracy(Network net, double[] theta, double[] x, double[] y) {
    int n = y.length;
    Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, n);
    double[] z = ws.output();
    int ok = 0;
    for (int i = 0; i < n; i++) {
      int best = z[2 * i + 1] > z[2 * i] ? 1 : 0;
      if (best == (int) y[i]) ok++;
    }
    return (double) ok / n;
  }

  private static boolean sameBits(double[] a, double[] b) {
    if (a.length != b.length) return false;
    for (int i = 0; i < a.length; i++) {
      if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) return false;
    }
    return true;
  }

  @Test
  void trainingReducesTheLossAndMetricsMatchIndependentEvaluation() {
    Network net = classifier();
    double[] x = Nets.features(N, D, 1.0, 11);
    double[] y = labels(x);
    double[] xv = Nets.features(40, D, 1.0, 12);
    double[] yv = labels(xv);
    double[] theta = Init.PYTORCH.init(net, 13);
    double initial = new Objective(net, x, y, N).loss(theta);

    Trainer tr = Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 1e-4, false), Schedule.cosine(0.1, 0.0, 15))
        .batchSize(16).epochs(15).seed(5).evalBatchSize(50).build();
    List<EpochMetrics> h = tr.fit(theta, x, y, xv, yv);

    assertEquals(16, h.size());
    assertEquals(initial, h.get(0).trainLoss(), 1e-12 * initial, "epoch 0 is the initial loss");
    EpochMetrics last = h.get(15);
    assertEquals(15, last.epoch());
    assertEquals(15L * 8, last.steps());
    assertEquals(Schedule.cosine(0.1, 0.0, 15).lr(14, 7, 8), last.lr(), 0.0);
    double finalLoss = new Objective(net, x, y, 7).loss(theta);
    assertEquals(finalLoss, last.trainLoss(), 1e-12 * finalLoss);
    assertTrue(last.trainLoss() < 0.5 * initial, "loss " + last.trainLoss() + " vs initial " + initial);
    assertEquals(accuracy(net, theta, x, y), last.trainAccuracy(), 0.0);
    double val = new Objective(net, xv, yv, 40).loss(theta);
    assertEquals(val, last.valLoss(), 1e-12 * val);
    assertEquals(accuracy(net, theta, xv, yv), last.valAccuracy(), 0.0);
    assertTrue(last.trainAccuracy() > h.get(0).trainAccuracy(), "accuracy should improve");
    assertTrue(Double.isFinite(last.runningLoss()) && last.runningAccuracy() >= 0 && last.runningAccuracy() <= 1);
  }

  @Test
  void adamOnRegressionReducesTheLossAndHasNoAccuracy() {
    Network net = Network.builder(3).dense(6).activation(Activation.TANH).dense(2).build("mse");
    double[] x = Nets.features(64, 3, 1.0, 21);
    double[] y = new double[64 * 2];
    for (int i = 0; i < 64; i++) {
      y[2 * i] = 0.5 * x[3 * i] - x[3 * i + 2];
      y[2 * i + 1] = 0.3 * x[3 * i + 1];
    }
    double[] theta = Init.XAVIER.init(net, 22);
    double initial = new Objective(net, x, y, 64).loss(theta);
    List<EpochMetrics> h = Trainer.builder(net, new Adam(net.paramCount()), Schedule.constant(0.01))
        .batchSize(10).epochs(20).seed(3).build().fit(theta, x, y);
    EpochMetrics last = h.get(h.size() - 1);
    assertTrue(last.trainLoss() < 0.5 * initial, "loss " + last.trainLoss() + " vs initial " + initial);
    assertTrue(Double.isNaN(last.trainAccuracy()) && Double.isNaN(last.valLoss()) && Double.isNaN(last.valAccuracy()));
  }

  private static double[] run(long seed, EpochListener listener) {
    Network net = classifier();
    double[] x = Nets.features(N, D, 1.0, 31);
    double[] y = labels(x);
    double[] theta = Init.KAIMING.init(net, 32);
    Trainer.builder(net, new Adam(net.paramCount(), 0.9, 0.999, 1e-8, 1e-3), Schedule.step(0.01, 0.5, 2))
        .batchSize(12).epochs(4).seed(seed).listener(listener).build().fit(theta, x, y);
    return theta;
  }

  @Test
  void sameSeedGivesSameBitsAndAnotherSeedDoesNot() {
    double[] a = run(7, null);
    double[] b = run(7, null);
    assertTrue(sameBits(a, b), "same seed must give identical parameters");
    assertFalse(sameBits(a, run(8, null)), "the seed must change the visiting order");
  }

  @Test
  void listenerDoesNotPerturbTraining() {
    Network net = classifier();
    Evaluator own = new Evaluator(net, 9);
    double[] probe = Nets.features(30, D, 2.0, 41);
    double[] probeY = labels(probe);
    SplittableRandom analysisRng = new SplittableRandom(99);
    List<double[]> seen = new ArrayList<>();
    int[] calls = {0};
    EpochListener nosy = (m, theta) -> {
      calls[0]++;
      seen.add(theta.clone());
      // forward passes and random draws of its own, then scribbles over the array it was given
      assertTrue(Double.isFinite(own.evaluate(theta, probe, probeY).loss()));
      for (int i = 0; i < 100; i++) analysisRng.nextDouble();
      Arrays.fill(theta, Double.NaN);
    };
    double[] quiet = run(7, null);
    double[] observed = run(7, nosy);
    assertTrue(sameBits(quiet, observed), "a listener must not change training");
    assertEquals(5, calls[0], "epoch 0 and four epochs");
    assertArrayEquals(quiet, seen.get(seen.size() - 1), 0.0, "the last call sees the final parameters");
  }

  @Test
  void divergenceStopsWithEpochAndStepAndKeepsHistory(@TempDir Path dir) throws IOException {
    Network net = Network.builder(3).dense(2).build("mse");
    double[] x = Nets.features(64, 3, 1.0, 51);
    double[] y = Nets.targets(net, 64, 52);
    double[] theta = Init.PYTORCH.init(net, 53);
    Path csv = dir.resolve("metrics.csv");
    // sane for epochs 1–2, then lr 1e98: θ and the loss overflow within a few steps of epoch 3
    Trainer tr = Trainer.builder(net, new Sgd(net.paramCount()), Schedule.step(0.01, 1e100, 2))
        .batchSize(8).epochs(5).seed(1).metricsCsv(csv).build();
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> tr.fit(theta, x, y));
    assertEquals(3, e.epoch());
    // the first step of epoch 3 starts from epoch 2's finite parameters, so it cannot be the one
    assertTrue(e.step() >= 2 && e.step() <= 8, "step " + e.step());
    assertTrue(e.getMessage().contains("epoch 3, step " + e.step() + " of 8"), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(e.value())), e.getMessage());
    assertFalse(Double.isFinite(e.value()));
    assertEquals(3, e.history().size(), "epochs 0, 1, 2");
    for (int k = 0; k < 3; k++) {
      assertEquals(k, e.history().get(k).epoch());
      assertTrue(Double.isFinite(e.history().get(k).trainLoss()));
    }
    List<String> lines = Files.readAllLines(csv);
    assertEquals(4, lines.size(), "header and the three recorded epochs");
    assertEquals(MetricsCsv.HEADER, lines.get(0));
    assertTrue(lines.get(3).startsWith("2,"), lines.get(3));
  }

  @Test
  void metricsCsvHoldsTheHistoryAndNoTemporaryFiles(@TempDir Path dir) throws IOException {
    Network net = classifier();
    double[] x = Nets.features(N, D, 1.0, 61);
    double[] y = labels(x);
    double[] xv = Nets.features(20, D, 1.0, 62);
    double[] yv = labels(xv);
    Path csv = dir.resolve("sub").resolve("m.csv");
    List<EpochMetrics> h = Trainer.builder(net, new Sgd(net.paramCount(), 0.5, 0, false), Schedule.constant(0.05))
        .batchSize(32).epochs(3).seed(2).metricsCsv(csv).build().fit(Init.PYTORCH.init(net, 63), x, y, xv, yv);
    List<String> lines = Files.readAllLines(csv);
    assertEquals(h.size() + 1, lines.size());
    assertEquals("epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr", lines.get(0));
    for (int k = 0; k < h.size(); k++) {
      String[] f = lines.get(k + 1).split(",", -1);
      EpochMetrics m = h.get(k);
      assertEquals(6, f.length);
      assertEquals(m.epoch(), Integer.parseInt(f[0]));
      assertEquals(m.trainLoss(), Double.parseDouble(f[1]), 0.0);
      assertEquals(m.trainAccuracy(), Double.parseDouble(f[2]), 0.0);
      assertEquals(m.valLoss(), Double.parseDouble(f[3]), 0.0);
      assertEquals(m.valAccuracy(), Double.parseDouble(f[4]), 0.0);
      if (k == 0) assertEquals("", f[5], "no rate before the first step");
      else assertEquals(0.05, Double.parseDouble(f[5]), 0.0);
    }
    try (Stream<Path> s = Files.list(csv.getParent())) {
      assertEquals(List.of(csv), s.toList(), "only the metrics file remains");
    }
  }

  @Test
  void argmaxTakesTheFirstMaximumAndNaN() {
    assertEquals(1, Evaluator.argmax(new double[] {0, 3, 3, 1}, 0, 4));
    assertEquals(2, Evaluator.argmax(new double[] {9, 0, 1, 5, 2}, 1, 4));
    assertEquals(2, Evaluator.argmax(new double[] {5, 6, Double.NaN, 7}, 0, 4));
    assertEquals(2, Evaluator.correct(new double[] {1, 0, 0, 1, 2, 1}, new double[] {0, 0, 0}, 3, 2));
  }

  @Test
  void badInputIsNamed() {
    Network net = classifier();
    double[] x = Nets.features(10, D, 1.0, 71);
    double[] theta = Init.PYTORCH.init(net, 72);
    Trainer tr = Trainer.builder(net, new Sgd(net.paramCount()), Schedule.constant(0.1)).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tr.fit(theta, x, new double[9]));
    assertTrue(e.getMessage().startsWith("y:") && e.getMessage().contains("got 9"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> tr.fit(theta, new double[7], new double[3]));
    assertTrue(e.getMessage().startsWith("x:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> tr.fit(theta, x, new double[10], x, null));
    assertTrue(e.getMessage().startsWith("validation:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> tr.fit(new double[3], x, new double[10]));
    assertTrue(e.getMessage().startsWith("theta:"), e.getMessage());
    double[] badLabels = new double[10];
    badLabels[4] = 2;
    e = assertThrows(IllegalArgumentException.class, () -> tr.fit(theta, x, badLabels));
    assertTrue(e.getMessage().contains("row 4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(net, new Sgd(3), Schedule.constant(0.1)).build());
    assertTrue(e.getMessage().startsWith("optimizer:"), e.getMessage());
    assertNotNull(tr);
  }
}
