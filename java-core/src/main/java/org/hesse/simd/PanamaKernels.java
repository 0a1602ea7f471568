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
 *   <li>reassociation in reductions (dot, sum, matVec): several partial sums;</li>
 *   <li>FMA in dot, matVec and outerAdd (one rounding instead of two);</li>
 *   <li>tanh: our own vector formula (within 3 ulp of StrictMath.tanh, see {@link #tanhV}), not Math.tanh.</li>
 * </ul>
 * The Vector API's transcendental ops (EXP, TANH, ...) are not used: compiled (SVML) and interpreted (a Java
 * fallback) they differ by an ulp, so results would depend on JIT warm-up; activations built on them run the
 * scalar code, and lane sums are taken in lane order (reduceLanes(ADD) has an unspecified order). Every kernel is
 * therefore a deterministic function of its inputs: same seed, same bits.
 * relu, leaky_relu and identity are bit-identical to the scalar kernels; mul, mulMulAdd, axpy, scale and softmax
 * run the scalar kernels' loops (C2 vectorises the element-wise ones itself).
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
   * Activations built on exp/tanh (but tanh's value, see tanhV) run the scalar code per element: the Vector API's EXP/TANH/EXPM1/LOG1P
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

  // mul and mulMulAdd: C2 auto-vectorises and unrolls these plain loops, 2.3× faster than a Vector API loop here
  // (three bounds checks per step, no unrolling), with the same IEEE rounding (no FMA).
  @Override public void mul(double[] x, int xOff, double[] y, int yOff, double[] out, int outOff, int n) {
    ScalarKernels.INSTANCE.mul(x, xOff, y, yOff, out, outOff, n);
  }

  @Override public void mulMulAdd(double[] x, int xOff, double[] y, int yOff, double[] z, int zOff, double[] out, int outOff, int n) {
    ScalarKernels.INSTANCE.mulMulAdd(x, xOff, y, yOff, z, zOff, out, outOff, n);
  }

  // ---- activations ------------------------------------------------------------------------------

  @Override public void activation(Activation f, double[] x, int xOff, double[] out, int outOff, int n) {
    if (f == Activation.IDENTITY) {
      System.arraycopy(x, xOff, out, outOff, n);
      return;
    }
    if (f == Activation.TANH) {
      int i = 0;
      for (int b = n - L; i <= b; i += L) tanhV(DoubleVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
      for (; i < n; i++) out[outOff + i] = tanhScalar(x[xOff + i]);
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

  // ---- a deterministic vector tanh ----------------------------------------------------------------
  // Only +, −, ×, ÷, FMA, min, abs and bit operations, which are IEEE-exact and so give the same bits interpreted
  // and compiled (unlike the Vector API's EXP/TANH), and which C2 intrinsifies on JDK 17 (no D2L conversion, no
  // mask casts: those fall back to boxed per-lane code there). One branch-free formula for every x:
  //   tanh|x| = −e / (2 + e),  e = expm1(−2 min(|x|, 20))
  // (tanh 20 rounds to 1), the sign of x put back by its sign bit (so tanh(−0) = −0, NaN stays NaN). expm1(a) by
  // Cody–Waite reduction a = n·ln2 + r, |r| ≤ ln2/2: expm1(a) = 2^n·expm1(r) + (2^n − 1), expm1(r) = r + r²·q(r)
  // with q the Taylor series to r^13 (truncation below 2e-17 relative). Within 3 ulp of StrictMath.tanh (tested
  // to 4).

  private static final double[] EXPM1_TAYLOR = new double[14];  // [i] = 1/i! for i = 2..13
  static {
    double f = 1;
    for (int i = 1; i < EXPM1_TAYLOR.length; i++) {
      f *= i;
      EXPM1_TAYLOR[i] = 1.0 / f;
    }
  }
  static final double TANH_ONE = 20.0;
  private static final double INV_LN2 = 1.4426950408889634;
  private static final double LN2_HI = 0.6931471803691238;   // ln 2 with its low 21 bits cleared: n·LN2_HI is exact
  private static final double LN2_LO = 1.9082149292705877e-10;
  private static final double ROUND = 6755399441055744.0;    // 1.5·2^52: adding and subtracting rounds to an integer
  private static final long SIGN_BIT = 0x8000000000000000L;

  /** tanh by the rule above (the scalar mirror of {@link #tanhV}, for the tail of a loop: the same bits). */
  static double tanhScalar(double x) {
    double a = -2.0 * Math.min(Math.abs(x), TANH_ONE);
    double shifted = a * INV_LN2 + ROUND;    // its low mantissa bits hold n
    double n = shifted - ROUND;
    double r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, a));
    double q = EXPM1_TAYLOR[13];
    for (int i = 12; i >= 2; i--) q = Math.fma(q, r, EXPM1_TAYLOR[i]);
    double em = Math.fma(r * r, q, r);
    double s = Double.longBitsToDouble((Double.doubleToRawLongBits(shifted) + 1023) << 52);  // 2^n
    double e = Math.fma(s, em, s - 1.0);
    double t = Math.abs(-e / (2.0 + e));
    return Double.longBitsToDouble(Double.doubleToRawLongBits(t) | (Double.doubleToRawLongBits(x) & SIGN_BIT));
  }

  private static DoubleVector tanhV(DoubleVector x) {
    DoubleVector a = x.abs().min(TANH_ONE).mul(-2.0);
    DoubleVector shifted = a.mul(INV_LN2).add(ROUND);
    DoubleVector nn = shifted.sub(ROUND).neg();
    DoubleVector r = nn.fma(DoubleVector.broadcast(S, LN2_LO), nn.fma(DoubleVector.broadcast(S, LN2_HI), a));
    DoubleVector q = DoubleVector.broadcast(S, EXPM1_TAYLOR[13]);
    for (int i = 12; i >= 2; i--) q = q.fma(r, DoubleVector.broadcast(S, EXPM1_TAYLOR[i]));
    DoubleVector em = r.mul(r).fma(q, r);
    DoubleVector s = shifted.reinterpretAsLongs().add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    DoubleVector e = s.fma(em, s.sub(1.0));
    DoubleVector t = e.neg().div(e.add(2.0)).abs();
    return t.reinterpretAsLongs().or(x.reinterpretAsLongs().and(SIGN_BIT)).reinterpretAsDoubles();
  }

  // Softmax is the scalar code: exp (scalar for determinism, see transcendental()) dominates, and vector max/sum
  // measured no faster (128 × 1000 and 2048 × 64 rows: within 3 %).
  @Override public void softmaxRows(double[] x, int xOff, double[] out, int outOff, int rows, int cols) {
    ScalarKernels.INSTANCE.softmaxRows(x, xOff, out, outOff, rows, cols);
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
