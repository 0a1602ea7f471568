package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Dropout;
import org.hesse.nn.Init;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerNorm;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The curvature battery on networks with batch norm (ANALYSIS and EVAL mode), layer norm and dropout, the batch
 * partition's effect on the BN Hessian, and the BN facts of the back-matching issue.
 */
class NormalisationCurvatureTest {
  static final int N = 10;

  /** PyTorch-style weights, with γ and β moved off (1, 0) so that their second-order terms are exercised. */
  static double[] theta(Network net, long seed) {
    double[] t = Init.PYTORCH.init(net, seed);
    SplittableRandom r = new SplittableRandom(seed + 1);
    for (int k = 0; k < net.depth(); k++) {
      Layer l = net.layer(k);
      if (l instanceof BatchNorm || l instanceof LayerNorm) {
        for (int i = 0; i < l.paramCount(); i++) t[net.offset(k) + i] += 0.4 * (2 * r.nextDouble() - 1);
      }
    }
    return t;
  }

  static Network bn1d(String loss) {
    return Network.builder(4).dense(5).add(new BatchNorm(new int[] {5})).activation(Activation.TANH)
        .dense(4).add(new BatchNorm(new int[] {4})).activation(Activation.RELU).dense(3).build(loss);
  }

  /** BN2d first (no input tangent) and after a dense layer viewed as [3, 2, 2]. */
  static Network bn2d(String loss) {
    Network.Builder b = Network.builder(12).inputShape(3, 2, 2);
    b.add(new BatchNorm(b.shape())).dense(12);
    return b.add(new BatchNorm(new int[] {3, 2, 2})).activation(Activation.SOFTPLUS).dense(3).build(loss);
  }

  static Network layerNorm(String loss) {
    Network.Builder b = Network.builder(12).inputShape(3, 2, 2);
    b.add(new LayerNorm(b.shape())).dense(5).add(new LayerNorm(new int[] {5})).activation(Activation.TANH);
    return b.dense(3).build(loss);
  }

