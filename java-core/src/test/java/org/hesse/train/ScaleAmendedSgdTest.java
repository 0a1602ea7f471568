package org.hesse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Flatten;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.junit.jupiter.api.Test;

/**
 * Scale-amended SGD against independent computations: plain {@link Sgd} where nothing is amended, the rule
 * written out per element with the batch variance computed here directly, and the acceptance property — the
 * trajectory of w_i/‖w_i‖ does not change when w_i is rescaled at the start (and plain SGD's does).
 */
class ScaleAmendedSgdTest {
  private static final int IN = 5;
  private static final int HIDDEN = 4;
  private static final int CLASSES = 3;

  private static Network bnNet(double eps) {
    return Network.builder(IN).dense(HIDDEN).add(new BatchNorm(new int[] {HIDDEN}, eps, 0.1)).activation("tanh")
        .dense(CLASSES).build("cross_entropy");
  }

  private static double[] data(int n, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) x[i] = 2 * r.nextDouble() - 1 + (i % d == 0 ? 0.7 : 0.0);
    return x;
  }

  private static double[] labels(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = r.nextInt(CLASSES);
    return y;
  }

  /**
   * Only a layer followed by a batch normaliser is amended (the capability, not the class, decides): a layer norm
   * is a normaliser too but has no batch statistics per channel, and a batch norm whose channels differ from the rows
   * before it is skipped.
   */
  @Test
  void onlyLayersBeforeABatchNormaliserAreAmended() {
    Network withLn = Network.builder(4).dense(3).add(new org.hesse.nn.LayerNorm(new int[] {3})).activation("relu")
        .dense(3).add(new BatchNorm(new int[] {3})).dense(CLASSES).build("cross_entropy");
    assertTrue(withLn.layer(1).normaliser());
    ScaleAmendedSgd opt = new ScaleAmendedSgd(withLn, ScaleAmendedSgd.Variant.NORM);
    assertArrayEquals(new int[] {3}, opt.amendedLayers());
    assertEquals(3, opt.amendedRows());
  }

  @Test
  void withoutBatchNormItIsSgdBitForBit() {
    Network net = Network.builder(IN).dense(HIDDEN).activation("tanh").dense(CLASSES).build("cross_entropy");
    double[] x = data(16, IN, 1);
    double[] y = labels(16, 2);
    for (boolean nesterov : new boolean[] {false, true}) {
      ScaleAmendedSgd amended = new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.BATCH_VARIANCE, 0.9, 0.01, nesterov);
      assertEquals(0, amended.amendedRows());
      Sgd sgd = new Sgd(net.paramCount(), 0.9, 0.01, nesterov);
      double[] a = Init.PYTORCH.init(net, 3);
      double[] b = a.clone();
      Workspace ws = net.newWorkspace(16);
      double[] g = new double[net.paramCount()];
      for (int step = 0; step < 5; step++) {
        System.arraycopy(x, 0, ws.input(), 0, x.length);
        java.util.Arrays.fill(g, 0);
        net.lossAndGradient(a, ws, y, 16, 1.0 / 16, g);
        amended.observeBatch(ws, 16);
        amended.step(a, g, 0.1);
        sgd.step(b, g, 0.1);
        assertArrayEquals(b, a, 0.0, "step " + step + " nesterov " + nesterov);
        System.arraycopy(a, 0, b, 0, a.length);
      }
    }
  }

  /** The batch variance of column c of a rows × width activation (spatial values per channel), computed directly. */
  private static double directVariance(double[] u, int rows, int channels, int spatial, int c) {
    double s = 0;
    double q = 0;
    int m = rows * spatial;
    for (int n = 0; n < rows; n++) {
      for (int p = 0; p < spatial; p++) {
        double v = u[n * channels * spatial + c * spatial + p];
        s += v;
        q += v * v;
      }
    }
    double mean = s / m;
    return q / m - mean * mean;
  }

  @Test
  void oneStepIsTheRuleWithTheBatchVarianceOrTheNorm() {
    Network net = bnNet(1e-5);
    int rows = 12;
    double[] x = data(rows, IN, 4);
    double[] y = labels(rows, 5);
    for (ScaleAmendedSgd.Variant variant : ScaleAmendedSgd.Variant.values()) {
      double[] theta = Init.KAIMING.init(net, 6);
      int gOff = net.offset(1);
      double[] gammas = {0.5, 2.0, -1.5, 1e-3}; // the last is below the floor
      System.arraycopy(gammas, 0, theta, gOff, HIDDEN);
      Workspace ws = net.newWorkspace(rows).mode(Mode.TRAIN).buffers(net.initialBuffers());
      System.arraycopy(x, 0, ws.input(), 0, x.length);
      double[] g = new double[net.paramCount()];
      net.lossAndGradient(theta, ws, y, rows, 1.0 / rows, g);
      double lr = 0.3;
      double[] expected = theta.clone();
      for (int p = 0; p < theta.length; p++) expected[p] -= lr * g[p];
      double[] s = new double[HIDDEN];
      for (int i = 0; i < HIDDEN; i++) {
        double num;
        if (variant == ScaleAmendedSgd.Variant.NORM) {
          num = 0;
          for (int j = 0; j < IN; j++) num += theta[i * IN + j] * theta[i * IN + j];
        } else {
          // variance of w_i·x over the batch, without the bias (it cancels), plus BN's ε
          double[] u = new double[rows];
          for (int n = 0; n < rows; n++) for (int j = 0; j < IN; j++) u[n] += theta[i * IN + j] * x[n * IN + j];
          num = directVariance(u, rows, 1, 1, 0) + 1e-5;
        }
        s[i] = num / Math.max(gammas[i] * gammas[i], 1e-4);
        for (int j = 0; j < IN; j++) expected[i * IN + j] = theta[i * IN + j] - lr * s[i] * g[i * IN + j];
      }
      ScaleAmendedSgd opt = new ScaleAmendedSgd(net, variant);
      assertArrayEquals(new int[] {0}, opt.amendedLayers());
      opt.observeBatch(ws, rows);
      opt.step(theta, g, lr);
      // tolerance: the direct variance uses E[u²] − E[u]², ~1e-15 relative here (|mean| ≲ σ)
      assertArrayEquals(s, opt.lastScales(), 1e-12 * (1 + maxAbs(s)), variant.name());
      assertArrayEquals(expected, theta, 1e-13, variant.name());
    }
  }

  @Test
  void convFiltersUseTheChannelVarianceOverBatchAndPositions() {
    Conv2d conv = new Conv2d(new int[] {1, 4, 4}, 2, 3, 1, 1);
    BatchNorm bn = new BatchNorm(new int[] {2, 4, 4});
    Network net = Network.builder(16).inputShape(1, 4, 4).add(conv).add(bn).activation("relu")
        .add(new Flatten(new int[] {2, 4, 4})).dense(CLASSES).build("cross_entropy");
    int rows = 3;
    double[] x = data(rows, 16, 7);
    double[] y = labels(rows, 8);
    double[] theta = Init.PYTORCH.init(net, 9);
    Workspace ws = net.newWorkspace(rows).mode(Mode.TRAIN).buffers(net.initialBuffers());
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    double[] g = new double[net.paramCount()];
    net.lossAndGradient(theta, ws, y, rows, 1.0 / rows, g);
    ScaleAmendedSgd opt = new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.BATCH_VARIANCE);
    assertArrayEquals(new int[] {0}, opt.amendedLayers());
    assertEquals(2, opt.amendedRows());
    double[] before = theta.clone();
    opt.observeBatch(ws, rows);
    opt.step(theta, g, 0.1);
    int patch = conv.patch();
    for (int c = 0; c < 2; c++) {
      double s = directVariance(ws.act(1), rows, 2, 16, c) + bn.eps();
      assertEquals(s, opt.lastScales()[c], 1e-12 * (1 + s));
      for (int j = 0; j < patch; j++) {
        int p = c * patch + j;
        assertEquals(before[p] - 0.1 * s * g[p], theta[p], 1e-14);
      }
    }
    // conv bias, γ, β and the classifier: plain SGD
    for (int p = 2 * patch; p < theta.length; p++) assertEquals(before[p] - 0.1 * g[p], theta[p], 1e-15);
  }

  private static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) m = Math.max(m, Math.abs(v));
    return m;
  }

  /** Trains with the Trainer and returns θ after every epoch (epoch 0 first). */
  private static List<double[]> trajectory(Network net, Optimizer opt, double[] theta0, double[] x, double[] y) {
    List<double[]> out = new ArrayList<>();
    Trainer t = Trainer.builder(net, opt, Schedule.constant(0.2)).batchSize(8).epochs(6).seed(11)
        .listener((m, th) -> out.add(th.clone())).build();
    t.fit(theta0.clone(), net.initialBuffers(), x, y);
    return out;
  }

  /** Largest difference between the unit directions of the amended rows of two parameter vectors. */
  private static double directionGap(double[] a, double[] b) {
    double worst = 0;
    for (int i = 0; i < HIDDEN; i++) {
      double na = 0;
      double nb = 0;
      for (int j = 0; j < IN; j++) {
        na += a[i * IN + j] * a[i * IN + j];
        nb += b[i * IN + j] * b[i * IN + j];
      }
      na = Math.sqrt(na);
      nb = Math.sqrt(nb);
      for (int j = 0; j < IN; j++) worst = Math.max(worst, Math.abs(a[i * IN + j] / na - b[i * IN + j] / nb));
    }
    return worst;
  }

  /** Largest difference over every parameter outside the amended weight rows (biases, γ, β, classifier). */
  private static double restGap(double[] a, double[] b) {
    double worst = 0;
    for (int p = HIDDEN * IN; p < a.length; p++) worst = Math.max(worst, Math.abs(a[p] - b[p]));
    return worst;
  }

  /**
   * Acceptance: BN with ε = 0 makes the loss exactly invariant to w_i → c_i w_i; the amended rule's direction
   * trajectory is then the same in exact arithmetic, so the two runs differ only by rounding (tolerance 1e-9 over
   * 48 steps, with momentum and weight decay). Plain SGD's directions move at rate η/‖w_i‖² and differ by O(1e-2).
   */
  @Test
  void directionTrajectoryIsInvariantToRescalingTheRows() {
    Network net = bnNet(0.0);
    double[] x = data(64, IN, 12);
    double[] y = labels(64, 13);
    double[] theta0 = Init.PYTORCH.init(net, 14);
    double[] scaled = theta0.clone();
    double[] c = {10.0, 0.2, 3.0, 0.5};
    for (int i = 0; i < HIDDEN; i++) for (int j = 0; j < IN; j++) scaled[i * IN + j] *= c[i];
    for (ScaleAmendedSgd.Variant variant : ScaleAmendedSgd.Variant.values()) {
      for (double wd : new double[] {0.0, 0.01}) {
        List<double[]> a = trajectory(net, new ScaleAmendedSgd(net, variant, 0.9, wd, false), theta0, x, y);
        List<double[]> b = trajectory(net, new ScaleAmendedSgd(net, variant, 0.9, wd, false), scaled, x, y);
        assertEquals(7, a.size());
        for (int e = 0; e < a.size(); e++) {
          String where = variant + " wd=" + wd + " epoch " + e;
          assertTrue(directionGap(a.get(e), b.get(e)) < 1e-9, where + ": direction gap " + directionGap(a.get(e), b.get(e)));
          assertTrue(restGap(a.get(e), b.get(e)) < 1e-9, where + ": other parameters gap " + restGap(a.get(e), b.get(e)));
          // and the rows keep their ratio of norms
          for (int i = 0; i < HIDDEN; i++) {
            double ra = 0;
            double rb = 0;
            for (int j = 0; j < IN; j++) {
              ra += a.get(e)[i * IN + j] * a.get(e)[i * IN + j];
              rb += b.get(e)[i * IN + j] * b.get(e)[i * IN + j];
            }
            assertEquals(c[i], Math.sqrt(rb / ra), 1e-9 * c[i], where + " row " + i);
          }
        }
      }
    }
    List<double[]> a = trajectory(net, new Sgd(net.paramCount(), 0.9, 0.0, false), theta0, x, y);
    List<double[]> b = trajectory(net, new Sgd(net.paramCount(), 0.9, 0.0, false), scaled, x, y);
    double gap = directionGap(a.get(a.size() - 1), b.get(b.size() - 1));
    assertTrue(gap > 1e-3, "plain SGD should depend on the rows' scale, direction gap " + gap);
  }

  @Test
  void refusesAStepWithoutTheBatchAndBadArguments() {
    Network net = bnNet(1e-5);
    double[] theta = Init.PYTORCH.init(net, 1);
    double[] g = new double[net.paramCount()];
    ScaleAmendedSgd opt = new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.BATCH_VARIANCE);
    assertThrows(IllegalStateException.class, () -> opt.step(theta, g, 0.1));
    Workspace ws = net.newWorkspace(4);
    assertThrows(IllegalArgumentException.class, () -> opt.observeBatch(ws, 5));
    assertThrows(IllegalArgumentException.class, () -> new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.NORM, 1.0, 0, false));
    assertThrows(IllegalArgumentException.class, () -> ScaleAmendedSgd.Variant.byName("adam"));
    assertEquals(ScaleAmendedSgd.Variant.NORM, ScaleAmendedSgd.Variant.byName("norm"));
    // the norm variant needs only θ
    new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.NORM).step(theta, g, 0.1);
  }
}
