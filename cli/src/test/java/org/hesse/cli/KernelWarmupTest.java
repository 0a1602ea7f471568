package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.EnumSet;
import java.util.Set;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;
import org.junit.jupiter.api.Test;

/**
 * The kernel warm-up: it finds the network's activations, and the kernels compute the same bits after it as before
 * it (the warm-up only saves time: the class comment of PanamaKernels promises the same bits compiled or not).
 */
class KernelWarmupTest {
  @Test
  void findsTheActivationsOfTheNetwork() {
    Network net = Network.builder(6).dense(5).activation("relu").dense(4).activation("tanh").dense(3)
        .activation("relu").dense(2).build("cross_entropy");
    // the builder's calls above, independently: relu and tanh
    assertEquals(EnumSet.of(Activation.RELU, Activation.TANH), KernelWarmup.activations(net));
    Network linear = Network.builder(6).dense(2).build("cross_entropy");
    assertEquals(Set.of(), KernelWarmup.activations(linear));
    assertNull(KernelWarmup.start(linear, false), "nothing to compile for a network without activations");
  }

  @Test
  void kernelsGiveTheSameBitsBeforeAndAfterTheWarmup() throws InterruptedException {
    Kernels k = KernelProvider.get();
    int n = 999; // vector loop and scalar tail
    double[] x = new double[n];
    float[] xf = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (i * 0.7919) % 13.0 - 6.5;
      xf[i] = (float) x[i];
    }
    Set<Activation> all = EnumSet.allOf(Activation.class);
    double[][][] before = new double[Activation.values().length][][];
    float[][][] beforeF = new float[Activation.values().length][][];
    for (Activation f : all) {
      before[f.ordinal()] = outputs(k, f, x);
      beforeF[f.ordinal()] = outputs(k, f, xf);
    }
    KernelWarmup.run(k, all, false);
    KernelWarmup.run(k, all, true);
    for (Activation f : all) {
      double[][] after = outputs(k, f, x);
      float[][] afterF = outputs(k, f, xf);
      for (int j = 0; j < after.length; j++) {
        assertArrayEquals(before[f.ordinal()][j], after[j], 0.0, f + " double output " + j);
        assertArrayEquals(beforeF[f.ordinal()][j], afterF[j], 0f, f + " float output " + j);
      }
    }
    Network net = Network.builder(4).dense(3).activation("sigmoid").dense(2).build("cross_entropy");
    Thread t = KernelWarmup.start(net, false);
    if (KernelProvider.panamaOrNull() == k) {
      assertNotNull(t, "the Panama kernels are warmed");
      t.join();
      assertFalse(t.isAlive());
    }
  }

  /** Value, σ', σ'' and the backward product (gradient 1.25) of f at x. */
  private static double[][] outputs(Kernels k, Activation f, double[] x) {
    int n = x.length;
    double[] value = new double[n], d1 = new double[n], d2 = new double[n], back = new double[n], g = new double[n];
    java.util.Arrays.fill(g, 1.25);
    k.activation(f, x, 0, value, 0, n);
    k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
    k.activationBackward(f, x, 0, g, 0, back, 0, n);
    return new double[][] {value, d1, d2, back};
  }

  private static float[][] outputs(Kernels k, Activation f, float[] x) {
    int n = x.length;
    float[] value = new float[n], d1 = new float[n], d2 = new float[n], back = new float[n], g = new float[n];
    java.util.Arrays.fill(g, 1.25f);
    k.activation(f, x, 0, value, 0, n);
    k.activationDerivatives(f, x, 0, d1, 0, d2, 0, n);
    k.activationBackward(f, x, 0, g, 0, back, 0, n);
    return new float[][] {value, d1, d2, back};
  }
}
