package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Conv2d against a naive 6-loop convolution, its adjoint loops and values derived by hand (PyTorch conventions). */
class Conv2dTest {
  /** z[n,o,oh,ow] = b[o] + Σ_{c,i,j} W[o,c,i,j] · x[n, c, oh·s − p + i, ow·s − p + j] (zero outside). */
  static double[] naiveForward(double[] theta, double[] x, int batch, int c, int h, int w, int o, int k, int s, int p) {
    int ho = (h + 2 * p - k) / s + 1;
    int wo = (w + 2 * p - k) / s + 1;
    double[] z = new double[batch * o * ho * wo];
    int bias = o * c * k * k;
    for (int n = 0; n < batch; n++)
      for (int oc = 0; oc < o; oc++)
        for (int oh = 0; oh < ho; oh++)
          for (int ow = 0; ow < wo; ow++) {
            double sum = theta[bias + oc];
            for (int ic = 0; ic < c; ic++)
              for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                  int ih = oh * s - p + i;
                  int iw = ow * s - p + j;
                  if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                  sum += theta[((oc * c + ic) * k + i) * k + j] * x[((n * c + ic) * h + ih) * w + iw];
                }
            z[((n * o + oc) * ho + oh) * wo + ow] = sum;
          }
    return z;
  }

  /** The transpose of the same loops: gIn and gTheta for an output signal g. */
  static void naiveBackward(double[] theta, double[] x, double[] g, double[] gIn, double[] gTheta, int batch,
                            int c, int h, int w, int o, int k, int s, int p) {
    int ho = (h + 2 * p - k) / s + 1;
    int wo = (w + 2 * p - k) / s + 1;
    int bias = o * c * k * k;
    for (int n = 0; n < batch; n++)
      for (int oc = 0; oc < o; oc++)
        for (int oh = 0; oh < ho; oh++)
          for (int ow = 0; ow < wo; ow++) {
            double gv = g[((n * o + oc) * ho + oh) * wo + ow];
            gTheta[bias + oc] += gv;
            for (int ic = 0; ic < c; ic++)
              for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                  int ih = oh * s - p + i;
                  int iw = ow * s - p + j;
                  if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                  int wi = ((oc * c + ic) * k + i) * k + j;
                  int xi = ((n * c + ic) * h + ih) * w + iw;
                  gTheta[wi] += gv * x[xi];
                  gIn[xi] += gv * theta[wi];
                }
          }
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) m = Math.max(m, Math.abs(v));
    return m;
  }

  static void assertClose(double[] expected, double[] actual, double rel, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    double tol = rel * Math.max(1.0, maxAbs(expected));
    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol, what + " [" + i + "]");
  }

  @ParameterizedTest(name = "C={0} H={1} W={2} O={3} k={4} s={5} p={6}")
  @CsvSource({
      "2, 5, 7, 3, 3, 1, 0",
      "2, 5, 7, 3, 3, 1, 1",
      "1, 6, 5, 2, 3, 2, 1",   // stride 2 and padding 1, H ≠ W
      "3, 8, 8, 4, 3, 2, 1",   // digits-sized
      "1, 4, 9, 2, 4, 3, 2",   // padding 2, stride 3, kernel 4
      "2, 7, 4, 3, 1, 1, 0",   // 1×1 kernel
      "1, 3, 3, 1, 5, 1, 1",   // kernel larger than the image, covered by padding
      "2, 9, 6, 2, 2, 2, 0"})  // stride equals kernel
  void forwardAndBackwardMatchNaiveLoops(int c, int h, int w, int o, int k, int s, int p) {
    Conv2d conv = new Conv2d(new int[] {c, h, w}, o, k, s, p);
    int batch = 3;
    double[] theta = Nets.gaussian(conv.paramCount() + 2, 1.0, 11);  // offset 2 inside a larger vector
    double[] x = Nets.gaussian(batch * conv.inputSize(), 1.0, 12);
    double[] own = java.util.Arrays.copyOfRange(theta, 2, theta.length);
    LayerContext ctx = LayerContext.standalone(conv, batch, Mode.ANALYSIS, null, 0);

    double[] z = new double[batch * conv.outputSize()];
    conv.forward(theta, 2, x, z, batch, ctx);
    assertClose(naiveForward(own, x, batch, c, h, w, o, k, s, p), z, 1e-13, "forward");

    double[] g = Nets.gaussian(z.length, 1.0, 13);
    double[] gIn = new double[x.length];
    double[] gTheta = new double[theta.length];
    gTheta[0] = 7;  // outside the layer's block: must stay
    double[] gInRef = new double[x.length];
    double[] gThetaRef = new double[own.length];
    java.util.Arrays.fill(gIn, 99);  // gIn is overwritten, not accumulated
    conv.backward(theta, 2, x, z, g, gIn, gTheta, batch, ctx);
    naiveBackward(own, x, g, gInRef, gThetaRef, batch, c, h, w, o, k, s, p);
    assertClose(gInRef, gIn, 1e-13, "input gradient");
    assertClose(gThetaRef, java.util.Arrays.copyOfRange(gTheta, 2, gTheta.length), 1e-13, "parameter gradient");
    assertEquals(7.0, gTheta[0], 0.0);

    // without a context (a private scratch) the result is the same
    double[] z2 = new double[z.length];
    conv.forward(theta, 2, x, z2, batch, null);
    assertArrayEquals(z, z2, 0.0);
  }

  @Test
  void im2colAndCol2imAreAdjoint() {
    Conv2d conv = new Conv2d(new int[] {2, 5, 6}, 1, 3, 2, 1);
    double[] x = Nets.gaussian(conv.inputSize(), 1.0, 1);
    double[] y = Nets.gaussian(conv.patch() * conv.positions(), 1.0, 2);
    double[] col = new double[y.length];
    double[] back = new double[x.length];
    conv.im2col(x, 0, col, 0);
    conv.col2im(y, 0, back, 0);
    double a = 0;
    double b = 0;
    for (int i = 0; i < y.length; i++) a += col[i] * y[i];
    for (int i = 0; i < x.length; i++) b += x[i] * back[i];
    assertEquals(a, b, 1e-12 * Math.abs(a) + 1e-12, "⟨col(x), y⟩ = ⟨x, col2im(y)⟩");
  }

  /** Values worked out by hand on x = [[1,2,3],[4,5,6],[7,8,9]]. */
  @Test
  void handWorkedValues() {
    double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    // 3×3 ones, stride 2, padding 1: the 2×2 corners of the image, sums 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9; bias 0.5
    Conv2d a = new Conv2d(new int[] {1, 3, 3}, 1, 3, 2, 1);
    double[] ta = new double[10];
    java.util.Arrays.fill(ta, 0, 9, 1.0);
    ta[9] = 0.5;
    double[] za = new double[4];
    a.forward(ta, 0, x, za, 1, null);
    assertArrayEquals(new double[] {12.5, 16.5, 24.5, 28.5}, za, 1e-14);
    // kernel [[1,0],[0,0]]: cross-correlation (PyTorch) picks each window's top-left, [1,2,4,5];
    // a flipped (mathematical) convolution would give [5,6,8,9]
    Conv2d b = new Conv2d(new int[] {1, 3, 3}, 1, 2, 1, 0);
    double[] tb = {1, 0, 0, 0, 0};
    double[] zb = new double[4];
    b.forward(tb, 0, x, zb, 1, null);
    assertArrayEquals(new double[] {1, 2, 4, 5}, zb, 0.0);
    // two output channels: channel order is NCHW (channel 1 = 2 × channel 0 here)
    Conv2d c = new Conv2d(new int[] {1, 3, 3}, 2, 2, 1, 0);
    double[] tc = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0};
    double[] zc = new double[8];
    c.forward(tc, 0, x, zc, 1, null);
    assertArrayEquals(new double[] {1, 2, 4, 5, 2, 4, 8, 10}, zc, 0.0);
  }

  @Test
  void shapesAndParameterTensorsFollowPyTorch() {
    Conv2d fm = new Conv2d(new int[] {1, 28, 28}, 8, 3, 1, 1);
    assertArrayEquals(new int[] {8, 28, 28}, fm.outputShape());
    Conv2d digits = new Conv2d(new int[] {1, 8, 8}, 4, 3, 2, 1);  // floor((8 + 2 − 3)/2) + 1 = 4
    assertArrayEquals(new int[] {4, 4, 4}, digits.outputShape());
    Conv2d odd = new Conv2d(new int[] {3, 5, 6}, 2, 2, 2, 0);     // floor(3/2) + 1 = 2, floor(4/2) + 1 = 3
    assertArrayEquals(new int[] {2, 2, 3}, odd.outputShape());
    assertEquals(2 * 2 * 3, odd.outputSize());
    List<ParamTensor> t = odd.paramTensors();
    assertEquals("weight", t.get(0).name);
    assertArrayEquals(new int[] {2, 3, 2, 2}, t.get(0).shape);
    assertEquals("bias", t.get(1).name);
    assertArrayEquals(new int[] {2}, t.get(1).shape);
    assertEquals(24, t.get(1).offset);
    assertEquals(26, odd.paramCount());
    assertEquals(java.util.Map.of("type", "conv2d", "out_channels", 2, "kernel", 2, "stride", 2, "padding", 0), odd.describe());
  }

  @Test
  void badArgumentsAreNamed() {
    assertMessage(() -> new Conv2d(new int[] {30}, 2, 3, 1, 0), "[C, H, W]");
    assertMessage(() -> new Conv2d(new int[] {1, 5, 5}, 0, 3, 1, 0), "out_channels");
    assertMessage(() -> new Conv2d(new int[] {1, 5, 5}, 2, 0, 1, 0), "kernel");
    assertMessage(() -> new Conv2d(new int[] {1, 5, 5}, 2, 3, 0, 0), "stride");
    assertMessage(() -> new Conv2d(new int[] {1, 5, 5}, 2, 3, 1, -1), "padding");
    assertMessage(() -> new Conv2d(new int[] {1, 2, 5}, 2, 3, 1, 0), "larger than the padded input 2 × 5");
  }

  static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }
}