  static void battery(Network net, int batch, long seed) {
    double[] theta = theta(net, seed);
    double[] x = Nets.features(N, net.inputSize(), 1.0, seed + 2);
    double[] y = Nets.targets(net, N, seed + 3);
    CurvatureChecks.all(net, theta, x, y, batch);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batchNorm1dPassesTheBatteryForEveryPartition(String loss) {
    battery(bn1d(loss), N, 21);
    battery(bn1d(loss), 4, 22);  // batches of 4, 4, 2
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batchNorm2dPassesTheBattery(String loss) {
    battery(bn2d(loss), N, 23);
    battery(bn2d(loss), 3, 24);  // 3, 3, 3, 1: a one-sample batch still has 4 values per channel
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void layerNormPassesTheBattery(String loss) {
    battery(layerNorm(loss), 4, 25);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void dropoutIsTheIdentityInAnalysis(String loss) {
    Network with = Network.builder(4).dense(5).activation(Activation.TANH).add(new Dropout(new int[] {5}, 0.5))
        .dense(3).build(loss);
    Network without = Network.builder(4).dense(5).activation(Activation.TANH).dense(3).build(loss);
    battery(with, 4, 26);
    double[] theta = theta(with, 27);
    double[] x = Nets.features(N, 4, 1.0, 28);
    double[] y = Nets.targets(with, N, 29);
    for (Kind kind : Kind.values()) {
      double[][] a = CurvatureTest.dense(Curvature.of(with, theta, x, y, 4).full(kind));
      double[][] b = CurvatureTest.dense(Curvature.of(without, theta, x, y, 4).full(kind));
      for (int i = 0; i < a.length; i++) assertArrayEquals(b[i], a[i], 1e-14, kind.id + " row " + i);
    }
  }

  /** The BN Hessian depends on the partition: batch 5 vs one batch of 10, each checked against its own FD. */
  @Test
  void batchPartitionChangesTheBatchNormHessian() {
    Network net = bn1d("cross_entropy");
    double[] theta = theta(net, 30);
    double[] x = Nets.features(N, 4, 1.0, 31);
    double[] y = Nets.targets(net, N, 32);
    Curvature halves = Curvature.of(net, theta, x, y, 5);
    Curvature whole = Curvature.of(net, theta, x, y, N);
    CurvatureChecks.hessianVectorProduct(halves, net, theta, x, y, 5);
    CurvatureChecks.hessianVectorProduct(whole, net, theta, x, y, N);
    double[][] a = CurvatureTest.dense(halves.full(Kind.HESSIAN));
    double[][] b = CurvatureTest.dense(whole.full(Kind.HESSIAN));
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a.length; j++) {
        diff = Math.max(diff, Math.abs(a[i][j] - b[i][j]));
        scale = Math.max(scale, Math.abs(b[i][j]));
      }
    }
    assertTrue(diff > 1e-2 * scale, "partition should matter: max |H_5 − H_10| = " + diff + ", scale " + scale);
    // without BN the same comparison agrees to rounding: the difference above is the batch coupling
    Network plain = Nets.mlp(4, 5, 4, 3, Activation.TANH, "cross_entropy");
    double[] tp = Init.PYTORCH.init(plain, 33);
    double[][] p5 = CurvatureTest.dense(Curvature.of(plain, tp, x, y, 5).full(Kind.HESSIAN));
    double[][] p10 = CurvatureTest.dense(Curvature.of(plain, tp, x, y, N).full(Kind.HESSIAN));
    for (int i = 0; i < p5.length; i++) assertArrayEquals(p10[i], p5[i], 1e-13);
  }

  /** EVAL mode: running statistics, an affine map per channel; checked against FD of the EVAL-mode gradient. */
  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void evalModeBatchNormMatchesFiniteDifferences(String loss) {
    Network net = bn1d(loss);
    double[] theta = theta(net, 40);
    double[] x = Nets.features(N, 4, 1.0, 41);
    double[] y = Nets.targets(net, N, 42);
    double[] buffers = net.initialBuffers();
    SplittableRandom r = new SplittableRandom(43);
    for (ParamTensor t : net.bufferTensors().values()) {
      for (int i = 0; i < t.size(); i++) {
        if (t.name.endsWith("running_mean")) buffers[t.offset + i] = 0.5 * (2 * r.nextDouble() - 1);
        if (t.name.endsWith("running_var")) buffers[t.offset + i] = 0.3 + r.nextDouble();
      }
    }
    Curvature c = Curvature.of(net, theta, buffers, Mode.EVAL, x, y, 4);
    assertEquals(Mode.EVAL, c.mode());
    double[] g = evalGradient(net, theta, buffers, x, y);
    assertArrayEquals(g, c.gradient(), 1e-14 * (1 + CurvatureTest.maxAbs(g)));
    CurvatureChecks.hvpMatchesCentralDifferences(c, theta, t -> evalGradient(net, t, buffers, x, y), 44, 1e-6);
    for (Kind kind : Kind.values()) CurvatureChecks.symmetric(c.full(kind), kind.id);
    CurvatureChecks.ggnPositiveSemidefinite(c);
    CurvatureChecks.blocksAreSlices(c);
    CurvatureChecks.manyEqualsSingles(c);
    // batches do not couple in EVAL mode: the partition does not matter
    double[][] a = CurvatureTest.dense(c.full(Kind.HESSIAN));
    double[][] b = CurvatureTest.dense(Curvature.of(net, theta, buffers, Mode.EVAL, x, y, N).full(Kind.HESSIAN));
    for (int i = 0; i < a.length; i++) assertArrayEquals(b[i], a[i], 1e-13 * (1 + CurvatureTest.maxAbs(b[i])));
  }

  /** Mean-loss gradient in EVAL mode over the whole set (one batch: EVAL does not couple samples). */
  static double[] evalGradient(Network net, double[] theta, double[] buffers, double[] x, double[] y) {
    Workspace ws = net.newWorkspace(N).mode(Mode.EVAL).buffers(buffers);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    double[] g = new double[theta.length];
    net.lossAndGradient(theta, ws, y, N, 1.0 / N, g);
    return g;
  }

  // ---- the BN facts of the back-matching issue, for the block "dense → BN" in ANALYSIS mode

  static final int IN = 3;
  static final int OUT = 4;
  static final int M = 16;

  /** Anisotropic inputs with a non-zero mean. */
  static double[] inputs() {
    double[] x = Nets.features(M, IN, 1.0, 50);
    for (int n = 0; n < M; n++) {
      x[n * IN] = 2.0 * x[n * IN] + 0.5;
      x[n * IN + 1] = 0.7 * x[n * IN + 1] + 0.3 * x[n * IN] - 1.0;
    }
    return x;
  }

  static Network block(double eps) {
    return Network.builder(IN).dense(OUT).add(new BatchNorm(new int[] {OUT}, eps, 0.1)).build("mse");
  }

  /**
   * The back-matching weight-side matrix of BN unit i with respect to w_i (row i of the dense layer), from the
   * curvature engine: the block's GGN under mse with a zero-residual target (y = the block's own output). With
   * mse, {@code ∇²ℓ_n = (2/C) I} and L averages over N, so {@code G = (2/C)·(1/N) JᵀJ}: the back-matching
   * matrix {@code (1/N) JᵀJ} (½‖·‖² averaged over N) is {@code (C/2)·G}, C = OUT. Also checks H = G there.
   */
  static double[][] weightSide(double eps, double[] theta, int unit) {
    Network net = block(eps);
    double[] x = inputs();
    Workspace ws = net.newWorkspace(M);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, M);
    double[] y = java.util.Arrays.copyOf(ws.output(), M * OUT);
    Curvature c = Curvature.of(net, theta, x, y, M);
    double[][] g = CurvatureTest.dense(c.block(Kind.GGN, 0));
    double[][] h = CurvatureTest.dense(c.block(Kind.HESSIAN, 0));
    double[][] m = new double[IN][IN];
    for (int a = 0; a < IN; a++) {
      for (int b = 0; b < IN; b++) {
        m[a][b] = OUT / 2.0 * g[unit * IN + a][unit * IN + b];
        assertEquals(g[unit * IN + a][unit * IN + b], h[unit * IN + a][unit * IN + b], 1e-12 * Math.abs(m[a][b]) + 1e-15,
            "zero residual: H = G");
      }
    }
    return m;
  }

  static double[] blockTheta() {
    Network net = block(0);
    double[] t = Init.PYTORCH.init(net, 51);
    int bn = net.offset(1);
    for (int i = 0; i < OUT; i++) {
      t[bn + i] = 0.5 + 0.25 * i;      // γ
      t[bn + OUT + i] = 0.1 * i - 0.2;  // β
    }
    return t;
  }

  /** Biased covariance Σ of the inputs. */
  static double[][] covariance(double[] x) {
    double[] mean = new double[IN];
    for (int n = 0; n < M; n++) for (int a = 0; a < IN; a++) mean[a] += x[n * IN + a] / M;
    double[][] s = new double[IN][IN];
    for (int n = 0; n < M; n++) {
      for (int a = 0; a < IN; a++) {
        for (int b = 0; b < IN; b++) s[a][b] += (x[n * IN + a] - mean[a]) * (x[n * IN + b] - mean[b]) / M;
      }
    }
    return s;
  }

  /**
   * Closed form of the weight side of BN unit i: with Σ the input covariance, σ² = wᵀΣw, s² = σ² + ε,
   * {@code J_n = (γ/s)[(x_n − x̄) − x̂_n Σw/s]}, so
   * {@code (1/N) Σ_n J_nᵀ J_n = (γ²/s²)[Σ − (2 − σ²/s²) Σw wᵀΣ / s²]}.
   */
  static double[][] closedForm(double[] w, double gamma, double eps) {
    double[][] s = covariance(inputs());
    double[] sw = new double[IN];
    for (int a = 0; a < IN; a++) for (int b = 0; b < IN; b++) sw[a] += s[a][b] * w[b];
    double var = 0;
    for (int a = 0; a < IN; a++) var += w[a] * sw[a];
    double s2 = var + eps;
    double c = (2 - var / s2) / s2;
    double[][] m = new double[IN][IN];
    for (int a = 0; a < IN; a++) {
      for (int b = 0; b < IN; b++) m[a][b] = gamma * gamma / s2 * (s[a][b] - c * sw[a] * sw[b]);
    }
    return m;
  }

  static double[] row(double[] theta, int unit) {
    return java.util.Arrays.copyOfRange(theta, unit * IN, (unit + 1) * IN);
  }

  static double frob(double[][] m) {
    double s = 0;
    for (double[] r : m) for (double v : r) s += v * v;
    return Math.sqrt(s);
  }

  static double variance(double[] w) {
    double[][] s = covariance(inputs());
    double v = 0;
    for (int a = 0; a < IN; a++) for (int b = 0; b < IN; b++) v += w[a] * s[a][b] * w[b];
    return v;
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 1e-5, 0.05})
  void batchNormWeightSideMatchesItsClosedForm(double eps) {
    double[] theta = blockTheta();
    for (int i = 0; i < OUT; i++) {
      double[][] m = weightSide(eps, theta, i);
      double[][] ref = closedForm(row(theta, i), theta[OUT * IN + OUT + i], eps);
      double scale = frob(ref);
      for (int a = 0; a < IN; a++) assertArrayEquals(ref[a], m[a], 1e-10 * scale, "unit " + i + " eps " + eps);
    }
  }

