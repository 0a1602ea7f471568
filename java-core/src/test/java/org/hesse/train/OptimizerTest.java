package org.hesse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * SGD and Adam against PyTorch's update rules, computed here independently: by hand for a scalar, and by the
 * formulas of the torch.optim documentation (written out per step, tensor style) for vectors.
 */
class OptimizerTest {
  private static final double TOL = 1e-15;

  /** Gradient of a fixed quadratic ½θᵀAθ − bᵀθ, so the gradient sequence depends on the trajectory. */
  private static double[] quadGrad(double[] t) {
    double[][] a = {{2.0, 0.3, 0.0, -0.1}, {0.3, 1.0, 0.2, 0.0}, {0.0, 0.2, 0.5, 0.1}, {-0.1, 0.0, 0.1, 3.0}};
    double[] b = {1.0, -0.5, 0.25, 2.0};
    double[] g = new double[4];
    for (int i = 0; i < 4; i++) {
      g[i] = -b[i];
      for (int j = 0; j < 4; j++) g[i] += a[i][j] * t[j];
    }
    return g;
  }

  @Test
  void sgdMomentumWeightDecayByHand() {
    // lr 0.1, μ 0.9, λ 0.1, θ0 = 1, g1 = 0.5, g2 = −0.2:
    // step 1: d = 0.5 + 0.1·1 = 0.6, v = 0.6, θ = 1 − 0.06 = 0.94
    // step 2: d = −0.2 + 0.1·0.94 = −0.106, v = 0.9·0.6 − 0.106 = 0.434, θ = 0.94 − 0.0434 = 0.8966
    Sgd sgd = new Sgd(1, 0.9, 0.1, false);
    double[] t = {1.0};
    sgd.step(t, new double[] {0.5}, 0.1);
    assertEquals(0.94, t[0], TOL);
    sgd.step(t, new double[] {-0.2}, 0.1);
    assertEquals(0.8966, t[0], TOL);
  }

  @Test
  void sgdNesterovByHand() {
    // Nesterov, same numbers: step 1 uses d + μv = 0.6 + 0.54 = 1.14, θ = 0.886;
    // step 2: d = −0.2 + 0.0886 = −0.1114, v = 0.54 − 0.1114 = 0.4286, d + μv = 0.27434, θ = 0.886 − 0.027434
    Sgd sgd = new Sgd(1, 0.9, 0.1, true);
    double[] t = {1.0};
    sgd.step(t, new double[] {0.5}, 0.1);
    assertEquals(0.886, t[0], TOL);
    sgd.step(t, new double[] {-0.2}, 0.1);
    assertEquals(0.858566, t[0], TOL);
  }

  @Test
  void sgdMatchesTorchSequenceWithChangingRate() {
    for (boolean nesterov : new boolean[] {false, true}) {
      double mu = 0.8;
      double wd = 0.05;
      double[] lrs = {0.1, 0.05, 0.2, 0.01, 0.1, 0.3};
      double[] theta = {0.5, -1.0, 2.0, 0.1};
      // Reference: torch.optim.SGD's documented algorithm, with the buffer created on the first step.
      double[] ref = theta.clone();
      double[] buf = null;
      Sgd sgd = new Sgd(4, mu, wd, nesterov);
      for (double lr : lrs) {
        double[] g = quadGrad(ref);
        double[] gRef = g.clone();
        for (int i = 0; i < 4; i++) gRef[i] += wd * ref[i];
        if (buf == null) {
          buf = gRef.clone();
        } else {
          for (int i = 0; i < 4; i++) buf[i] = mu * buf[i] + gRef[i];
        }
        for (int i = 0; i < 4; i++) {
          double upd = nesterov ? gRef[i] + mu * buf[i] : buf[i];
          ref[i] -= lr * upd;
        }
        sgd.step(theta, quadGrad(theta), lr);
        assertArrayEquals(ref, theta, 1e-14, "nesterov=" + nesterov + " lr=" + lr);
      }
    }
  }

  @Test
  void sgdDoesNotWriteTheGradient() {
    Sgd sgd = new Sgd(4, 0.9, 0.1, false);
    double[] g = {1, 2, 3, 4};
    sgd.step(new double[] {1, 1, 1, 1}, g, 0.1);
    assertArrayEquals(new double[] {1, 2, 3, 4}, g, 0.0);
  }

