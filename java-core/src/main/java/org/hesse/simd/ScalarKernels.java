package org.hesse.simd;

/** Plain-Java kernels: always available, and the reference the Panama kernels are tested against. */
public final class ScalarKernels implements Kernels {
  public static final ScalarKernels INSTANCE = new ScalarKernels();

  private ScalarKernels() {}

  @Override public String name() { return "scalar"; }

  @Override public double dot(double[] x, int xOff, double[] y, int yOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
    return s;
  }

  @Override public void axpy(double a, double[] x, int xOff, double[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
  }

  @Override public void scale(double a, double[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) x[xOff + i] *= a;
  }

  @Override public double sum(double[] x, int xOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[xOff + i];
    return s;
  }

  @Override public void mul(double[] x, int xOff, double[] y, int yOff, double[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * y[yOff + i];
  }

  @Override public void mulMulAdd(double[] x, int xOff, double[] y, int yOff, double[] z, int zOff, double[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] += x[xOff + i] * y[yOff + i] * z[zOff + i];
  }

  @Override public void outputTangent(Activation f, double[] a, int aOff, double[] dx, int dxOff, double[] out, int outOff, int n) {
    if (f == Activation.TANH) {
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        out[outOff + i] = (1.0 - v * v) * dx[dxOff + i];
      }
    } else {
      requireOutputForm(f);
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        out[outOff + i] = v * (1.0 - v) * dx[dxOff + i];
      }
    }
  }

