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
    double[][] r = zTest(net, theta, x, y, n);
    for (int i = 0; i < r[0].length; i++) {
      assertTrue(r[2][i] > 1.3 * r[3][i], "layer " + i + ": the off-diagonal blocks should matter: " + r[2][i] + " vs " + r[3][i]);
    }
  }

  /**
   * The same z-test on a network with a shared tensor (h1's weight used again by h2, the estimator over the unique
   * parameters): each layer's estimate is unbiased against the trace of its block of the tied Hessian EᵀHE (dense by
   * central differences of the gradient in the unique parameters, so the cross terms between the uses are in it).
   * The test has the power to see them: h1's trace without the second use (the untied network's h1 block at the same
   * values) is more than 4 standard errors away (5.1 here).
   */
  @Test
  void perLayerEstimatesAreUnbiasedOnATiedNetwork() {
    Network net = org.hesse.io.ModelFiles.network(org.hesse.io.ModelSpec.parse("""
        {"input": 3, "loss": "cross_entropy", "nodes": [
          {"name": "h1", "type": "dense", "out": 3}, {"name": "a1", "type": "tanh"},
          {"name": "h2", "type": "dense", "out": 3, "share": {"weight": "h1.weight"}}, {"name": "a2", "type": "tanh"},
          {"name": "head", "type": "dense", "out": 3}]}"""));
    int n = 12;
    double[] x = Nets.features(n, 3, 1.0, 8);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = i % 3;
    double[] theta = Init.PYTORCH.init(net, 4);
    for (int i = 0; i < theta.length; i++) theta[i] *= 1.5;
    double[][] r = zTest(net, theta, x, y, n);
    Network free = org.hesse.io.ModelFiles.network(org.hesse.io.ModelSpec.parse(
        org.hesse.io.ModelFiles.spec(net).toJson().replace("\"share\"", "\"unused\"")));
    double[] slots = new double[net.slotCount()];
    net.expand(theta, 0, slots, 0);
    int q = free.paramCount();
    double[] hu = denseHessian(free, slots, x, y, n);
    double firstUse = 0;  // h1's weight and bias, the first use only
    for (int j = 0; j < free.blockSize(0); j++) firstUse += hu[j * q + j];
    assertTrue(Math.abs(r[0][0] - firstUse) > 4 * r[1][0], "h1: " + r[0][0] + " vs the first use's " + firstUse + " ± " + r[1][0]);
  }

  /** Asserts the z-test per layer; returns per layer the mean estimate, its analytic s.e., Var and the in-block Var. */
  static double[][] zTest(Network net, double[] theta, double[] x, double[] y, int n) {
    double[][] out = new double[4][net.parametrisedLayers().size()];
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
      int to = from + net.blockSize(layers.get(i));
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
      out[0][i] = mean;
      out[1][i] = Math.sqrt(var / m);
      out[2][i] = var;
      out[3][i] = inside;
    }
    return out;
  }
}