  @Test
  void sgdBlockStepsEqualPerElementRates() {
    // A per-block rescaled SGD built from range steps equals SGD run with the rate scaled element-wise.
    double[] scale = {1.0, 1.0, 0.25, 3.0};
    int[] blocks = {0, 2, 3, 4};
    double[] theta = {0.5, -1.0, 2.0, 0.1};
    double[] ref = theta.clone();
    double[] vel = new double[4];
    Sgd sgd = new Sgd(4, 0.9, 0.01, false);
    for (int s = 0; s < 4; s++) {
      double lr = 0.05;
      double[] g = quadGrad(ref);
      for (int i = 0; i < 4; i++) {
        vel[i] = 0.9 * vel[i] + g[i] + 0.01 * ref[i];
        ref[i] -= lr * scale[i] * vel[i];
      }
      double[] gt = quadGrad(theta);
      for (int k = 0; k + 1 < blocks.length; k++) sgd.step(theta, gt, lr * scale[blocks[k]], blocks[k], blocks[k + 1]);
      assertArrayEquals(ref, theta, 1e-14);
    }
  }

  @Test
  void adamFirstStepIsRateTimesSign() {
    // m̂1 = g and v̂1 = g², so θ1 = θ0 − lr·g/(|g| + ε) (closed form).
    Adam adam = new Adam(3);
    double[] t = {1.0, -2.0, 0.5};
    double[] g = {0.3, -4.0, 1e-3};
    adam.step(t, g, 0.01);
    double[] want = new double[3];
    double[] t0 = {1.0, -2.0, 0.5};
    for (int i = 0; i < 3; i++) want[i] = t0[i] - 0.01 * g[i] / (Math.abs(g[i]) + 1e-8);
    assertArrayEquals(want, t, 1e-15);
    assertEquals(1, adam.steps());
  }

  @Test
  void adamMatchesTextbookForThreeSteps() {
    for (double wd : new double[] {0.0, 0.1}) {
      double b1 = 0.9;
      double b2 = 0.999;
      double eps = 1e-8;
      double lr = 0.05;
      double[] theta = {0.5, -1.0, 2.0, 0.1};
      double[] ref = theta.clone();
      double[] m = new double[4];
      double[] v = new double[4];
      Adam adam = new Adam(4, b1, b2, eps, wd);
      for (int t = 1; t <= 3; t++) {
        // torch.optim.Adam's documented algorithm: g += λθ; m, v; m̂ = m/(1−β1^t); v̂ = v/(1−β2^t); θ −= lr m̂/(√v̂+ε)
        double[] g = quadGrad(ref);
        for (int i = 0; i < 4; i++) {
          double gi = g[i] + wd * ref[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          double mh = m[i] / (1 - Math.pow(b1, t));
          double vh = v[i] / (1 - Math.pow(b2, t));
          ref[i] -= lr * mh / (Math.sqrt(vh) + eps);
        }
        adam.step(theta, quadGrad(theta), lr);
        assertArrayEquals(ref, theta, 1e-14, "wd=" + wd + " step " + t);
      }
    }
  }

  @Test
  void resetRestartsTheState() {
    Adam adam = new Adam(4);
    Sgd sgd = new Sgd(4, 0.9, 0.0, false);
    for (Optimizer o : new Optimizer[] {adam, sgd}) {
      double[] a = {0.5, -1.0, 2.0, 0.1};
      o.step(a, quadGrad(a), 0.1);
      o.step(a, quadGrad(a), 0.1);
      o.reset();
      double[] b = {0.5, -1.0, 2.0, 0.1};
      double[] c = b.clone();
      o.step(b, quadGrad(b), 0.1);
      Optimizer fresh = o instanceof Adam ? new Adam(4) : new Sgd(4, 0.9, 0.0, false);
      fresh.step(c, quadGrad(c), 0.1);
      assertArrayEquals(c, b, 0.0, o.describe());
    }
  }

  @Test
  void badArgumentsAreNamed() {
    Sgd sgd = new Sgd(3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> sgd.step(new double[2], new double[3], 0.1));
    assertTrue(e.getMessage().startsWith("theta:") && e.getMessage().contains("got 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> sgd.step(new double[3], new double[4], 0.1));
    assertTrue(e.getMessage().startsWith("grad:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> sgd.step(new double[3], new double[3], Double.NaN));
    assertTrue(e.getMessage().startsWith("lr:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Sgd(3, 0.0, 0.0, true));
    assertTrue(e.getMessage().startsWith("nesterov:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Adam(3, 1.0, 0.999, 1e-8, 0));
    assertTrue(e.getMessage().startsWith("beta1:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> sgd.step(new double[3], new double[3], 0.1, 2, 1));
    assertTrue(e.getMessage().startsWith("range:"), e.getMessage());
  }
}