  @Test
  void batchNormWeightSideScalesAsOneOverNormSquaredAndHasWAsNullDirectionAtEpsZero() {
    double[] theta = blockTheta();
    double alpha = 3.0;
    for (int i = 0; i < OUT; i++) {
      double[][] m = weightSide(0.0, theta, i);
      double[] t2 = theta.clone();
      for (int a = 0; a < IN; a++) t2[i * IN + a] *= alpha;
      double[][] m2 = weightSide(0.0, t2, i);
      double scale = frob(m);
      for (int a = 0; a < IN; a++) {
        for (int b = 0; b < IN; b++) assertEquals(m[a][b] / (alpha * alpha), m2[a][b], 1e-10 * scale, "1/‖w‖² scaling");
      }
      double[] w = row(theta, i);
      double mw = 0;
      double nw = 0;
      for (int a = 0; a < IN; a++) {
        double s = 0;
        for (int b = 0; b < IN; b++) s += m[a][b] * w[b];
        mw += s * s;
        nw += w[a] * w[a];
      }
      assertTrue(Math.sqrt(mw) <= 1e-10 * scale * Math.sqrt(nw), "‖M w‖ = " + Math.sqrt(mw) + " at eps = 0");
    }
  }

  @Test
  void withEpsTheNullDirectionAndTheScalingHoldUpToEpsOverVariance() {
    double eps = 0.01;
    double[] theta = blockTheta();
    for (int i = 0; i < OUT; i++) {
      double[] w = row(theta, i);
      double var = variance(w);
      double gamma = theta[OUT * IN + OUT + i];
      double[][] m = weightSide(eps, theta, i);
      double scale = frob(m);
      double quad = 0;
      double mw = 0;
      double nw = 0;
      for (int a = 0; a < IN; a++) {
        double s = 0;
        for (int b = 0; b < IN; b++) s += m[a][b] * w[b];
        quad += w[a] * s;
        mw += s * s;
        nw += w[a] * w[a];
      }
      // wᵀMw = γ² σ² ε² / (σ² + ε)³ exactly
      double s2 = var + eps;
      assertEquals(gamma * gamma * var * eps * eps / (s2 * s2 * s2), quad, 1e-9 * scale * nw, "wᵀMw unit " + i);
      assertTrue(Math.sqrt(mw) <= eps / var * scale * Math.sqrt(nw),
          "‖M w‖/(‖M‖‖w‖) = " + Math.sqrt(mw) / (scale * Math.sqrt(nw)) + " vs ε/σ² = " + eps / var);
      // rescaling w by 2: α²·M(αw) − M(w) is O(ε/σ²) relative, and not zero
      double[] t2 = theta.clone();
      for (int a = 0; a < IN; a++) t2[i * IN + a] *= 2;
      double[][] m2 = weightSide(eps, t2, i);
      double d = 0;
      for (int a = 0; a < IN; a++) for (int b = 0; b < IN; b++) d = Math.max(d, Math.abs(4 * m2[a][b] - m[a][b]));
      assertTrue(d <= 4 * eps / var * scale && d > 0, "scaling defect " + d / scale + " vs ε/σ² = " + eps / var);
    }
  }

  @Test
  void theBlockWeightSideIsDiagonalAcrossUnits() {
    // BN unit i only sees row i: the GGN of [dense, BN] has no coupling between rows of W (and so per-unit blocks)
    Network net = block(1e-5);
    double[] theta = blockTheta();
    double[] x = inputs();
    Workspace ws = net.newWorkspace(M);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, M);
    double[] y = java.util.Arrays.copyOf(ws.output(), M * OUT);
    double[][] g = CurvatureTest.dense(Curvature.of(net, theta, x, y, M).block(Kind.GGN, 0));
    double scale = 0;
    for (double[] r : g) scale = Math.max(scale, CurvatureTest.maxAbs(r));
    List<Integer> units = List.of(0, 1, 2, 3);
    for (int i : units) {
      for (int j : units) {
        if (i == j) continue;
        for (int a = 0; a < IN; a++) {
          for (int b = 0; b < IN; b++) assertEquals(0.0, g[i * IN + a][j * IN + b], 1e-14 * scale);
        }
      }
    }
  }
}
