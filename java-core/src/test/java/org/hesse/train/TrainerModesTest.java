package org.hesse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Dropout;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Objective;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/** Training steps in TRAIN mode (BN running statistics, dropout), evaluations in EVAL mode. */
class TrainerModesTest {
  static final int N = 64;
  static final int D = 2;

  static double[] labels(double[] x) {
    double[] y = new double[x.length / D];
    for (int i = 0; i < y.length; i++) y[i] = x[i * D] - x[i * D + 1] > 0.2 ? 1 : 0;
    return y;
  }

  static Network bnNet() {
    return Network.builder(D).dense(4).add(new BatchNorm(new int[] {4})).activation(Activation.TANH).dense(2)
        .build("cross_entropy");
  }

  static double evalLoss(Network net, double[] theta, double[] buffers, double[] x, double[] y) {
    int n = y.length;
    Workspace ws = net.newWorkspace(n).mode(Mode.EVAL).buffers(buffers);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    return net.lossAndGradient(theta, ws, y, n, 1.0 / n, null);
  }

  @Test
  void oneFullBatchStepUpdatesTheRunningStatisticsAsPyTorch() {
    Network net = bnNet();
    double[] x = Nets.features(N, D, 1.0, 1);
    for (int i = 0; i < x.length; i++) x[i] = 2 * x[i] + 1;  // inputs with a mean, so running_mean moves
    double[] y = labels(x);
    double[] theta = Init.PYTORCH.init(net, 2);
    double[] theta0 = theta.clone();
    double[] buffers = net.initialBuffers();
    List<EpochMetrics> h = Trainer.builder(net, new Sgd(net.paramCount()), Schedule.constant(0.1))
        .batchSize(N).epochs(1).seed(3).build().fit(theta, buffers, x, y);
    // the BN input of the single step is dense(x) at θ0: order does not matter for a full batch
    for (int c = 0; c < 4; c++) {
      double mean = 0;
      for (int n = 0; n < N; n++) mean += dense(theta0, x, n, c) / N;
      double ss = 0;
      for (int n = 0; n < N; n++) ss += Math.pow(dense(theta0, x, n, c) - mean, 2);
      assertEquals(0.1 * mean, buffers[c], 1e-13, "running_mean " + c);
      assertEquals(0.9 + 0.1 * ss / (N - 1), buffers[4 + c], 1e-13, "running_var " + c + " (unbiased)");
    }
    assertEquals(1.0, buffers[8], 0.0, "num_batches_tracked");
    // epoch 0 is evaluated with the initial buffers, epoch 1 with the updated ones, both in EVAL mode
    assertEquals(evalLoss(net, theta0, net.initialBuffers(), x, y), h.get(0).trainLoss(), 1e-13);
    assertEquals(evalLoss(net, theta, buffers, x, y), h.get(1).trainLoss(), 1e-13);
    double analysis = new Objective(net, x, y, N).loss(theta);
    assertTrue(Math.abs(analysis - h.get(1).trainLoss()) > 1e-4,
        "EVAL (running statistics) differs from batch statistics: " + analysis + " vs " + h.get(1).trainLoss());
  }

  static double dense(double[] t, double[] x, int n, int c) {
    return t[c * D] * x[n * D] + t[c * D + 1] * x[n * D + 1] + t[4 * D + c];
  }

