package org.hesse.hvp.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureChecks;
import org.hesse.linalg.Linalg;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Dense;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Residual;
import org.hesse.simd.Activation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.netlib.util.intW;

/**
 * Residual blocks' composed second-order rules through the curvature battery (finite differences, symmetry,
 * GGN PSD, blocks = slices, k-vector = singles), the lazily cached inner signals, and the back-matching bound
 * on the input side of a block.
 */
class ResidualSecondOrderTest {
  static final int N = 9;
  static final int BATCH = 4;  // three batches, the last partial

  static Layer act(Activation f, int n) {
    return new ActivationLayer(f, n);
  }

  /** [dense(w), f, dense(w)] inside x + α·g(x). */
  static Residual block(int w, Activation f, double alpha) {
    return new Residual(new int[] {w}, alpha, List.of(new Dense(w, w), act(f, w), new Dense(w, w)));
  }

  /** dense(4) → residual[dense(4), tanh, dense(4)] → tanh → dense(3). */
  static Network plain(double alpha, String loss) {
    return Network.builder(3).dense(4).add(block(4, Activation.TANH, alpha)).activation("tanh").dense(3).build(loss);
  }

  /** dense(4) → residual[dense(5), tanh, residual[dense(5), sigmoid] (α 0.7), dense(4)] (α 0.8) → softplus → dense(3). */
  static Network nested(String loss) {
    Residual innerBlock = new Residual(new int[] {5}, 0.7, List.of(new Dense(5, 5), act(Activation.SIGMOID, 5)));
    Residual outer = new Residual(new int[] {4}, 0.8,
        List.of(new Dense(4, 5), act(Activation.TANH, 5), innerBlock, new Dense(5, 4)));
    return Network.builder(3).dense(4).add(outer).activation("softplus").dense(3).build(loss);
  }

  /** residual[dense(3), gelu, dense(3)] first (no input signal wanted) → dense(3) → residual[elu] (no parameters) → dense(2). */
  static Network firstAndParameterFree(String loss) {
    Residual paramFree = new Residual(new int[] {3}, 0.6, List.of(act(Activation.ELU, 3)));
    return Network.builder(3).add(block(3, Activation.GELU, 1.0)).dense(3).add(paramFree).dense(2).build(loss);
  }

