package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.hesse.nativelib.OpenBlas;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The activations split over two threads ({@link KernelThreads}) give the same bits as the same kernel run serially
 * on pieces below the split size, for every activation in both precisions, at odd offsets and lengths.
 */
class KernelThreadsTest {
  static final int N = 2 * KernelThreads.MIN_ELEMENTS + 37;  // just above the split size
  static final int PIECE = 1000;  // below MIN_ELEMENTS: serial
  private int threadsBefore;

  @BeforeEach
  void twoBlasThreads() {
    threadsBefore = OpenBlas.numThreads();
    OpenBlas.setNumThreads(2);  // the split runs only beside a threaded BLAS (no-op without OpenBLAS: then serial)
    System.setProperty("hesse.kernels.split", "true");  // opt-in
    // without a threaded BLAS nothing splits, and the comparisons below would be serial against serial
    Assumptions.assumeTrue(OpenBlas.numThreads() >= 2, "OpenBLAS with 2 threads (the split runs only beside it)");
  }

  @AfterEach
  void restore() {
    System.clearProperty("hesse.kernels.split");
    if (threadsBefore > 0) OpenBlas.setNumThreads(threadsBefore);
  }

  @Test
  void doubleActivationsMatchTheSerialKernelBitForBit() {
    Kernels k = KernelProvider.get();
    SplittableRandom r = new SplittableRandom(7);
    double[] x = new double[N + 5];
    for (int i = 0; i < x.length; i++) x[i] = 3 * r.nextGaussian();
    for (Activation f : Activation.values()) {
      double[] split = new double[N + 3];
      double[] serial = new double[N + 3];
      k.activation(f, x, 5, split, 3, N);
      for (int b = 0; b < N; b += PIECE) k.activation(f, x, 5 + b, serial, 3 + b, Math.min(PIECE, N - b));
      assertArrayEquals(serial, split, f + " value");
      double[] d1 = new double[N];
      double[] d2 = new double[N];
      double[] s1 = new double[N];
      double[] s2 = new double[N];
      k.activationDerivatives(f, x, 5, d1, 0, d2, 0, N);
      for (int b = 0; b < N; b += PIECE) k.activationDerivatives(f, x, 5 + b, s1, b, s2, b, Math.min(PIECE, N - b));
      assertArrayEquals(s1, d1, f + " σ'");
      assertArrayEquals(s2, d2, f + " σ''");
    }
  }

  @Test
  void floatActivationsMatchTheSerialKernelBitForBit() {
    Kernels k = KernelProvider.get();
    SplittableRandom r = new SplittableRandom(8);
    float[] x = new float[N + 1];
    for (int i = 0; i < x.length; i++) x[i] = (float) (3 * r.nextGaussian());
    for (Activation f : Activation.values()) {
      float[] split = new float[N];
      float[] serial = new float[N];
      k.activation(f, x, 1, split, 0, N);
      for (int b = 0; b < N; b += PIECE) k.activation(f, x, 1 + b, serial, b, Math.min(PIECE, N - b));
      assertArrayEquals(serial, split, f + " value");
      float[] d1 = new float[N];
      float[] d2 = new float[N];
      float[] s1 = new float[N];
      float[] s2 = new float[N];
      k.activationDerivatives(f, x, 1, d1, 0, d2, 0, N);
      for (int b = 0; b < N; b += PIECE) k.activationDerivatives(f, x, 1 + b, s1, b, s2, b, Math.min(PIECE, N - b));
      assertArrayEquals(s1, d1, f + " σ'");
      assertArrayEquals(s2, d2, f + " σ''");
    }
  }

  @Test
  void aFailureInTheHelpersHalfReachesTheCaller() {
    int[] firstEnd = new int[1];
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelThreads.split(N, (from, to) -> {
      if (to == N) throw new IllegalStateException("part from " + from);  // the last part: the helper's when split
      firstEnd[0] = to;
    }));
    int half = OpenBlas.numThreads() >= 2 ? N / 2 / 64 * 64 : 0;
    assertEquals("part from " + half, e.getMessage());
    assertEquals(half, firstEnd[0], "the caller's half ran to the split");
  }

  @Test
  void aCallerThatFindsTheHelperBusyRunsSerially() {
    java.util.List<String> inner = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    KernelThreads.split(N, (from, to) -> {
      if (from == 0) KernelThreads.split(N, (a, b) -> inner.add(a + ".." + b));  // while this split holds the helper
    });
    assertEquals(java.util.List.of("0.." + N), inner, "one serial call over everything, not two halves");
  }
}