  @Test
  void everyStepCountsAndTheDefaultOverloadKeepsItsOwnBuffers() {
    Network net = bnNet();
    double[] x = Nets.features(N, D, 1.0, 4);
    double[] y = labels(x);
    double[] theta = Init.PYTORCH.init(net, 5);
    double[] buffers = net.initialBuffers();
    Trainer tr = Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 0, false), Schedule.constant(0.05))
        .batchSize(10).epochs(3).seed(6).build();
    double[] t1 = theta.clone();
    tr.fit(t1, buffers, x, y);
    assertEquals(3 * 7, buffers[8], 0.0, "3 epochs × 7 steps (the last of 4 rows)");
    // the overload without buffers trains from the initial buffers: same θ trajectory (batch statistics in TRAIN)
    Trainer tr2 = Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 0, false), Schedule.constant(0.05))
        .batchSize(10).epochs(3).seed(6).build();
    double[] t2 = theta.clone();
    List<EpochMetrics> h2 = tr2.fit(t2, x, y);
    assertArrayEquals(t1, t2, 0.0);
    // but its evaluations used its private running statistics, which equal ours
    assertEquals(evalLoss(net, t2, buffers, x, y), h2.get(3).trainLoss(), 1e-13);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> tr.fit(theta.clone(), new double[3], x, y));
    assertTrue(e.getMessage().contains("buffers") && e.getMessage().contains("9"), e.getMessage());
  }

  @Test
  void dropoutIsSeededIndependentlyOfShufflingAndOffInEvaluation() {
    Network drop = Network.builder(D).dense(8).activation(Activation.RELU).add(new Dropout(new int[] {8}, 0.5))
        .dense(2).build("cross_entropy");
    Network plain = Network.builder(D).dense(8).activation(Activation.RELU).dense(2).build("cross_entropy");
    double[] x = Nets.features(N, D, 1.0, 7);
    double[] y = labels(x);
    double[] theta = Init.PYTORCH.init(plain, 8);
    double[][] runs = new double[3][];
    List<EpochMetrics> last = null;
    long[] seeds = {9, 9, 10};
    for (int r = 0; r < 3; r++) {
      runs[r] = theta.clone();
      last = Trainer.builder(drop, new Sgd(drop.paramCount()), Schedule.constant(0.1)).batchSize(8).epochs(2)
          .seed(seeds[r]).build().fit(runs[r], x, y);
    }
    assertArrayEquals(runs[0], runs[1], 0.0, "same seed, same bits");
    assertFalse(java.util.Arrays.equals(runs[0], runs[2]), "another seed, another run");
    double[] noDrop = theta.clone();
    Trainer.builder(plain, new Sgd(plain.paramCount()), Schedule.constant(0.1)).batchSize(8).epochs(2).seed(9)
        .build().fit(noDrop, x, y);
    assertFalse(java.util.Arrays.equals(runs[0], noDrop), "dropout is active in training");
    // evaluation: dropout off, so the reported loss is the plain network's at the same θ
    assertEquals(new Objective(plain, x, y, N).loss(runs[2]), last.get(2).trainLoss(), 1e-13);
  }

  @Test
  void networksWithoutBuffersTrainBitForBitAsBefore() {
    Network net = Nets.mlp(D, 6, 6, 2, Activation.TANH, "cross_entropy");
    double[] x = Nets.features(N, D, 1.0, 11);
    double[] y = labels(x);
    double[] a = Init.PYTORCH.init(net, 12);
    double[] b = a.clone();
    double[] c = a.clone();
    Trainer.builder(net, new Sgd(net.paramCount()), Schedule.constant(0.1)).batchSize(8).epochs(2).seed(13).build()
        .fit(a, x, y);
    Trainer.builder(net, new Sgd(net.paramCount()), Schedule.constant(0.1)).batchSize(8).epochs(2).seed(13).build()
        .fit(b, null, x, y);
    assertArrayEquals(a, b, 0.0);
    // an independent loop: the documented Fisher–Yates order from the seed, mean-batch gradients, plain SGD
    java.util.SplittableRandom rng = new java.util.SplittableRandom(13);
    int[] perm = new int[N];
    Workspace ws = net.newWorkspace(8);
    double[] yb = new double[8];
    double[] g = new double[c.length];
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int i = 0; i < N; i++) perm[i] = i;
      for (int i = N - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      for (int s = 0; s < N / 8; s++) {
        for (int r = 0; r < 8; r++) {
          System.arraycopy(x, perm[s * 8 + r] * D, ws.input(), r * D, D);
          yb[r] = y[perm[s * 8 + r]];
        }
        java.util.Arrays.fill(g, 0);
        net.lossAndGradient(c, ws, yb, 8, 1.0 / 8, g);
        for (int i = 0; i < c.length; i++) c[i] -= 0.1 * g[i];
      }
    }
    assertArrayEquals(c, a, 0.0, "training without dropout or BN draws nothing from the dropout stream");
  }
}