  static void battery(Network net, long seed) {
    double[] theta = Nets.gaussian(net.paramCount(), 0.6, seed);
    double[] x = Nets.features(N, net.inputSize(), 1.0, seed + 1);
    double[] y = Nets.targets(net, N, seed + 2);
    CurvatureChecks.all(net, theta, x, y, BATCH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batteryPlain(String loss) {
    battery(plain(1.0, loss), 100);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batteryHalfAlpha(String loss) {
    battery(plain(0.5, loss), 200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batteryNested(String loss) {
    battery(nested(loss), 300);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void batteryFirstLayerAndParameterFreeBlock(String loss) {
    battery(firstAndParameterFree(loss), 400);
  }

  /**
   * The memory estimate counts every graph activation the nested blocks run as (activation and signal), the targets
   * and what each node's rule prepares (σ', σ'' of softplus's input; nothing for dense layers, adds, and tanh and
   * sigmoid, whose rules read their output), counted by hand for {@link #nested}.
   */
  @Test
  void cacheBytesCountsInnerNodesOfNestedBlocks() {
    Network net = nested("mse");
    // nodes: dense 3→4 | dense 4→5, tanh 5, [dense 5→5, sigmoid 5, add 5], dense 5→4, add 4 | softplus 4 | dense 4→3
    long activations = 3 + 2 * (4 + 5 + 5 + 5 + 5 + 5 + 4 + 4 + 4 + 3);
    long targets = 3;  // mse: one target per output
    long prepared = 2 * 4;  // softplus 4
    assertEquals(8L * (activations + targets + prepared) * 7, Curvature.cacheBytes(net, 7));
  }

  /**
   * The backward tangent reuses its pass's inner tangents (same arrays): a second product through the same direction
   * array with new contents must not see the first one's tangents. Compared with a new operator each time.
   */
  @Test
  void reusedDirectionArrayGivesTheFreshProduct() {
    Network net = nested("cross_entropy");
    double[] theta = Nets.gaussian(net.paramCount(), 0.6, 31);
    Curvature c = Curvature.of(net, theta, Nets.features(N, 3, 1.0, 32), Nets.targets(net, N, 33), BATCH);
    var op = c.full(Curvature.Kind.HESSIAN);
    double[] v = new double[net.paramCount()];
    double[] hv = new double[v.length];
    for (long seed = 34; seed < 37; seed++) {
      System.arraycopy(Nets.gaussian(v.length, 1.0, seed), 0, v, 0, v.length);
      op.apply(v, hv);
      double[] expected = new double[v.length];
      c.full(Curvature.Kind.HESSIAN).apply(v.clone(), expected);
      assertArrayEquals(expected, hv, 0.0, "direction " + seed);
    }
  }

  /** Symmetric eigenvalues, ascending, by LAPACK dsyev (a is row-major n × n and symmetric). */
  static double[] eigenvalues(double[] a, int n) {
    double[] copy = a.clone();
    double[] w = new double[n];
    double[] work = new double[Math.max(1, 3 * n)];
    intW info = new intW(0);
    Linalg.lapack().dsyev("N", "U", n, copy, n, w, work, work.length, info);
    assertEquals(0, info.val, "dsyev info");
    return w;
  }

  static double[] gram(double[] a, int n) {
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int l = 0; l < n; l++) g[i * n + j] += a[l * n + i] * a[l * n + j];
    return g;
  }

  /**
   * Issue 6: a block z = x + α·g(x) with ‖α ∂g/∂x‖ ≤ δ < 1 has an input-side back-matching matrix (1/N) J_zᵀ J_z
   * whose condition number is at most ((1+δ)/(1−δ))² (singular values of I + A lie in [1−δ, 1+δ]). The matrix
   * comes from BackMatching (the layer's generic JVP and VJP); ∂g/∂x = W2 diag(tanh'(W1 x + b1)) W1 is built
   * independently from the weights, δ = ‖α ∂g/∂x‖₂ and the spectrum by LAPACK.
   */
  @ParameterizedTest
  @CsvSource({"0.3, 0.02", "0.5, 0.05", "0.9, 0.06"})
  void inputSideConditionIsBoundedBySkipConnection(double alpha, double alphaVariance) {
    int d = 6;
    int n = 8;
    Network net = Network.builder(d).add(block(d, Activation.TANH, alpha)).dense(2).build("mse");
    for (long seed = 0; seed < 4; seed++) {
      // weights N(0, σ²) with α·σ² fixed per case, so that δ stays below 1 at every α
      double[] theta = Nets.gaussian(net.paramCount(), Math.sqrt(alphaVariance / alpha), 50 + seed);
      double[] x = Nets.features(n, d, 1.0, 60 + seed);
      Curvature c = Curvature.of(net, theta, x, Nets.targets(net, n, 70 + seed), 5);
      BackMatching bm = new BackMatching(c);
      int w1 = net.tensors().get("0.block.0.weight").offset;
      int b1 = net.tensors().get("0.block.0.bias").offset;
      int w2 = net.tensors().get("0.block.2.weight").offset;
      for (int s = 0; s < n; s++) {
        double[] m = bm.inputSideMatrix(0, s);
        // A = α W2 diag(1 − tanh²(W1 x + b1)) W1
        double[] a = new double[d * d];
        double[] slope = new double[d];
        for (int i = 0; i < d; i++) {
          double u = theta[b1 + i];
          for (int j = 0; j < d; j++) u += theta[w1 + i * d + j] * x[s * d + j];
          double t = Math.tanh(u);
          slope[i] = 1 - t * t;
        }
        for (int i = 0; i < d; i++) {
          for (int j = 0; j < d; j++) {
            double sum = 0;
            for (int h = 0; h < d; h++) sum += theta[w2 + i * d + h] * slope[h] * theta[w1 + h * d + j];
            a[i * d + j] = alpha * sum;
          }
        }
        double[] jz = a.clone();
        for (int i = 0; i < d; i++) jz[i * d + i] += 1;
        double[] expected = gram(jz, d);
        for (int i = 0; i < d * d; i++) assertEquals(expected[i] / n, m[i], 1e-13, "seed " + seed + " sample " + s);
        double[] ea = eigenvalues(gram(a, d), d);
        double delta = Math.sqrt(ea[d - 1]);
        assertTrue(delta < 1, "the set-up must give δ < 1, got " + delta);
        double[] em = eigenvalues(m, d);
        double lo = em[0] * n;
        double hi = em[d - 1] * n;
        double cond = hi / lo;
        double bound = Math.pow((1 + delta) / (1 - delta), 2);
        assertTrue(lo >= (1 - delta) * (1 - delta) * (1 - 1e-12) && hi <= (1 + delta) * (1 + delta) * (1 + 1e-12),
            "spectrum [" + lo + ", " + hi + "] outside [(1−δ)², (1+δ)²], δ = " + delta);
        assertTrue(cond <= bound * (1 + 1e-12), "condition " + cond + " > bound " + bound + " (δ = " + delta + ")");
        assertTrue(cond > 1 + 1e-3, "a non-trivial case: condition " + cond);
      }
    }
  }
}