  @Override public void outputCurvature(Activation f, double[] a, int aOff, double[] dx, int dxOff, double[] g, int gOff,
      double[] out, int outOff, int n) {
    if (f == Activation.TANH) {
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        double d1 = 1.0 - v * v;
        out[outOff + i] += (-2.0 * v * d1) * dx[dxOff + i] * g[gOff + i];
      }
    } else {
      requireOutputForm(f);
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        double d1 = v * (1.0 - v);
        out[outOff + i] += d1 * (1.0 - 2.0 * v) * dx[dxOff + i] * g[gOff + i];
      }
    }
  }

  static void requireOutputForm(Activation f) {
    if (f != Activation.TANH && f != Activation.SIGMOID) {
      throw new IllegalArgumentException("output-form derivatives: expected tanh or sigmoid, got " + f);
    }
  }

  @Override public void activation(Activation f, double[] x, int xOff, double[] out, int outOff, int n) {
    if (f == Activation.RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = relu(x[xOff + i]);
      return;
    }
    if (f == Activation.LEAKY_RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = leakyRelu(x[xOff + i]);
      return;
    }
    for (int i = 0; i < n; i++) out[outOff + i] = f.value(x[xOff + i]);
  }

  @Override public void activationBackward(Activation f, double[] x, int xOff, double[] g, int gOff, double[] out, int outOff, int n) {
    if (f == Activation.RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = reluSlope(x[xOff + i]) * g[gOff + i];
      return;
    }
    if (f == Activation.LEAKY_RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = leakyReluSlope(x[xOff + i]) * g[gOff + i];
      return;
    }
    for (int i = 0; i < n; i++) out[outOff + i] = f.d1(x[xOff + i]) * g[gOff + i];
  }

  @Override public void activationDerivatives(Activation f, double[] x, int xOff, double[] d1, int d1Off, double[] d2, int d2Off, int n) {
    for (int i = 0; i < n; i++) {
      double v = x[xOff + i];
      if (d1 != null) d1[d1Off + i] = slope(f, v);
      if (d2 != null) d2[d2Off + i] = f.d2(v);
    }
  }

  // ---- relu and leaky_relu without a branch ---------------------------------------------------------
  // On pre-activations of both signs the branch of x > 0 ? … : … is a coin toss, and C2 compiles a double select to
  // a jump on x86. Selecting the bits by a mask from the comparison instead: JMH KernelBenchmark.relu, scalar, 256 ×
  // 512 doubles, 726–801 → 114–135 µs (docs/performance.md, stop 24). The values are Activation.value and d1
  // exactly, NaN and −0.0 included (KernelsReferenceTest).

  private static double relu(double x) {
    return select(!(x <= 0), x, 0.0);
  }

  private static double reluSlope(double x) {
    return select(!(x <= 0), 1.0, 0.0);
  }

  private static double leakyRelu(double x) {
    return select(x > 0, x, Activation.LEAKY_SLOPE * x);
  }

  private static double leakyReluSlope(double x) {
    return select(x > 0, 1.0, Activation.LEAKY_SLOPE);
  }

  /** f'(x), the kinked activations without a branch on x. */
  private static double slope(Activation f, double x) {
    return f == Activation.RELU ? reluSlope(x) : f == Activation.LEAKY_RELU ? leakyReluSlope(x) : f.d1(x);
  }

  /** keep ? a : b, chosen bit by bit (all bits of one, none of the other). */
  private static double select(boolean keep, double a, double b) {
    long mask = keep ? -1L : 0L;
    return Double.longBitsToDouble((Double.doubleToRawLongBits(a) & mask) | (Double.doubleToRawLongBits(b) & ~mask));
  }

  @Override public void softmaxRows(double[] x, int xOff, double[] out, int outOff, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols;
      int oo = outOff + r * cols;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) max = Math.max(max, x[xo + c]);
      double s = 0;
      for (int c = 0; c < cols; c++) {
        double e = Math.exp(x[xo + c] - max);
        out[oo + c] = e;
        s += e;
      }
      double inv = 1.0 / s;
      for (int c = 0; c < cols; c++) out[oo + c] *= inv;
    }
  }

  @Override public void outerAdd(double alpha, double[] x, int xOff, double[] y, int yOff, double[] a, int aOff, int m, int n) {
    for (int i = 0; i < m; i++) {
      double s = alpha * x[xOff + i];
      int row = aOff + i * n;
      for (int j = 0; j < n; j++) a[row + j] += s * y[yOff + j];
    }
  }

  @Override public void matVec(double[] a, int aOff, int m, int n, double[] x, int xOff, double[] y, int yOff) {
    for (int i = 0; i < m; i++) {
      double s = 0;
      int row = aOff + i * n;
      for (int j = 0; j < n; j++) s += a[row + j] * x[xOff + j];
      y[yOff + i] = s;
    }
  }

  // ---- float32 storage: the reference (element results in double, rounded once; sums in double) -------------

  @Override public double dot(float[] x, int xOff, float[] y, int yOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double) x[xOff + i] * y[yOff + i];
    return s;
  }

  @Override public void axpy(double a, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] = (float) (y[yOff + i] + a * x[xOff + i]);
  }

  @Override public void scale(double a, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) x[xOff + i] = (float) (a * x[xOff + i]);
  }

  @Override public double sum(float[] x, int xOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[xOff + i];
    return s;
  }

  @Override public void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * y[yOff + i];
  }

  @Override public void mulMulAdd(float[] x, int xOff, float[] y, int yOff, float[] z, int zOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] += x[xOff + i] * y[yOff + i] * z[zOff + i];
  }

  @Override public void outputTangent(Activation f, float[] a, int aOff, float[] dx, int dxOff, float[] out, int outOff, int n) {
    if (f == Activation.TANH) {
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        out[outOff + i] = (float) ((1.0 - v * v) * dx[dxOff + i]);
      }
    } else {
      requireOutputForm(f);
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        out[outOff + i] = (float) (v * (1.0 - v) * dx[dxOff + i]);
      }
    }
  }

  @Override public void outputCurvature(Activation f, float[] a, int aOff, float[] dx, int dxOff, float[] g, int gOff,
      float[] out, int outOff, int n) {
    if (f == Activation.TANH) {
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        double d1 = 1.0 - v * v;
        out[outOff + i] += (-2.0 * v * d1) * dx[dxOff + i] * g[gOff + i];
      }
    } else {
      requireOutputForm(f);
      for (int i = 0; i < n; i++) {
        double v = a[aOff + i];
        double d1 = v * (1.0 - v);
        out[outOff + i] += d1 * (1.0 - 2.0 * v) * dx[dxOff + i] * g[gOff + i];
      }
    }
  }

  @Override public void activation(Activation f, float[] x, int xOff, float[] out, int outOff, int n) {
    if (f == Activation.RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = (float) relu(x[xOff + i]);
      return;
    }
    if (f == Activation.LEAKY_RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = (float) leakyRelu(x[xOff + i]);
      return;
    }
    for (int i = 0; i < n; i++) out[outOff + i] = (float) f.value(x[xOff + i]);
  }

  @Override public void activationBackward(Activation f, float[] x, int xOff, float[] g, int gOff, float[] out, int outOff, int n) {
    if (f == Activation.RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = (float) (reluSlope(x[xOff + i]) * g[gOff + i]);
      return;
    }
    if (f == Activation.LEAKY_RELU) {
      for (int i = 0; i < n; i++) out[outOff + i] = (float) (leakyReluSlope(x[xOff + i]) * g[gOff + i]);
      return;
    }
    for (int i = 0; i < n; i++) out[outOff + i] = (float) (f.d1(x[xOff + i]) * g[gOff + i]);
  }

  @Override public void activationDerivatives(Activation f, float[] x, int xOff, float[] d1, int d1Off, float[] d2, int d2Off, int n) {
    for (int i = 0; i < n; i++) {
      double v = x[xOff + i];
      if (d1 != null) d1[d1Off + i] = (float) slope(f, v);
      if (d2 != null) d2[d2Off + i] = (float) f.d2(v);
    }
  }

  @Override public void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols;
      int oo = outOff + r * cols;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) max = Math.max(max, x[xo + c]);
      double s = 0;
      for (int c = 0; c < cols; c++) s += Math.exp(x[xo + c] - max);
      double inv = 1.0 / s;
      for (int c = 0; c < cols; c++) out[oo + c] = (float) (Math.exp(x[xo + c] - max) * inv);
    }
  }

  @Override public void outerAdd(double alpha, float[] x, int xOff, float[] y, int yOff, float[] a, int aOff, int m, int n) {
    for (int i = 0; i < m; i++) {
      double s = alpha * x[xOff + i];
      int row = aOff + i * n;
      for (int j = 0; j < n; j++) a[row + j] = (float) (a[row + j] + s * y[yOff + j]);
    }
  }

  @Override public void matVec(float[] a, int aOff, int m, int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < m; i++) {
      double s = 0;
      int row = aOff + i * n;
      for (int j = 0; j < n; j++) s += (double) a[row + j] * x[xOff + j];
      y[yOff + i] = (float) s;
    }
  }
}
