package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * BatchNorm, LayerNorm and Dropout: forward passes against naive loops written here (NCHW indices spelled out),
 * running statistics against hand-computed numbers, values from PyTorch 1.13 (float64, generated offline:
 * {@code x[i] = sin(1.3 i) + 0.1 i}, {@code c[i] = cos(0.7 i)}, loss {@code Σ c ⊙ y}), and backward passes
 * against central differences.
 */
class NormalisationLayersTest {
  static final double EPS = 1e-5;

  static double[] pattern(int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = Math.sin(1.3 * i) + 0.1 * i;
    return x;
  }

  static double[] cosines(int n) {
    double[] c = new double[n];
    for (int i = 0; i < n; i++) c[i] = Math.cos(0.7 * i);
    return c;
  }

  static double[] run(Layer l, double[] theta, double[] x, int batch, LayerContext ctx) {
    double[] z = new double[batch * l.outputSize()];
    l.forward(theta, 0, x, z, batch, ctx);
    return z;
  }

  /** Naive BN over [N, C, H, W] with given statistics source. */
  static double[] naiveBatchNorm(double[] x, int n, int c, int h, int w, double[] gamma, double[] beta,
                                 double[] mean, double[] var) {
    double[] y = new double[x.length];
    for (int s = 0; s < n; s++)
      for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < h; i++)
          for (int j = 0; j < w; j++) {
            int idx = ((s * c + ch) * h + i) * w + j;
            y[idx] = gamma[ch] * (x[idx] - mean[ch]) / Math.sqrt(var[ch] + EPS) + beta[ch];
          }
    return y;
  }

  /** Naive per-channel mean and (biased or unbiased) variance over [N, C, H, W]. */
  static double[][] naiveStats(double[] x, int n, int c, int h, int w) {
    double[] mean = new double[c];
    double[] biased = new double[c];
    double[] unbiased = new double[c];
    int m = n * h * w;
    for (int ch = 0; ch < c; ch++) {
      double s = 0;
      for (int q = 0; q < n; q++) for (int i = 0; i < h * w; i++) s += x[(q * c + ch) * h * w + i];
      mean[ch] = s / m;
      double v = 0;
      for (int q = 0; q < n; q++) for (int i = 0; i < h * w; i++) {
        double d = x[(q * c + ch) * h * w + i] - mean[ch];
        v += d * d;
      }
      biased[ch] = v / m;
      unbiased[ch] = v / (m - 1);
    }
    return new double[][] {mean, biased, unbiased};
  }

  @Test
  void batchNorm2dMatchesPyTorch() {
    BatchNorm bn = new BatchNorm(new int[] {2, 2, 2});
    double[] theta = {1.5, 0.5, 0.1, -0.2};
    double[] x = pattern(16);
    double[] buf = new double[bn.bufferCount()];
    bn.initBuffers(buf, 0);
    LayerContext ctx = LayerContext.standalone(bn, 2, Mode.TRAIN, buf, 0);
    double[] y = run(bn, theta, x, 2, ctx);
    double[] yTorch = {-1.0820363354312637, 0.92604418673083, 0.2688858689532055, -1.8141689842016773,
        -1.1569687593558522, -0.34466708757619147, 0.25404929084924105, -0.1386539344754234, -1.1345748719566802,
        -0.8214506141506772, 1.599349416632296, 2.857951333423966, 0.056974411081390994, -0.5779691842062127,
        -0.290417261590949, 0.5976525252739968};
    assertArrayEquals(yTorch, y, 1e-13);
    assertArrayEquals(new double[] {0.06260527932689065, 0.09285804658712511, 0.9721319786891043, 0.9622041634891056,
        1}, buf, 1e-14, "running_mean, running_var, num_batches_tracked");
    double[] gx = new double[16];
    double[] gt = new double[4];
    bn.backward(theta, 0, x, y, cosines(16), gx, gt, 2, ctx);
    assertArrayEquals(new double[] {0.932249368275752, 0.4631099765013097, -0.651832070666813, -1.8998500175694377,
        0.03472059680778421, -0.16934842803256386, -0.020242726002780095, 0.5389672998787913, 0.5091581367921306,
        0.9287196706716562, 0.434024082400571, -0.7155791464051684, 0.010542238157981255, -0.11724973919263779,
        -0.17915125618321062, -0.0982379854333646}, gx, 1e-12);
    assertArrayEquals(new double[] {0.07957930922391124, 1.5111401133033067, 4.112663856859707, -5.055400936226122},
        gt, 1e-12);
    LayerContext eval = LayerContext.standalone(bn, 2, Mode.EVAL, buf, 0);
    assertArrayEquals(new double[] {0.004756056637193105, 1.622790137213762, 1.093277230353978, -0.5851682836167788,
        -0.4937597727199037, 0.11718115144029208, 0.567482252930944, 0.27212588504990054, -0.03757747615869874,
        0.21472601216947473, 2.1653136050665487, 3.179446640456617, 0.41926009193213104, -0.058287893466855624,
        0.15798303573327935, 0.8259099835103715}, run(bn, theta, x, 2, eval), 1e-13);
  }

  @Test
  void batchNormForwardInEveryModeMatchesNaiveLoops() {
    int n = 5, c = 3, h = 2, w = 4;
    double[] x = new double[n * c * h * w];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < x.length; i++) x[i] = 2 * r.nextDouble() - 0.5 + (i % 7);
    double[] gamma = {0.7, -1.2, 2.0};
    double[] beta = {0.3, 0.0, -1.0};
    double[] theta = {0.7, -1.2, 2.0, 0.3, 0.0, -1.0};
    BatchNorm bn = new BatchNorm(new int[] {c, h, w});
    double[][] st = naiveStats(x, n, c, h, w);
    double[] expected = naiveBatchNorm(x, n, c, h, w, gamma, beta, st[0], st[1]);
    for (Mode mode : new Mode[] {Mode.TRAIN, Mode.ANALYSIS}) {
      double[] buf = new double[bn.bufferCount()];
      bn.initBuffers(buf, 0);
      double[] before = buf.clone();
      assertArrayEquals(expected, run(bn, theta, x, n, LayerContext.standalone(bn, n, mode, buf, 0)), 1e-12, mode.name());
      if (mode == Mode.ANALYSIS) assertArrayEquals(before, buf, 0.0, "ANALYSIS leaves the buffers alone");
    }
    // EVAL: running statistics, set by hand
    double[] buf = {0.5, -0.25, 1.0, 2.0, 0.5, 3.0, 7};
    double[] evalExpected = naiveBatchNorm(x, n, c, h, w, gamma, beta, new double[] {0.5, -0.25, 1.0},
        new double[] {2.0, 0.5, 3.0});
    assertArrayEquals(evalExpected, run(bn, theta, x, n, LayerContext.standalone(bn, n, Mode.EVAL, buf, 0)), 1e-12);
    // 1d on [C] features: per feature over the batch; and [C, L] as BatchNorm1d on sequences
    BatchNorm bn1 = new BatchNorm(new int[] {c * h * w});
    double[] t1 = new double[2 * c * h * w];
    java.util.Arrays.fill(t1, 0, c * h * w, 1.0);
    double[][] s1 = naiveStats(x, n, c * h * w, 1, 1);
    double[] ones = new double[c * h * w];
    java.util.Arrays.fill(ones, 1.0);
    assertArrayEquals(naiveBatchNorm(x, n, c * h * w, 1, 1, ones, new double[c * h * w], s1[0], s1[1]),
        run(bn1, t1, x, n, LayerContext.standalone(bn1, n, Mode.ANALYSIS, null, 0)), 1e-12);
    BatchNorm seq = new BatchNorm(new int[] {c, h * w});
    assertArrayEquals(expected, run(seq, theta, x, n, LayerContext.standalone(seq, n, Mode.ANALYSIS, null, 0)), 1e-12);
  }

  @Test
  void runningStatisticsUseTheUnbiasedVarianceAndMomentum() {
    // features 0: 1, 3, 5 (mean 3, unbiased variance 4); feature 1: 2, 6, 10 (mean 6, unbiased variance 16)
    BatchNorm bn = new BatchNorm(new int[] {2});
    double[] x = {1, 2, 3, 6, 5, 10};
    double[] theta = {1, 1, 0, 0};
    double[] buf = new double[5];
    bn.initBuffers(buf, 0);
    assertArrayEquals(new double[] {0, 0, 1, 1, 0}, buf, 0.0);
    LayerContext ctx = LayerContext.standalone(bn, 3, Mode.TRAIN, buf, 0);
    double[] y = run(bn, theta, x, 3, ctx);
    assertEquals((1 - 3) / Math.sqrt(8.0 / 3 + EPS), y[0], 1e-15, "normalised with the biased variance 8/3");
    // 0.9·0 + 0.1·3, 0.9·0 + 0.1·6; 0.9·1 + 0.1·4, 0.9·1 + 0.1·16
    assertArrayEquals(new double[] {0.3, 0.6, 1.3, 2.5, 1}, buf, 1e-15);
    run(bn, theta, x, 3, ctx);
    // 0.9·0.3 + 0.3 = 0.57, 0.9·0.6 + 0.6 = 1.14; 0.9·1.3 + 0.4 = 1.57, 0.9·2.5 + 1.6 = 3.85
    assertArrayEquals(new double[] {0.57, 1.14, 1.57, 3.85, 2}, buf, 1e-14);
    // momentum 0.5
    BatchNorm half = new BatchNorm(new int[] {2}, 1e-5, 0.5);
    double[] b2 = new double[5];
    half.initBuffers(b2, 0);
    run(half, theta, x, 3, LayerContext.standalone(half, 3, Mode.TRAIN, b2, 0));
    assertArrayEquals(new double[] {1.5, 3.0, 2.5, 8.5, 1}, b2, 1e-15);
    // one value per channel cannot be trained on (PyTorch raises too); analysis may
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run(bn, theta, new double[] {1, 2}, 1, ctx));
    assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
    run(bn, theta, new double[] {1, 2}, 1, LayerContext.standalone(bn, 1, Mode.ANALYSIS, buf, 0));
  }

  @Test
  void layerNormMatchesPyTorchAndANaiveLoop() {
    LayerNorm ln = new LayerNorm(new int[] {2, 2, 2});
    double[] theta = new double[16];
    for (int i = 0; i < 8; i++) {
      theta[i] = 1 + 0.1 * i;
      theta[8 + i] = 0.05 * i;
    }
    double[] x = pattern(16);
    LayerContext ctx = LayerContext.standalone(ln, 2, Mode.ANALYSIS, null, 0);
    double[] y = run(ln, theta, x, 2, ctx);
    assertArrayEquals(new double[] {-0.760679742029898, 0.8921275198742824, 0.4193133691225404, -1.5622823929272733,
        -1.8362401823858692, 0.6483207591318416, 2.7532742715714416, 1.5430069226780831, -1.3437288988373368,
        -1.195171120502497, 0.7061559437861543, 1.9131628153657911, 0.7062341592346955, -1.0019733153694146,
        -0.16863373759038822, 2.696412654145771}, y, 1e-13);
    double[] gx = new double[16];
    double[] gt = new double[16];
    ln.backward(theta, 0, x, y, cosines(16), gx, gt, 2, ctx);
    assertArrayEquals(new double[] {1.944905617968884, 1.342816680691463, 0.5506905440395627, -0.29545513312133465,
        -1.212933421453533, -1.7576485247635536, -1.178514591828527, 0.6061388284670391, 0.9420776765951417,
        1.4006031977803755, 1.4952381595979225, 0.7734447357564791, -0.6183131660568811, -1.7564160579817232,
        -1.7283123617395648, -0.5083221839517499}, gx, 1e-12);
    assertArrayEquals(new double[] {-1.8028300259362875, -0.5462731312150254, 0.42604592795298624, 0.8729709126449714,
        1.1826495254245093, 0.5423413451276945, -0.47919694869117524, -0.5254678338101053},
        java.util.Arrays.copyOf(gt, 8), 1e-12);
    // naive per-sample loop on another shape
    LayerNorm flat = new LayerNorm(new int[] {5});
    double[] xs = Nets.features(3, 5, 2.0, 9);
    double[] th = Nets.gaussian(10, 1.0, 10);
    double[] z = run(flat, th, xs, 3, LayerContext.standalone(flat, 3, Mode.EVAL, null, 0));
    for (int n = 0; n < 3; n++) {
      double mu = 0;
      for (int d = 0; d < 5; d++) mu += xs[n * 5 + d] / 5;
      double v = 0;
      for (int d = 0; d < 5; d++) v += (xs[n * 5 + d] - mu) * (xs[n * 5 + d] - mu) / 5;
      for (int d = 0; d < 5; d++) {
        assertEquals(th[d] * (xs[n * 5 + d] - mu) / Math.sqrt(v + EPS) + th[5 + d], z[n * 5 + d], 1e-13);
      }
    }
  }

  /** Central differences of Σ c ⊙ F(x; θ) against the layer's backward, in a mode without randomness. */
  static void checkBackward(Layer l, int batch, Mode mode, double[] buffers, long seed) {
    double[] x = Nets.features(batch, l.inputSize(), 1.5, seed);
    double[] theta = Nets.gaussian(l.paramCount(), 1.0, seed + 1);
    double[] c = Nets.gaussian(batch * l.outputSize(), 1.0, seed + 2);
    LayerContext ctx = LayerContext.standalone(l, batch, mode, buffers, 0);
    double[] z = run(l, theta, x, batch, ctx);
    double[] gx = new double[x.length];
    double[] gt = new double[theta.length];
    l.backward(theta, 0, x, z, c, gx, gt, batch, ctx);
    double h = 1e-6;
    double err = 0;
    double scale = Math.max(maxAbs(gx), maxAbs(gt));
    for (int i = 0; i < x.length; i++) {
      double o = x[i];
      x[i] = o + h;
      double p = dot(c, run(l, theta, x, batch, ctx));
      x[i] = o - h;
      double q = dot(c, run(l, theta, x, batch, ctx));
      x[i] = o;
      err = Math.max(err, Math.abs((p - q) / (2 * h) - gx[i]));
    }
    for (int i = 0; i < theta.length; i++) {
      double o = theta[i];
      theta[i] = o + h;
      double p = dot(c, run(l, theta, x, batch, ctx));
      theta[i] = o - h;
      double q = dot(c, run(l, theta, x, batch, ctx));
      theta[i] = o;
      err = Math.max(err, Math.abs((p - q) / (2 * h) - gt[i]));
    }
    assertTrue(err < 1e-7 * scale, l.type() + " " + mode + " backward error " + err / scale);
  }

  @Test
  void backwardPassesMatchFiniteDifferences() {
    BatchNorm bn1 = new BatchNorm(new int[] {4});
    BatchNorm bn2 = new BatchNorm(new int[] {2, 3, 2});
    double[] b1 = {0.2, -0.1, 0.0, 0.4, 1.5, 0.7, 1.0, 2.0, 3};
    double[] b2 = {0.2, -0.3, 0.5, 2.0, 0};
    checkBackward(bn1, 6, Mode.ANALYSIS, b1, 1);
    checkBackward(bn1, 6, Mode.EVAL, b1, 2);
    checkBackward(bn2, 3, Mode.ANALYSIS, b2, 3);
    checkBackward(bn2, 3, Mode.EVAL, b2, 4);
    checkBackward(new LayerNorm(new int[] {2, 3}), 4, Mode.ANALYSIS, null, 5);
    checkBackward(new Dropout(new int[] {7}, 0.3), 4, Mode.ANALYSIS, null, 6);
  }

  @Test
  void dropoutKeepsWithProbabilityOneMinusPAndScales() {
    double p = 0.3;
    int n = 4000;
    int w = 5;
    Dropout d = new Dropout(new int[] {w}, p);
    double[] x = Nets.features(n, w, 1.0, 7);
    LayerContext ctx = LayerContext.standalone(d, n, Mode.TRAIN, null, 0);
    assertThrows(IllegalStateException.class, () -> run(d, new double[0], x, n, ctx), "TRAIN needs a generator");
    // the mask is an independent draw from the same seed: kept while u >= p
    Network net = Network.builder(w).add(d).build("mse");
    Workspace ws = net.newWorkspace(n).mode(Mode.TRAIN).rng(new SplittableRandom(8));
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(new double[0], ws, n);
    double[] z = ws.output();
    SplittableRandom ref = new SplittableRandom(8);
    int kept = 0;
    for (int i = 0; i < n * w; i++) {
      boolean keep = ref.nextDouble() >= p;
      assertEquals(keep ? x[i] / (1 - p) : 0.0, z[i], 1e-15);
      if (keep) kept++;
    }
    double frac = (double) kept / (n * w);
    assertEquals(1 - p, frac, 5 * Math.sqrt(p * (1 - p) / (n * w)), "kept fraction");
    // backward uses the same mask
    double[] g = Nets.gaussian(n * w, 1.0, 9);
    double[] gx = new double[n * w];
    d.backward(null, 0, x, z, g, gx, null, n, ws.context(0));
    SplittableRandom ref2 = new SplittableRandom(8);
    for (int i = 0; i < n * w; i++) assertEquals(ref2.nextDouble() >= p ? g[i] / (1 - p) : 0.0, gx[i], 1e-15);
    // ANALYSIS and EVAL: identity
    for (Mode m : new Mode[] {Mode.ANALYSIS, Mode.EVAL}) {
      assertArrayEquals(x, run(d, null, x, n, LayerContext.standalone(d, n, m, null, 0)), 0.0, m.name());
    }
    // p = 1 zeroes everything, p = 0 is the identity even in TRAIN
    Network zero = Network.builder(w).add(new Dropout(new int[] {w}, 1.0)).build("mse");
    Workspace all = zero.newWorkspace(2).mode(Mode.TRAIN).rng(new SplittableRandom(1));
    System.arraycopy(x, 0, all.input(), 0, 2 * w);
    zero.forward(new double[0], all, 2);
    for (int i = 0; i < 2 * w; i++) assertEquals(0.0, all.output()[i], 0.0);
    Network none = Network.builder(w).add(new Dropout(new int[] {w}, 0.0)).build("mse");
    Workspace id = none.newWorkspace(2).mode(Mode.TRAIN).rng(new SplittableRandom(1));
    System.arraycopy(x, 0, id.input(), 0, 2 * w);
    none.forward(new double[0], id, 2);
    assertArrayEquals(java.util.Arrays.copyOf(x, 2 * w), java.util.Arrays.copyOf(id.output(), 2 * w), 0.0);
  }

  @Test
  void badArgumentsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm(new int[] {2, 2, 2, 2}));
    assertTrue(e.getMessage().contains("[C, H, W]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm(new int[] {3}, -1, 0.1));
    assertTrue(e.getMessage().contains("'eps'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm(new int[] {3}, 1e-5, 2));
    assertTrue(e.getMessage().contains("'momentum'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dropout(new int[] {3}, -0.1));
    assertTrue(e.getMessage().contains("'p'"), e.getMessage());
  }

  @Test
  void initSetsGammaOneBetaZeroAndLeavesDenseDrawsUnchanged() {
    Network plain = Network.builder(3).dense(4).dense(2).build("mse");
    Network withNorms = Network.builder(3).dense(4).add(new BatchNorm(new int[] {4})).dense(2)
        .add(new LayerNorm(new int[] {2})).build("mse");
    for (Init scheme : Init.values()) {
      double[] a = scheme.init(plain, 5);
      double[] b = scheme.init(withNorms, 5);
      assertArrayEquals(java.util.Arrays.copyOfRange(a, 0, 16), java.util.Arrays.copyOfRange(b, 0, 16), 0.0);
      assertArrayEquals(new double[] {1, 1, 1, 1, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(b, 16, 24), 0.0);
      assertArrayEquals(java.util.Arrays.copyOfRange(a, 16, 26), java.util.Arrays.copyOfRange(b, 24, 34), 0.0);
      assertArrayEquals(new double[] {1, 1, 0, 0}, java.util.Arrays.copyOfRange(b, 34, 38), 0.0);
    }
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) m = Math.max(m, Math.abs(v));
    return m;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
