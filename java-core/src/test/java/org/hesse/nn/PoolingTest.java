package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Max / average pooling and flatten against naive loops and hand-worked values. */
class PoolingTest {
  /** Naive max pooling; the winner is the first maximum in scan order (strict >). Returns [z, winners]. */
  static Object[] naiveMax(double[] x, int batch, int c, int h, int w, int k, int s) {
    int ho = (h - k) / s + 1;
    int wo = (w - k) / s + 1;
    double[] z = new double[batch * c * ho * wo];
    int[] win = new int[z.length];
    for (int n = 0; n < batch; n++)
      for (int ch = 0; ch < c; ch++)
        for (int oh = 0; oh < ho; oh++)
          for (int ow = 0; ow < wo; ow++) {
            int best = -1;
            for (int i = 0; i < k; i++)
              for (int j = 0; j < k; j++) {
                int xi = ((n * c + ch) * h + oh * s + i) * w + ow * s + j;
                if (best < 0 || x[xi] > x[best]) best = xi;
              }
            int o = ((n * c + ch) * ho + oh) * wo + ow;
            z[o] = x[best];
            win[o] = best;
          }
    return new Object[] {z, win};
  }

  static double[] naiveAvg(double[] x, int batch, int c, int h, int w, int k, int s) {
    int ho = (h - k) / s + 1;
    int wo = (w - k) / s + 1;
    double[] z = new double[batch * c * ho * wo];
    for (int n = 0; n < batch; n++)
      for (int ch = 0; ch < c; ch++)
        for (int oh = 0; oh < ho; oh++)
          for (int ow = 0; ow < wo; ow++) {
            double sum = 0;
            for (int i = 0; i < k; i++)
              for (int j = 0; j < k; j++) sum += x[((n * c + ch) * h + oh * s + i) * w + ow * s + j];
            z[((n * c + ch) * ho + oh) * wo + ow] = sum / (k * k);
          }
    return z;
  }

  @ParameterizedTest(name = "C={0} H={1} W={2} k={3} s={4}")
  @CsvSource({"2, 6, 5, 2, 2", "1, 7, 7, 3, 2", "3, 5, 8, 2, 1", "2, 4, 6, 3, 3", "1, 28, 28, 2, 2"})
  void maxPoolMatchesNaiveLoops(int c, int h, int w, int k, int s) {
    int batch = 3;
    MaxPool2d m = new MaxPool2d(new int[] {c, h, w}, k, s);
    // rounded to a coarse grid so that ties occur
    double[] x = Nets.gaussian(batch * m.inputSize(), 2.0, 21);
    for (int i = 0; i < x.length; i++) x[i] = Math.rint(x[i]);
    Object[] ref = naiveMax(x, batch, c, h, w, k, s);
    double[] z = new double[batch * m.outputSize()];
    m.forward(null, 0, x, z, batch, null);
    assertArrayEquals((double[]) ref[0], z, 0.0);
    int[] win = (int[]) ref[1];
    double[] g = Nets.gaussian(z.length, 1.0, 22);
    double[] gIn = Nets.gaussian(x.length, 1.0, 23);  // overwritten
    double[] gRef = new double[x.length];
    for (int o = 0; o < z.length; o++) gRef[win[o]] += g[o];
    m.backward(null, 0, x, z, g, gIn, null, batch, null);
    assertArrayEquals(gRef, gIn, 1e-15);
    int[] idx = new int[m.outputSize()];
    m.argmax(x, m.inputSize(), idx, 0);  // sample 1
    for (int o = 0; o < idx.length; o++) assertEquals(win[m.outputSize() + o] - m.inputSize(), idx[o]);
  }

  @Test
  void maxPoolTieBreakIsTheFirstMaximumInScanOrder() {
    // one 2×2 window [[2, 5], [5, 1]]: both 5s tie, the first (row 0, column 1) wins
    MaxPool2d m = new MaxPool2d(new int[] {1, 2, 2}, 2, 2);
    double[] x = {2, 5, 5, 1};
    double[] gIn = new double[4];
    m.backward(null, 0, x, new double[1], new double[] {3.0}, gIn, null, 1, null);
    assertArrayEquals(new double[] {0, 3, 0, 0}, gIn, 0.0);
    double[] flat = {4, 4, 4, 4};
    m.backward(null, 0, flat, new double[1], new double[] {1.0}, gIn, null, 1, null);
    assertArrayEquals(new double[] {1, 0, 0, 0}, gIn, 0.0);
    // NaN propagates, as PyTorch
    double[] z = new double[1];
    m.forward(null, 0, new double[] {1, Double.NaN, 3, 2}, z, 1, null);
    assertEquals(Double.NaN, z[0]);
  }

