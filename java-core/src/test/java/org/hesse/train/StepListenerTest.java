package org.hesse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Dropout;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/** A step listener sees every K-th step's θ and batch and never changes what training computes. */
class StepListenerTest {
  private static final int N = 70;  // batches of 16: the last one partial (6 rows)
  private static final int D = 3;

  /** BN (running statistics) and dropout (its own generator): both would show a listener that disturbed training. */
  private static Network net() {
    return Network.builder(D).dense(6).add(new BatchNorm(new int[] {6})).activation(Activation.TANH)
        .add(new Dropout(new int[] {6}, 0.3)).dense(3).build("cross_entropy");
  }

  private static double[] labels(double[] x) {
    double[] y = new double[x.length / D];
    for (int i = 0; i < y.length; i++) y[i] = x[i * D] + x[i * D + 1] > 0 ? (x[i * D + 2] > 0 ? 2 : 1) : 0;
    return y;
  }

  private static Trainer.Builder trainer(Network net) {
    return Trainer.builder(net, new Adam(net.paramCount()), Schedule.constant(0.01)).batchSize(16).epochs(3).seed(5);
  }

  @Test
  void trainingIsBitIdenticalWithAListenerThatScribblesOnWhatItIsGiven() {
    Network net = net();
    double[] x = Nets.features(N, D, 1.0, 4);
    double[] y = labels(x);
    double[] theta0 = Init.PYTORCH.init(net, 9);

    double[] thetaA = theta0.clone();
    double[] buffersA = net.initialBuffers();
    List<EpochMetrics> a = trainer(net).build().fit(thetaA, buffersA, x, y);

    double[] thetaB = theta0.clone();
    double[] buffersB = net.initialBuffers();
    List<Long> seen = new ArrayList<>();
    List<EpochMetrics> b = trainer(net).stepListener(2, (step, epoch, th, xb, yb, rows) -> {
      seen.add(step);
      Arrays.fill(th, Double.NaN);
      Arrays.fill(xb, 1e9);
      Arrays.fill(yb, -1);
    }).build().fit(thetaB, buffersB, x, y);

    assertArrayEquals(thetaA, thetaB, 0.0);
    assertArrayEquals(buffersA, buffersB, 0.0);
    assertEquals(a, b);
    // 5 steps per epoch, 3 epochs: every 2nd of the 15
    assertEquals(List.of(2L, 4L, 6L, 8L, 10L, 12L, 14L), seen);
    assertArrayEquals(x, Nets.features(N, D, 1.0, 4), 0.0);  // the caller's data untouched
  }

  @Test
  void theListenerSeesThetaAfterTheStepAndEachEpochsBatchesPartitionTheData() {
    Network net = Nets.mlp(D, 5, 4, 3, Activation.TANH, "cross_entropy");
    double[] x = Nets.features(N, D, 1.0, 6);
    double[] y = labels(x);
    double[] theta = Init.PYTORCH.init(net, 2);
    List<double[]> thetas = new ArrayList<>();
    List<List<String>> rowsPerEpoch = new ArrayList<>();
    for (int e = 0; e < 3; e++) rowsPerEpoch.add(new ArrayList<>());
    trainer(net).stepListener(1, (step, epoch, th, xb, yb, rows) -> {
      thetas.add(th.clone());
      for (int r = 0; r < rows; r++) {
        rowsPerEpoch.get(epoch - 1).add(Arrays.toString(Arrays.copyOfRange(xb, r * D, r * D + D)) + yb[r]);
      }
    }).build().fit(theta, x, y);
    assertEquals(15, thetas.size());
    assertArrayEquals(theta, thetas.get(14), 0.0);  // the last call saw the final parameters
    List<String> all = new ArrayList<>();
    for (int i = 0; i < N; i++) all.add(Arrays.toString(Arrays.copyOfRange(x, i * D, i * D + D)) + y[i]);
    all.sort(null);
    for (List<String> epochRows : rowsPerEpoch) {
      epochRows.sort(null);
      assertEquals(all, epochRows);
    }
    assertTrue(!Arrays.equals(thetas.get(0), thetas.get(1)));
  }

  @Test
  void everyBelowOneIsRefused() {
    Network net = net();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> trainer(net).stepListener(0, (s, ep, th, xb, yb, r) -> { }));
    assertEquals("every: expected >= 1 steps, got 0", e.getMessage());
  }
}
