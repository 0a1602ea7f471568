package org.hesse.hvp.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/** Per-layer Hutchinson traces from full-vector probes: the analytic variance, and unbiasedness by a z-test. */
class LayerTracesTest {
  /** The table-driven signs against bit b of the i-th draw, one at a time, for whole and partial last draws. */
  @Test
  void rademacherSignsAreTheBitsOfTheDraws() {
    for (int len : new int[] {1, 63, 64, 65, 1000}) {
      double[] z = new double[len + 1];
      z[len] = 7;  // beyond len: untouched
      LayerTraces.rademacher(new SplittableRandom(len), z, len);
      SplittableRandom rng = new SplittableRandom(len);
      long bits = 0;
      for (int i = 0; i < len; i++) {
        if (i % 64 == 0) bits = rng.nextLong();
        assertEquals((bits >>> (i % 64) & 1) == 0 ? 1.0 : -1.0, z[i], 0.0, "len " + len + ", entry " + i);
      }
      assertEquals(7, z[len], 0.0);
    }
  }


  /** Mean and variance of zᵀ(Hz)_l over all 2^n Rademacher vectors: the exact moments the formula must give. */
  @Test
  void varianceFormulaEqualsTheExactMomentsByEnumeration() {
    int n = 10;
    int from = 3;
    int to = 7;
    SplittableRandom rng = new SplittableRandom(1);
    double[] h = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) h[i * n + j] = h[j * n + i] = rng.nextDouble(-1, 1);
    }
    double mean = 0;
    double second = 0;
    double[] z = new double[n];
    for (int mask = 0; mask < (1 << n); mask++) {
      for (int i = 0; i < n; i++) z[i] = (mask >> i & 1) == 1 ? 1 : -1;
      double q = 0;
      for (int i = from; i < to; i++) for (int j = 0; j < n; j++) q += z[i] * h[i * n + j] * z[j];
      mean += q / (1 << n);
      second += q * q / (1 << n);
    }
    double trace = 0;
    for (int i = from; i < to; i++) trace += h[i * n + i];
    assertEquals(trace, mean, 1e-12);
    assertEquals(second - mean * mean, LayerTraces.variance(h, n, from, to), 1e-10);
  }

  static double[] gradient(Network net, double[] theta, double[] x, double[] y, int n) {
    Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    double[] g = new double[net.paramCount()];
    net.lossAndGradient(theta, ws, y, n, 1.0 / n, g);
    return g;
  }

  /**
   * The dense Hessian of the mean loss by central differences of the gradient (independent of the tangent pass),
   * symmetrised.
   */
  static double[] denseHessian(Network net, double[] theta, double[] x, double[] y, int n) {
    int p = net.paramCount();
    double[] h = new double[p * p];
    double eps = 1e-5;
    for (int j = 0; j < p; j++) {
      double[] tp = theta.clone();
      double[] tm = theta.clone();
      tp[j] += eps;
      tm[j] -= eps;
      double[] gp = gradient(net, tp, x, y, n);
      double[] gm = gradient(net, tm, x, y, n);
      for (int i = 0; i < p; i++) h[i * p + j] = (gp[i] - gm[i]) / (2 * eps);
    }
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < i; j++) h[i * p + j] = h[j * p + i] = 0.5 * (h[i * p + j] + h[j * p + i]);
    }
    return h;
  }

  /**
   * z-test of unbiasedness against the exact block traces, with the ANALYTIC variance from the dense Hessian (not
   * the estimator's own spread): M = R·P samples per layer, z = (mean − tr H_ll) / √(Var/M), |z| < 3.29 (two-sided
   * 0.001 per layer; seeded, so deterministic). The sample variance must match the analytic one too (within 15 %,
   * about 5 standard errors of a variance at M = 2000 for these kurtoses), and the off-diagonal blocks' share of it
   * is checked to be large enough that a formula without them would fail.
   */
  @Test
  void perLayerEstimatesAreUnbiasedAgainstExactBlockTraces() {
    Network net = Nets.mlp(3, 4, 3, 3, Activation.TANH, "cross_entropy");
    int n = 12;
    double[] x = Nets.features(n, 3, 1.0, 7);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = i % 3;
    double[] theta = Init.PYTORCH.init(net, 3);
    for (int i = 0; i < theta.length; i++) theta[i] *= 3;  // away from the nearly linear regime: sizeable curvature
    int p = net.paramCount();
    double[] h = denseHessian(net, theta, x, y, n);
    Curvature c = Curvature.of(net, theta, x, y, 5);  // batches of 5, 5, 2: the estimator sums over them

    int probes = 5;
    int repeats = 400;
    List<Integer> layers = net.parametrisedLayers();
    double[] sum = new double[layers.size()];
    double[] sumSq = new double[layers.size()];
    SplittableRandom rng = new SplittableRandom(2026);
    for (int r = 0; r < repeats; r++) {
      LayerTraces.Estimate e = LayerTraces.estimate(c, Curvature.Kind.HESSIAN, probes, rng);
      for (int i = 0; i < layers.size(); i++) {
        for (double q : e.samples()[i]) {
          sum[i] += q;
          sumSq[i] += q * q;
        }
      }
    }
    int m = repeats * probes;
    for (int i = 0; i < layers.size(); i++) {
      int from = net.offset(layers.get(i));
      int to = from + net.layer(layers.get(i)).paramCount();
      double trace = 0;
      for (int j = from; j < to; j++) trace += h[j * p + j];
      double var = LayerTraces.variance(h, p, from, to);
      double mean = sum[i] / m;
      double z = (mean - trace) / Math.sqrt(var / m);
      assertTrue(Math.abs(z) < 3.29, "layer " + i + ": z = " + z + " (mean " + mean + ", exact " + trace + ")");
      double sampleVar = (sumSq[i] - m * mean * mean) / (m - 1);
      assertEquals(1.0, sampleVar / var, 0.15, "layer " + i + ": sample variance " + sampleVar + " vs " + var);
      double inside = 0;  // the variance a probe of layer i alone would have
      for (int a = from; a < to; a++) for (int b = from; b < to; b++) if (a != b) inside += 2 * h[a * p + b] * h[a * p + b];
      assertTrue(var > 1.3 * inside, "layer " + i + ": the off-diagonal blocks should matter: " + var + " vs " + inside);
    }
  }
}