  @ParameterizedTest(name = "C={0} H={1} W={2} k={3} s={4}")
  @CsvSource({"2, 6, 5, 2, 2", "1, 7, 7, 3, 2", "3, 5, 8, 2, 1", "2, 4, 6, 3, 3"})
  void avgPoolMatchesNaiveLoopsAndItsAdjoint(int c, int h, int w, int k, int s) {
    int batch = 2;
    AvgPool2d a = new AvgPool2d(new int[] {c, h, w}, k, s);
    double[] x = Nets.gaussian(batch * a.inputSize(), 1.0, 31);
    double[] z = new double[batch * a.outputSize()];
    a.forward(null, 0, x, z, batch, null);
    double[] ref = naiveAvg(x, batch, c, h, w, k, s);
    for (int i = 0; i < z.length; i++) assertEquals(ref[i], z[i], 1e-15);
    // backward is the transpose: ⟨g, A x⟩ = ⟨Aᵀ g, x⟩ for random g
    double[] g = Nets.gaussian(z.length, 1.0, 32);
    double[] gIn = Nets.gaussian(x.length, 1.0, 33);
    a.backward(null, 0, x, z, g, gIn, null, batch, null);
    double lhs = 0;
    double rhs = 0;
    for (int i = 0; i < z.length; i++) lhs += g[i] * z[i];
    for (int i = 0; i < x.length; i++) rhs += gIn[i] * x[i];
    assertEquals(lhs, rhs, 1e-12 * (1 + Math.abs(lhs)));
  }

  @Test
  void handWorkedPoolValues() {
    // 1×3×4 image 0..11, kernel 2 (stride 2): windows {0,1,4,5}, {2,3,6,7}; the last row is dropped (floor)
    double[] x = new double[12];
    for (int i = 0; i < 12; i++) x[i] = i;
    double[] z = new double[2];
    new MaxPool2d(new int[] {1, 3, 4}, 2, 2).forward(null, 0, x, z, 1, null);
    assertArrayEquals(new double[] {5, 7}, z, 0.0);
    new AvgPool2d(new int[] {1, 3, 4}, 2, 2).forward(null, 0, x, z, 1, null);
    assertArrayEquals(new double[] {2.5, 4.5}, z, 0.0);
  }

  @Test
  void shapesFollowPyTorchFloorRounding() {
    assertArrayEquals(new int[] {3, 3, 2}, new MaxPool2d(new int[] {3, 6, 5}, 2, 2).outputShape());
    assertArrayEquals(new int[] {1, 3, 2}, new AvgPool2d(new int[] {1, 7, 5}, 3, 2).outputShape());
    assertArrayEquals(new int[] {2, 14, 14}, new MaxPool2d(new int[] {2, 28, 28}, 2, 2).outputShape());
    assertArrayEquals(new int[] {2, 4, 4}, new AvgPool2d(new int[] {2, 5, 5}, 2, 1).outputShape());
    Flatten f = new Flatten(new int[] {3, 3, 2});
    assertArrayEquals(new int[] {18}, f.outputShape());
    assertEquals(0, f.paramCount());
    Conv2dTest.assertMessage(() -> new MaxPool2d(new int[] {1, 5, 1}, 2, 2), "larger than the input 5 × 1");
    Conv2dTest.assertMessage(() -> new AvgPool2d(new int[] {1, 5, 5}, 2, 0), "stride");
    Conv2dTest.assertMessage(() -> new MaxPool2d(new int[] {25}, 2, 2), "[C, H, W]");
  }

  @Test
  void flattenCopiesBothWays() {
    Flatten f = new Flatten(new int[] {2, 2, 3});
    double[] x = Nets.gaussian(2 * 12, 1.0, 41);
    double[] z = new double[x.length];
    f.forward(null, 0, x, z, 2, null);
    assertArrayEquals(x, z, 0.0);
    double[] gIn = new double[x.length];
    f.backward(null, 0, x, z, z, gIn, null, 2, null);
    assertArrayEquals(x, gIn, 0.0);
  }
}
