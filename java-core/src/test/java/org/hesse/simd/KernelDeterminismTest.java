package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Same inputs, same bits, whatever the JIT has compiled: every kernel's result on fresh code (interpreted) must
 * equal its result after heavy warm-up (C2-compiled, intrinsics in use). This is what makes "same seed, same
 * thread count, same bits" hold for a whole training run.
 */
class KernelDeterminismTest {
  static final int N = 1003;

  static double[] run(Kernels k, double[] x, double[] y) {
    double[] out = new double[8 * N + 4];
    int o = 0;
    for (Activation f : Activation.values()) {
      double[] a = new double[N];
      k.activation(f, x, 0, a, 0, N);
      double[] d1 = new double[N];
      double[] d2 = new double[N];
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, N);
      out[o++] = k.dot(a, 0, d1, 0, N) + k.sum(d2, 0, N);
    }
    double[] sm = new double[N - 3];
    k.softmaxRows(x, 0, sm, 0, 20, 50);
    out[o++] = k.sum(sm, 0, sm.length);
    out[o++] = k.dot(x, 0, y, 0, N);
    double[] mv = new double[10];
    k.matVec(x, 0, 10, 100, y, 0, mv, 0);
    System.arraycopy(mv, 0, out, o, 10);
    return out;
  }

  @Test
  void resultsDoNotDependOnJitState() {
    Kernels k = KernelProvider.get();
    SplittableRandom r = new SplittableRandom(1);
    double[] x = new double[N];
    double[] y = new double[N];
    for (int i = 0; i < N; i++) {
      x[i] = 8 * r.nextDouble() - 4;
      y[i] = 8 * r.nextDouble() - 4;
    }
    double[] cold = run(k, x, y);
    for (int i = 0; i < 3000; i++) run(k, x, y);
    double[] warm = run(k, x, y);
    assertEquals(cold.length, warm.length);
    assertArrayEquals(cold, warm, 0.0, k.name());
  }

  /** The float kernels: the same check (widening and narrowing are exact or correctly rounded, so JIT-independent). */
  static double[] runFloat(Kernels k, float[] x, float[] y) {
    double[] out = new double[Activation.values().length + 14];
    int o = 0;
    for (Activation f : Activation.values()) {
      float[] a = new float[N];
      k.activation(f, x, 0, a, 0, N);
      float[] d1 = new float[N];
      float[] d2 = new float[N];
      k.activationDerivatives(f, x, 0, d1, 0, d2, 0, N);
      k.activationBackward(f, x, 0, y, 0, d1, 0, N);
      out[o++] = k.dot(a, 0, d1, 0, N) + k.sum(d2, 0, N);
    }
    float[] z = y.clone();
    k.axpy(0.3, x, 0, z, 0, N);
    k.outerAdd(-0.7, x, 0, y, 0, z, 0, 10, 100);
    out[o++] = k.dot(x, 0, z, 0, N);
    float[] mv = new float[10];
    k.matVec(x, 0, 10, 100, y, 0, mv, 0);
    for (float v : mv) out[o++] = v;
    return out;
  }

  @Test
  void floatResultsDoNotDependOnJitState() {
    Kernels k = KernelProvider.get();
    SplittableRandom r = new SplittableRandom(2);
    float[] x = new float[N];
    float[] y = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = (float) (8 * r.nextDouble() - 4);
      y[i] = (float) (8 * r.nextDouble() - 4);
    }
    double[] cold = runFloat(k, x, y);
    for (int i = 0; i < 2000; i++) runFloat(k, x, y);
    double[] warm = runFloat(k, x, y);
    assertArrayEquals(cold, warm, 0.0, k.name());
  }
}
