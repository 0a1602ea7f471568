package org.hesse.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Panama Vector API ({@code jdk.incubator.vector}, JDK 17 API subset only), loaded by
 * {@link KernelProvider} by class name, so nothing else may reference this class directly.
 *
 * <p>Each loop runs over whole vectors of {@link DoubleVector#SPECIES_PREFERRED} and finishes with a scalar
 * tail (masked loads are not intrinsified on every JDK we support, and a tail of &lt; 8 elements is cheap).
 * Numerics differ from {@link ScalarKernels} only by
 * <ul>
 *   <li>reassociation in reductions (dot, sum, matVec, softmax's normaliser): several partial sums;</li>
 *   <li>FMA in dot, matVec and outerAdd (one rounding instead of two);</li>
 * </ul>
 * The Vector API's transcendental ops (EXP, TANH, ...) are not used: compiled (SVML) and interpreted (a Java
 * fallback) they differ by an ulp, so results would depend on JIT warm-up; activations built on them run the
 * scalar code, and lane sums are taken in lane order (reduceLanes(ADD) has an unspecified order). Every kernel is
 * therefore a deterministic function of its inputs: same seed, same bits.
 * Element-wise ops (mul, relu, leaky_relu, identity) are bit-identical to the scalar kernels.
 */
public final class PanamaKernels implements Kernels {
  public static final PanamaKernels INSTANCE = new PanamaKernels();

  private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private PanamaKernels() {}

  /**
   * Σ of the lanes in lane order. Not reduceLanes(ADD): its floating-point order is unspecified and differs
   * between the intrinsic (compiled) and the Java fallback (interpreted), which would make results depend on
   * JIT state and break "same seed, same bits".
   */
  private static double sumLanes(DoubleVector v) {
    double[] lanes = LANES.get();
    v.intoArray(lanes, 0);
    double s = 0;
    for (int i = 0; i < L; i++) s += lanes[i];
    return s;
  }

  private static final ThreadLocal<double[]> LANES = ThreadLocal.withInitial(() -> new double[L]);

  /**
   * Activations built on exp/tanh run the scalar code per element: the Vector API's EXP/TANH/EXPM1/LOG1P
   * (SVML when compiled, a per-lane Java fallback when interpreted) differ by an ulp between JIT states, so
   * a run's bits would depend on warm-up. java.lang.Math's functions give the same result in every mode.
   */
  private static boolean transcendental(Activation f) {
    return f == Activation.ELU || f == Activation.TANH || f == Activation.SIGMOID || f == Activation.SOFTPLUS
        || f == Activation.GELU;
  }

  @Override public String name() {
    return "panama(" + L + " x double)";
  }

  // ---- reductions and level-1 -------------------------------------------------------------------

  @Override public double dot(double[] x, int xOff, double[] y, int yOff, int n) {
    // Four independent accumulators hide the FMA latency (4 cycles on AVX-512 cores).
    DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (int b = n - 4 * L; i <= b; i += 4 * L) {
      a0 = DoubleVector.fromArray(S, x, xOff + i).fma(DoubleVector.fromArray(S, y, yOff + i), a0);
      a1 = DoubleVector.fromArray(S, x, xOff + i + L).fma(DoubleVector.fromArray(S, y, yOff + i + L), a1);
      a2 = DoubleVector.fromArray(S, x, xOff + i + 2 * L).fma(DoubleVector.fromArray(S, y, yOff + i + 2 * L), a2);
      a3 = DoubleVector.fromArray(S, x, xOff + i + 3 * L).fma(DoubleVector.fromArray(S, y, yOff + i + 3 * L), a3);
    }
    for (int b = n - L; i <= b; i += L) {
      a0 = DoubleVector.fromArray(S, x, xOff + i).fma(DoubleVector.fromArray(S, y, yOff + i), a0);
    }
    double s = sumLanes(a0.add(a1).add(a2.add(a3)));
    for (; i < n; i++) s = Math.fma(x[xOff + i], y[yOff + i], s);
    return s;
  }

  @Override public void axpy(double a, double[] x, int xOff, double[] y, int yOff, int n) {
    // C2 auto-vectorises this loop already (measured: the Vector API gains nothing here).
    for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
  }

  @Override public void scale(double a, double[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) x[xOff + i] *= a;
  }

  @Override public double sum(double[] x, int xOff, int n) {
    DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (int b = n - 4 * L; i <= b; i += 4 * L) {
      a0 = a0.add(DoubleVector.fromArray(S, x, xOff + i));
      a1 = a1.add(DoubleVector.fromArray(S, x, xOff + i + L));
      a2 = a2.add(DoubleVector.fromArray(S, x, xOff + i + 2 * L));
      a3 = a3.add(DoubleVector.fromArray(S, x, xOff + i + 3 * L));
    }
    for (int b = n - L; i <= b; i += L) a0 = a0.add(DoubleVector.fromArray(S, x, xOff + i));
    double s = sumLanes(a0.add(a1).add(a2.add(a3)));
    for (; i < n; i++) s += x[xOff + i];
    return s;
  }

  @Override public void mul(double[] x, int xOff, double[] y, int yOff, double[] out, int outOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      DoubleVector.fromArray(S, x, xOff + i).mul(DoubleVector.fromArray(S, y, yOff + i)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) out[outOff + i] = x[xOff + i] * y[yOff + i];
  }

  @Override public void mulMulAdd(double[] x, int xOff, double[] y, int yOff, double[] z, int zOff, double[] out, int outOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      // Same rounding as the scalar (x*y)*z + out: no FMA, so the two back ends agree bit for bit.
      DoubleVector p = DoubleVector.fromArray(S, x, xOff + i).mul(DoubleVector.fromArray(S, y, yOff + i))
          .mul(DoubleVector.fromArray(S, z, zOff + i));
      DoubleVector.fromArray(S, out, outOff + i).add(p).intoArray(out, outOff + i);
    }
    for (; i < n; i++) out[outOff + i] += x[xOff + i] * y[yOff + i] * z[zOff + i];
  }

  // ---- activations ------------------------------------------------------------------------------

  @Override public void activation(Activation f, double[] x, int xOff, double[] out, int outOff, int n) {
    if (f == Activation.IDENTITY) {
      System.arraycopy(x, xOff, out, outOff, n);
      return;
    }
    if (transcendental(f)) {
      ScalarKernels.INSTANCE.activation(f, x, xOff, out, outOff, n);
      return;
    }
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      value(f, DoubleVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) out[outOff + i] = f.value(x[xOff + i]);
  }

  @Override public void activationBackward(Activation f, double[] x, int xOff, double[] g, int gOff, double[] out, int outOff, int n) {
    if (transcendental(f)) {
      ScalarKernels.INSTANCE.activationBackward(f, x, xOff, g, gOff, out, outOff, n);
      return;
    }
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      d1(f, DoubleVector.fromArray(S, x, xOff + i)).mul(DoubleVector.fromArray(S, g, gOff + i)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) out[outOff + i] = f.d1(x[xOff + i]) * g[gOff + i];
  }

  @Override public void activationDerivatives(Activation f, double[] x, int xOff, double[] d1, int d1Off, double[] d2, int d2Off, int n) {
    if (transcendental(f)) {
      ScalarKernels.INSTANCE.activationDerivatives(f, x, xOff, d1, d1Off, d2, d2Off, n);
      return;
    }
    if (d1 != null) {
      int i = 0;
      for (int b = n - L; i <= b; i += L) d1(f, DoubleVector.fromArray(S, x, xOff + i)).intoArray(d1, d1Off + i);
      for (; i < n; i++) d1[d1Off + i] = f.d1(x[xOff + i]);
    }
    if (d2 != null) {
      int i = 0;
      for (int b = n - L; i <= b; i += L) d2(f, DoubleVector.fromArray(S, x, xOff + i)).intoArray(d2, d2Off + i);
      for (; i < n; i++) d2[d2Off + i] = f.d2(x[xOff + i]);
    }
  }

  // Only the piecewise-linear activations are lane-wise (bit-identical to the scalar formulas); every other
  // activation goes through the scalar code (see transcendental()).

  private static DoubleVector value(Activation f, DoubleVector x) {
    switch (f) {
      case IDENTITY: return x;
      case RELU: return DoubleVector.zero(S).blend(x, x.compare(VectorOperators.GT, 0.0));
      case LEAKY_RELU: return x.mul(Activation.LEAKY_SLOPE).blend(x, x.compare(VectorOperators.GT, 0.0));
      default: throw new AssertionError(f);
    }
  }

  private static DoubleVector d1(Activation f, DoubleVector x) {
    DoubleVector one = DoubleVector.broadcast(S, 1.0);
    switch (f) {
      case IDENTITY: return one;
      case RELU: return DoubleVector.zero(S).blend(one, x.compare(VectorOperators.GT, 0.0));
      case LEAKY_RELU: return DoubleVector.broadcast(S, Activation.LEAKY_SLOPE).blend(one, x.compare(VectorOperators.GT, 0.0));
      default: throw new AssertionError(f);
    }
  }

  private static DoubleVector d2(Activation f, DoubleVector x) {
    switch (f) {
      case IDENTITY: case RELU: case LEAKY_RELU: return DoubleVector.zero(S);
      default: throw new AssertionError(f);
    }
  }

  @Override public void softmaxRows(double[] x, int xOff, double[] out, int outOff, int rows, int cols) {
    int vb = S.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols;
      int oo = outOff + r * cols;
      double max = Double.NEGATIVE_INFINITY;
      int c = 0;
      if (vb > 0) {
        DoubleVector m = DoubleVector.fromArray(S, x, xo);
        for (c = L; c < vb; c += L) m = m.max(DoubleVector.fromArray(S, x, xo + c));
        max = m.reduceLanes(VectorOperators.MAX);
      }
      for (; c < cols; c++) max = Math.max(max, x[xo + c]);
      DoubleVector acc = DoubleVector.zero(S);
      for (c = 0; c < vb; c += L) {
        for (int j = 0; j < L; j++) out[oo + c + j] = Math.exp(x[xo + c + j] - max);  // scalar exp: see transcendental()
        acc = acc.add(DoubleVector.fromArray(S, out, oo + c));
      }
      double s = sumLanes(acc);
      for (; c < cols; c++) {
        double e = Math.exp(x[xo + c] - max);
        out[oo + c] = e;
        s += e;
      }
      double inv = 1.0 / s;
      for (c = 0; c < vb; c += L) DoubleVector.fromArray(S, out, oo + c).mul(inv).intoArray(out, oo + c);
      for (; c < cols; c++) out[oo + c] *= inv;
    }
  }

  @Override public void outerAdd(double alpha, double[] x, int xOff, double[] y, int yOff, double[] a, int aOff, int m, int n) {
    int vb = S.loopBound(n);
    for (int i = 0; i < m; i++) {
      double s = alpha * x[xOff + i];
      DoubleVector sv = DoubleVector.broadcast(S, s);
      int row = aOff + i * n;
      int j = 0;
      for (; j < vb; j += L) {
        DoubleVector.fromArray(S, y, yOff + j).fma(sv, DoubleVector.fromArray(S, a, row + j)).intoArray(a, row + j);
      }
      for (; j < n; j++) a[row + j] = Math.fma(s, y[yOff + j], a[row + j]);
    }
  }

  @Override public void matVec(double[] a, int aOff, int m, int n, double[] x, int xOff, double[] y, int yOff) {
    int vb = S.loopBound(n);
    int i = 0;
    // Four rows at a time: each load of x feeds four FMAs, and the four accumulators are independent.
    for (; i + 4 <= m; i += 4) {
      int r0 = aOff + i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      DoubleVector s0 = DoubleVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
      int j = 0;
      for (; j < vb; j += L) {
        DoubleVector xv = DoubleVector.fromArray(S, x, xOff + j);
        s0 = DoubleVector.fromArray(S, a, r0 + j).fma(xv, s0);
        s1 = DoubleVector.fromArray(S, a, r1 + j).fma(xv, s1);
        s2 = DoubleVector.fromArray(S, a, r2 + j).fma(xv, s2);
        s3 = DoubleVector.fromArray(S, a, r3 + j).fma(xv, s3);
      }
      double t0 = sumLanes(s0), t1 = sumLanes(s1);
      double t2 = sumLanes(s2), t3 = sumLanes(s3);
      for (; j < n; j++) {
        double xj = x[xOff + j];
        t0 = Math.fma(a[r0 + j], xj, t0);
        t1 = Math.fma(a[r1 + j], xj, t1);
        t2 = Math.fma(a[r2 + j], xj, t2);
        t3 = Math.fma(a[r3 + j], xj, t3);
      }
      y[yOff + i] = t0;
      y[yOff + i + 1] = t1;
      y[yOff + i + 2] = t2;
      y[yOff + i + 3] = t3;
    }
    for (; i < m; i++) y[yOff + i] = dot(a, aOff + i * n, x, xOff, n);
  }
}
