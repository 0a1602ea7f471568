package org.hesse.simd;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 *   <li>tanh, the logistic function and ELU (values and derivatives): this class's own exp family (a few ulp from
 *   java.lang.Math, see the section below), not Math.tanh/exp/expm1.</li>
 * </ul>
 * The Vector API's transcendental ops (EXP, TANH, ...) are not used: compiled (SVML) and interpreted (a Java
 * fallback) they differ by an ulp, so results would depend on JIT warm-up; softplus and GELU run the scalar code, and lane sums are taken in lane order (reduceLanes(ADD) has an unspecified order). Every kernel is
 * therefore a deterministic function of its inputs: same seed, same bits.
 * relu, leaky_relu and identity are bit-identical to the scalar kernels; mul, mulMulAdd, axpy, scale and softmax
 * run the scalar kernels' loops (C2 vectorises the element-wise ones itself).
 *
 * <p>float arrays (the float32 path): the kernels read floats L at a time (a float species of half the width, so
 * one F2D conversion fills one double vector), compute in double lanes and round each result to float once (relu
 * and identity, exact in float, the tanh value and the output-form tangent and curvature run in
 * FloatVector.SPECIES_PREFERRED lanes in float arithmetic); see the float32 section at the end for the error bounds.
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
   * softplus and GELU (log1p, erf) run the scalar code per element: the Vector API's EXP/LOG1P/... (SVML when
   * compiled, a per-lane Java fallback when interpreted) differ by an ulp between JIT states, so a run's bits would
   * depend on warm-up. tanh, the logistic function and ELU use this class's own exp family instead (below).
   */
  private static boolean transcendental(Activation f) {
    return f == Activation.SOFTPLUS || f == Activation.GELU;
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

  // axpy and scale: C2 auto-vectorises the scalar loops already (measured: the Vector API gains nothing here).
  @Override public void axpy(double a, double[] x, int xOff, double[] y, int yOff, int n) {
    ScalarKernels.INSTANCE.axpy(a, x, xOff, y, yOff, n);
  }

  @Override public void scale(double a, double[] x, int xOff, int n) {
    ScalarKernels.INSTANCE.scale(a, x, xOff, n);
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

  // The output-form tangent and curvature of tanh and the logistic function: plain double loops, which C2 vectorises
  // as it does mulMulAdd.
  @Override public void outputTangent(Activation f, double[] a, int aOff, double[] dx, int dxOff, double[] out, int outOff, int n) {
    ScalarKernels.INSTANCE.outputTangent(f, a, aOff, dx, dxOff, out, outOff, n);
  }

  @Override public void outputCurvature(Activation f, double[] a, int aOff, double[] dx, int dxOff, double[] g, int gOff,
      double[] out, int outOff, int n) {
    ScalarKernels.INSTANCE.outputCurvature(f, a, aOff, dx, dxOff, g, gOff, out, outOff, n);
  }

  // ---- activations ------------------------------------------------------------------------------

  @Override public void activation(Activation f, double[] x, int xOff, double[] out, int outOff, int n) {
    if (!split(f)) {
      activationPart(f, x, xOff, out, outOff, n);
      return;
    }
    KernelThreads.split(n, (from, to) -> activationPart(f, x, xOff + from, out, outOff + from, to - from));
  }

  private static void activationPart(Activation f, double[] x, int xOff, double[] out, int outOff, int n) {
    switch (f) {
      case IDENTITY: System.arraycopy(x, xOff, out, outOff, n); return;
      case TANH: tanhLoop(x, xOff, out, outOff, n); return;
      case SIGMOID: sigmoidLoop(x, xOff, out, outOff, n); return;
      case ELU: eluLoop(x, xOff, out, outOff, n); return;
      case RELU: case LEAKY_RELU: break;
      default: ScalarKernels.INSTANCE.activation(f, x, xOff, out, outOff, n); return;  // see transcendental()
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
    if (fromExpFamily(f)) {
      // σ' by the vector loop, then times g (into a scratch array when out is g itself)
      double[] d = out == g ? new double[n] : out;
      int dOff = out == g ? 0 : outOff;
      activationDerivatives(f, x, xOff, d, dOff, null, 0, n);
      for (int i = 0; i < n; i++) out[outOff + i] = d[dOff + i] * g[gOff + i];
      return;
    }
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      d1(f, DoubleVector.fromArray(S, x, xOff + i)).mul(DoubleVector.fromArray(S, g, gOff + i)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) out[outOff + i] = f.d1(x[xOff + i]) * g[gOff + i];
  }

  @Override public void activationDerivatives(Activation f, double[] x, int xOff, double[] d1, int d1Off, double[] d2, int d2Off, int n) {
    if (!split(f)) {
      derivativesPart(f, x, xOff, d1, d1Off, d2, d2Off, n);
      return;
    }
    KernelThreads.split(n, (from, to) -> derivativesPart(f, x, xOff + from, d1, d1Off + from, d2, d2Off + from, to - from));
  }

  /** Whether an activation is costly enough per element for {@link KernelThreads} (not the piecewise-linear ones). */
  private static boolean split(Activation f) {
    return !f.piecewiseLinear();
  }

  private void derivativesPart(Activation f, double[] x, int xOff, double[] d1, int d1Off, double[] d2, int d2Off, int n) {
    if (transcendental(f)) {
      ScalarKernels.INSTANCE.activationDerivatives(f, x, xOff, d1, d1Off, d2, d2Off, n);
      return;
    }
    if (fromExpFamily(f)) {
      expFamilyDerivatives(f, x, xOff, d1, d1Off, d2, d2Off, n);
      return;
    }
    if (d1 != null) {
      int i = 0;
      for (int b = n - L; i <= b; i += L) d1(f, DoubleVector.fromArray(S, x, xOff + i)).intoArray(d1, d1Off + i);
      for (; i < n; i++) d1[d1Off + i] = f.d1(x[xOff + i]);
    }
    if (d2 != null) Arrays.fill(d2, d2Off, d2Off + n, 0.0);  // piecewise linear
  }

  private static boolean fromExpFamily(Activation f) {
    return f == Activation.TANH || f == Activation.SIGMOID || f == Activation.ELU;
  }

  /**
   * σ' and σ'' of tanh, the logistic function and ELU. tanh, σ: the vector loop writes the value into one output, and
   * a plain loop derives both from it (1 − t², −2t(1 − t²); s(1 − s), s(1 − s)(1 − 2s)), the same arithmetic for every
   * element whether it sat in a vector lane or the tail. ELU: its own loop (α e^x below 0, blended without branches).
   */
  private static void expFamilyDerivatives(Activation f, double[] x, int xOff, double[] d1, int d1Off, double[] d2,
                                           int d2Off, int n) {
    double[] t = d1 != null ? d1 : d2;
    int tOff = d1 != null ? d1Off : d2Off;
    if (t == null) return;
    switch (f) {
      case TANH:
        tanhLoop(x, xOff, t, tOff, n);
        for (int i = 0; i < n; i++) {
          double v = t[tOff + i];
          double dv = 1.0 - v * v;
          if (d2 != null) d2[d2Off + i] = -2.0 * v * dv;
          if (d1 != null) d1[d1Off + i] = dv;
        }
        return;
      case SIGMOID:
        sigmoidLoop(x, xOff, t, tOff, n);
        for (int i = 0; i < n; i++) {
          double v = t[tOff + i];
          double dv = v * (1.0 - v);
          if (d2 != null) d2[d2Off + i] = dv * (1.0 - 2.0 * v);
          if (d1 != null) d1[d1Off + i] = dv;
        }
        return;
      case ELU:
        eluDerivativesLoop(x, xOff, d1, d1Off, d2, d2Off, n);
        return;
      default:
        throw new AssertionError(f);
    }
  }

  // One loop per function of the exp family, each calling its vector function directly, so that C2 inlines it and
  // keeps the vectors in registers (a shared dispatch method grows past the inlining limits and boxes them).

  private static void tanhLoop(double[] x, int xOff, double[] out, int outOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) tanhV(DoubleVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
    for (; i < n; i++) out[outOff + i] = tanhScalar(x[xOff + i]);
  }

  private static void sigmoidLoop(double[] x, int xOff, double[] out, int outOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) sigmoidV(DoubleVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
    for (; i < n; i++) out[outOff + i] = sigmoidScalar(x[xOff + i]);
  }

  /** ELU: x for x ≥ 0 (so ELU(±0) = ±0, as α·expm1(−0) is), α·expm1(x) below. */
  private static void eluLoop(double[] x, int xOff, double[] out, int outOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      DoubleVector v = DoubleVector.fromArray(S, x, xOff + i);
      expm1NegV(v.min(0.0)).mul(Activation.ELU_ALPHA).blend(v, v.compare(VectorOperators.GE, 0.0)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) {
      double v = x[xOff + i];
      out[outOff + i] = v >= 0 ? v : Activation.ELU_ALPHA * expm1NegScalar(Math.min(v, 0.0));
    }
  }

  /** ELU' = 1 and ELU'' = 0 for x > 0, both α e^x below (either output may be null). */
  private static void eluDerivativesLoop(double[] x, int xOff, double[] d1, int d1Off, double[] d2, int d2Off, int n) {
    DoubleVector one = DoubleVector.broadcast(S, 1.0);
    DoubleVector zero = DoubleVector.zero(S);
    int i = 0;
    for (int b = n - L; i <= b; i += L) {
      DoubleVector v = DoubleVector.fromArray(S, x, xOff + i);
      VectorMask<Double> pos = v.compare(VectorOperators.GT, 0.0);
      DoubleVector e = expNegV(v.min(0.0)).mul(Activation.ELU_ALPHA);
      if (d1 != null) e.blend(one, pos).intoArray(d1, d1Off + i);
      if (d2 != null) e.blend(zero, pos).intoArray(d2, d2Off + i);
    }
    for (; i < n; i++) {
      double v = x[xOff + i];
      double e = Activation.ELU_ALPHA * expNegScalar(Math.min(v, 0.0));
      if (d1 != null) d1[d1Off + i] = v > 0 ? 1.0 : e;
      if (d2 != null) d2[d2Off + i] = v > 0 ? 0.0 : e;
    }
  }

  // The piecewise-linear activations lane-wise, bit-identical to Activation's formulas.

  private static DoubleVector value(Activation f, DoubleVector x) {
    switch (f) {
      case RELU: return x.blend(0.0, x.compare(VectorOperators.LE, 0.0));  // NaN passes, as Activation.value
      case LEAKY_RELU: return x.mul(Activation.LEAKY_SLOPE).blend(x, x.compare(VectorOperators.GT, 0.0));
      default: throw new AssertionError(f);
    }
  }

  private static DoubleVector d1(Activation f, DoubleVector x) {
    DoubleVector one = DoubleVector.broadcast(S, 1.0);
    switch (f) {
      case IDENTITY: return one;
      case RELU: return one.blend(0.0, x.compare(VectorOperators.LE, 0.0));
      case LEAKY_RELU: return DoubleVector.broadcast(S, Activation.LEAKY_SLOPE).blend(one, x.compare(VectorOperators.GT, 0.0));
      default: throw new AssertionError(f);
    }
  }

  // ---- a deterministic exp family: exp(a), expm1(a) for a ≤ 0, and tanh and the logistic function on them ----
  // Only +, −, ×, ÷, FMA, min, max, abs and bit operations, which are IEEE-exact and so give the same bits
  // interpreted and compiled (unlike the Vector API's EXP/TANH), and which C2 intrinsifies on JDK 17 (no D2L
  // conversion, no mask casts: those fall back to boxed per-lane code there). Cody–Waite reduction a = n·ln2 + r,
  // |r| ≤ ln2/2, n read from the rounding sum's low mantissa bits; expm1(r) = r + r²·q(r) with q the Taylor series
  // to r^13 (truncation below 2e-17 relative). Then
  //   expm1(a) = 2^n·expm1(r) + (2^n − 1)                 (a ≥ −40; expm1(−40) already rounds to −1)
  //   exp(a)   = (1 + expm1(r))·2^⌊n/2⌋·2^(n−⌊n/2⌋)     (a ≥ −746; two factors so that subnormal results round once)
  //   tanh|x|  = −e / (2 + e),  e = expm1(−2|x|),  the sign of x put back by its sign bit (tanh(−0) = −0)
  //   σ(x)     = 1/(1 + e) for x ≥ 0, e/(1 + e) below,  e = exp(−|x|)
  // NaN stays NaN throughout; a zero result of expm1 may lose the sign of a = −0 (tanh puts its sign back, ELU
  // returns x at ±0). Tested within 3 ulp of StrictMath (tanh), 2 ulp (exp, expm1), 4 ulp (σ).

  private static final double[] EXPM1_TAYLOR = new double[14];  // [i] = 1/i! for i = 2..13
  static {
    double f = 1;
    for (int i = 1; i < EXPM1_TAYLOR.length; i++) {
      f *= i;
      EXPM1_TAYLOR[i] = 1.0 / f;
    }
  }
  static final double TANH_ONE = 20.0;
  static final double EXPM1_MIN = -40.0;   // expm1 below rounds to −1
  static final double EXP_MIN = -746.0;    // exp below rounds to 0
  private static final double INV_LN2 = 1.4426950408889634;
  private static final double LN2_HI = 0.6931471803691238;   // ln 2 with its low 21 bits cleared: n·LN2_HI is exact
  private static final double LN2_LO = 1.9082149292705877e-10;
  private static final double ROUND = 6755399441055744.0;    // 1.5·2^52: adding and subtracting rounds to an integer
  private static final long SIGN_BIT = 0x8000000000000000L;

  /** expm1(r) for |r| ≤ ln2/2. */
  private static double expm1Reduced(double r) {
    double q = EXPM1_TAYLOR[13];
    for (int i = 12; i >= 2; i--) q = Math.fma(q, r, EXPM1_TAYLOR[i]);
    return Math.fma(r * r, q, r);
  }

  private static DoubleVector expm1ReducedV(DoubleVector r) {
    DoubleVector q = DoubleVector.broadcast(S, EXPM1_TAYLOR[13]);
    for (int i = 12; i >= 2; i--) q = q.fma(r, DoubleVector.broadcast(S, EXPM1_TAYLOR[i]));
    return r.mul(r).fma(q, r);
  }

  /** The reduced argument r = a − n·ln2 of a rounding sum {@code shifted = a/ln2 + 1.5·2^52}. */
  private static double reduce(double a, double shifted) {
    double n = shifted - ROUND;
    return Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, a));
  }

  private static DoubleVector reduceV(DoubleVector a, DoubleVector shifted) {
    DoubleVector nn = shifted.sub(ROUND).neg();
    return nn.fma(DoubleVector.broadcast(S, LN2_LO), nn.fma(DoubleVector.broadcast(S, LN2_HI), a));
  }

  /** expm1(a) for a ≤ 0 (the scalar mirror of {@link #expm1NegV}). */
  static double expm1NegScalar(double a) {
    double c = Math.max(a, EXPM1_MIN);
    double shifted = c * INV_LN2 + ROUND;
    double em = expm1Reduced(reduce(c, shifted));
    double s = Double.longBitsToDouble((Double.doubleToRawLongBits(shifted) + 1023) << 52);  // 2^n, n ≥ −58
    return Math.fma(s, em, s - 1.0);
  }

  private static DoubleVector expm1NegV(DoubleVector a) {
    DoubleVector c = a.max(EXPM1_MIN);
    DoubleVector shifted = c.mul(INV_LN2).add(ROUND);
    DoubleVector em = expm1ReducedV(reduceV(c, shifted));
    DoubleVector s = shifted.reinterpretAsLongs().add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    return s.fma(em, s.sub(1.0));
  }

  /** exp(a) for a ≤ 0 (the scalar mirror of {@link #expNegV}). */
  static double expNegScalar(double a) {
    double c = Math.max(a, EXP_MIN);
    double shifted = c * INV_LN2 + ROUND;
    double p = 1.0 + expm1Reduced(reduce(c, shifted));
    long n = (Double.doubleToRawLongBits(shifted) << 52) >> 52;  // n ∈ [−1076, 0], sign-extended from 12 bits
    long h = n >> 1;
    return p * Double.longBitsToDouble((h + 1023) << 52) * Double.longBitsToDouble((n - h + 1023) << 52);
  }

  private static DoubleVector expNegV(DoubleVector a) {
    DoubleVector c = a.max(EXP_MIN);
    DoubleVector shifted = c.mul(INV_LN2).add(ROUND);
    DoubleVector p = expm1ReducedV(reduceV(c, shifted)).add(1.0);
    LongVector n = shifted.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).lanewise(VectorOperators.ASHR, 52);
    LongVector h = n.lanewise(VectorOperators.ASHR, 1);
    DoubleVector s1 = h.add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    DoubleVector s2 = n.sub(h).add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    return p.mul(s1).mul(s2);
  }

  /** tanh (the scalar mirror of {@link #tanhV}, for the tail of a loop: the same bits). */
  static double tanhScalar(double x) {
    double e = expm1NegScalar(-2.0 * Math.min(Math.abs(x), TANH_ONE));
    double t = Math.abs(-e / (2.0 + e));
    return Double.longBitsToDouble(Double.doubleToRawLongBits(t) | (Double.doubleToRawLongBits(x) & SIGN_BIT));
  }

  private static DoubleVector tanhV(DoubleVector x) {
    DoubleVector e = expm1NegV(x.abs().min(TANH_ONE).mul(-2.0));
    DoubleVector t = e.neg().div(e.add(2.0)).abs();
    return t.reinterpretAsLongs().or(x.reinterpretAsLongs().and(SIGN_BIT)).reinterpretAsDoubles();
  }

  /** The logistic function (the scalar mirror of {@link #sigmoidV}). */
  static double sigmoidScalar(double x) {
    double e = expNegScalar(-Math.abs(x));
    double t = 1.0 / (1.0 + e);
    return x >= 0 ? t : e * t;
  }

  private static DoubleVector sigmoidV(DoubleVector x) {
    DoubleVector e = expNegV(x.abs().neg());
    DoubleVector t = DoubleVector.broadcast(S, 1.0).div(e.add(1.0));
    return e.mul(t).blend(t, x.compare(VectorOperators.GE, 0.0));
  }

  /** exp(a) and expm1(a) for a ≤ 0 through the vector code (for tests: lanes and tails must agree). */
  static void expNeg(double[] a, double[] exp, double[] expm1) {
    int i = 0;
    for (int b = a.length - L; i <= b; i += L) {
      DoubleVector v = DoubleVector.fromArray(S, a, i);
      expNegV(v).intoArray(exp, i);
      expm1NegV(v).intoArray(expm1, i);
    }
    for (; i < a.length; i++) {
      exp[i] = expNegScalar(a[i]);
      expm1[i] = expm1NegScalar(a[i]);
    }
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

  // ---- float32 storage ----------------------------------------------------------------------------------------
  // The arithmetic runs in double lanes: floats are widened (F2D, exact) L at a time, and each element result is
  // narrowed (D2F) once. Both conversions are IEEE-exact operations (deterministic, like the rest of this class) and
  // intrinsified by C2 on JDK 17 (measured on AVX2: widening dot 27 µs vs. 31 µs for the double dot over 128 Ki
  // elements, scalar loop 123 µs). Error bounds against ScalarKernels' float kernels (the reference):
  //   dot, sum, matVec: products of floats are exact in double (24 + 24 < 53 bits), so only the double sums round,
  //     as in the double kernels: |Δ| ≤ 2nε Σ|terms| (ε = 2⁻⁵²); matVec then rounds the row sum to float.
  //   axpy, scale, outerAdd, identity, relu, leaky_relu (value, backward, derivatives): the reference's double
  //     operations in the same order (no FMA), rounded once: bit-identical.
  //   the logistic function, ELU (value, backward, derivatives), tanh (backward, derivatives): the double kernels
  //     above (within 8ε relative + 4ε absolute of the scalar double functions, see PanamaVsScalarTest) rounded once,
  //     so within one float ulp of the reference plus that double error; the tanh value: float lanes, within 2.50
  //     float ulp of tanh (below); the output-form tangent and curvature: float lanes, 5·2⁻²⁴ / 8·2⁻²⁴ (below);
  //     softplus, GELU, mul, mulMulAdd: the reference code itself; softmax: the reference's doubles, rounded once
  //     (bit-identical).
  // Activations go through the double kernels block by block (BLOCK doubles of thread-local scratch, in L1), so
  // there is one implementation of each function in this class for both precisions; relu and identity, exact in
  // float, run in float lanes instead, as do the tanh value and the output-form kernels (the float32 products' hot
  // element-wise work). Measured (same JVM, alternating, 256 × 512, AVX2, loaded machine), f32 / f64 time: dot 0.69,
  // sum 0.59, axpy 0.71, matVec 0.90, relu 0.53, relu backward 0.49, tanh derivatives 1.08, sigmoid derivatives 1.07;
  // the float-lane tanh 0.23 of the double route's time on floats (docs/performance.md, "Roofline").

  private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
  private static final int BLOCK = 512;  // a multiple of L: only the last block has a scalar tail
  private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[4][BLOCK]);

  private static DoubleVector widen(float[] a, int off) {
    return (DoubleVector) FloatVector.fromArray(FH, a, off).convertShape(VectorOperators.F2D, S, 0);
  }

  private static void narrow(DoubleVector v, float[] a, int off) {
    ((FloatVector) v.convertShape(VectorOperators.D2F, FH, 0)).intoArray(a, off);
  }

  /** to[0, n) = from[off, off + n) as doubles */
  private static void widen(float[] from, int off, double[] to, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) widen(from, off + i).intoArray(to, i);
    for (; i < n; i++) to[i] = from[off + i];
  }

  /** to[off, off + n) = from[0, n) rounded to float */
  private static void narrow(double[] from, float[] to, int off, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) narrow(DoubleVector.fromArray(S, from, i), to, off + i);
    for (; i < n; i++) to[off + i] = (float) from[i];
  }

  @Override public double dot(float[] x, int xOff, float[] y, int yOff, int n) {
    DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (int b = n - 4 * L; i <= b; i += 4 * L) {
      a0 = widen(x, xOff + i).fma(widen(y, yOff + i), a0);
      a1 = widen(x, xOff + i + L).fma(widen(y, yOff + i + L), a1);
      a2 = widen(x, xOff + i + 2 * L).fma(widen(y, yOff + i + 2 * L), a2);
      a3 = widen(x, xOff + i + 3 * L).fma(widen(y, yOff + i + 3 * L), a3);
    }
    for (int b = n - L; i <= b; i += L) a0 = widen(x, xOff + i).fma(widen(y, yOff + i), a0);
    double s = sumLanes(a0.add(a1).add(a2.add(a3)));
    for (; i < n; i++) s += (double) x[xOff + i] * y[yOff + i];
    return s;
  }

  @Override public double sum(float[] x, int xOff, int n) {
    DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (int b = n - 4 * L; i <= b; i += 4 * L) {
      a0 = a0.add(widen(x, xOff + i));
      a1 = a1.add(widen(x, xOff + i + L));
      a2 = a2.add(widen(x, xOff + i + 2 * L));
      a3 = a3.add(widen(x, xOff + i + 3 * L));
    }
    for (int b = n - L; i <= b; i += L) a0 = a0.add(widen(x, xOff + i));
    double s = sumLanes(a0.add(a1).add(a2.add(a3)));
    for (; i < n; i++) s += x[xOff + i];
    return s;
  }

  @Override public void axpy(double a, float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) narrow(widen(y, yOff + i).add(widen(x, xOff + i).mul(a)), y, yOff + i);
    for (; i < n; i++) y[yOff + i] = (float) (y[yOff + i] + a * x[xOff + i]);
  }

  @Override public void scale(double a, float[] x, int xOff, int n) {
    int i = 0;
    for (int b = n - L; i <= b; i += L) narrow(widen(x, xOff + i).mul(a), x, xOff + i);
    for (; i < n; i++) x[xOff + i] = (float) (a * x[xOff + i]);
  }

  // float arithmetic, one rounding per operation as the reference: C2 vectorises the plain loops.
  @Override public void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
    ScalarKernels.INSTANCE.mul(x, xOff, y, yOff, out, outOff, n);
  }

  @Override public void mulMulAdd(float[] x, int xOff, float[] y, int yOff, float[] z, int zOff, float[] out, int outOff, int n) {
    ScalarKernels.INSTANCE.mulMulAdd(x, xOff, y, yOff, z, zOff, out, outOff, n);
  }

  // The output-form tangent and curvature on floats, in float lanes (LF at a time, no conversions): tanh' = (1 − a)(1 + a)
  // (1 − a is exact for a ∈ [½, 1], so no cancellation where a saturates), tanh'' = −2a·tanh', σ' = a(1 − a),
  // σ'' = σ'·(1 − 2a); float roundings only: the tangent within 5·2⁻²⁴ relative of the reference's double result on
  // the same floats, the curvature's added term within 8·2⁻²⁴ (|term| + |out|) (KernelsReferenceTest). The double
  // route (widened lanes, rounded once) fell back to boxed vector code inside the products under C2 (JFR).
  @Override public void outputTangent(Activation f, float[] a, int aOff, float[] dx, int dxOff, float[] out, int outOff, int n) {
    ScalarKernels.requireOutputForm(f);
    int i = 0;
    if (f == Activation.TANH) {
      for (int b = n - LF; i <= b; i += LF) {
        FloatVector v = FloatVector.fromArray(F, a, aOff + i);
        v.neg().add(1f).mul(v.add(1f)).mul(FloatVector.fromArray(F, dx, dxOff + i)).intoArray(out, outOff + i);
      }
      for (; i < n; i++) {
        float v = a[aOff + i];
        out[outOff + i] = (1f - v) * (1f + v) * dx[dxOff + i];
      }
    } else {
      for (int b = n - LF; i <= b; i += LF) {
        FloatVector v = FloatVector.fromArray(F, a, aOff + i);
        v.mul(v.neg().add(1f)).mul(FloatVector.fromArray(F, dx, dxOff + i)).intoArray(out, outOff + i);
      }
      for (; i < n; i++) {
        float v = a[aOff + i];
        out[outOff + i] = v * (1f - v) * dx[dxOff + i];
      }
    }
  }

  @Override public void outputCurvature(Activation f, float[] a, int aOff, float[] dx, int dxOff, float[] g, int gOff,
      float[] out, int outOff, int n) {
    ScalarKernels.requireOutputForm(f);
    int i = 0;
    if (f == Activation.TANH) {
      for (int b = n - LF; i <= b; i += LF) {
        FloatVector v = FloatVector.fromArray(F, a, aOff + i);
        FloatVector d2 = v.mul(-2f).mul(v.neg().add(1f).mul(v.add(1f)));
        FloatVector term = d2.mul(FloatVector.fromArray(F, dx, dxOff + i)).mul(FloatVector.fromArray(F, g, gOff + i));
        FloatVector.fromArray(F, out, outOff + i).add(term).intoArray(out, outOff + i);
      }
      for (; i < n; i++) {
        float v = a[aOff + i];
        float d2 = (v * -2f) * ((1f - v) * (1f + v));
        out[outOff + i] = out[outOff + i] + d2 * dx[dxOff + i] * g[gOff + i];
      }
    } else {
      for (int b = n - LF; i <= b; i += LF) {
        FloatVector v = FloatVector.fromArray(F, a, aOff + i);
        FloatVector d2 = v.mul(v.neg().add(1f)).mul(v.mul(-2f).add(1f));
        FloatVector term = d2.mul(FloatVector.fromArray(F, dx, dxOff + i)).mul(FloatVector.fromArray(F, g, gOff + i));
        FloatVector.fromArray(F, out, outOff + i).add(term).intoArray(out, outOff + i);
      }
      for (; i < n; i++) {
        float v = a[aOff + i];
        float d2 = v * (1f - v) * (v * -2f + 1f);
        out[outOff + i] = out[outOff + i] + d2 * dx[dxOff + i] * g[gOff + i];
      }
    }
  }

  // relu and identity in float lanes (FloatVector.SPECIES_PREFERRED: 8 lanes on AVX2, 16 on AVX-512): their
  // results (x, 0, g or ±0·g) are exact in float, so the same bits as the double route, in one pass instead of three.
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int LF = F.length();

  @Override public void activation(Activation f, float[] x, int xOff, float[] out, int outOff, int n) {
    if (!split(f)) {
      activationPart(f, x, xOff, out, outOff, n);
      return;
    }
    KernelThreads.split(n, (from, to) -> activationPart(f, x, xOff + from, out, outOff + from, to - from));
  }

  private void activationPart(Activation f, float[] x, int xOff, float[] out, int outOff, int n) {
    if (f == Activation.IDENTITY) {
      System.arraycopy(x, xOff, out, outOff, n);
      return;
    }
    if (f == Activation.RELU) {
      int i = 0;
      for (int b = n - LF; i <= b; i += LF) {
        FloatVector v = FloatVector.fromArray(F, x, xOff + i);
        v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(out, outOff + i);
      }
      for (; i < n; i++) out[outOff + i] = x[xOff + i] <= 0 ? 0f : x[xOff + i];
      return;
    }
    if (f == Activation.TANH) {
      tanhLoopF(x, xOff, out, outOff, n);
      return;
    }
    double[][] w = SCRATCH.get();
    for (int b = 0; b < n; b += BLOCK) {
      int m = Math.min(BLOCK, n - b);
      widen(x, xOff + b, w[0], m);
      activationPart(f, w[0], 0, w[1], 0, m);
      narrow(w[1], out, outOff + b, m);
    }
  }

  // ---- tanh in float lanes (the float32 forward) ----
  // The double exp family's tanh in float arithmetic, LF lanes at a time (twice the double lanes, a third of the
  // polynomial): tanh|x| = −e / (2 + e), e = expm1(−2·min(|x|, 10)), the sign of x put back by its sign bit (so
  // tanh(±0) = ±0, tiny x give x exactly, NaN stays NaN, tanh(±∞) = ±1: tanh rounds to ±1 in float from |x| ≈ 9.01).
  // expm1(a), a ∈ [−20, 0]: Cody–Waite a = n·ln2 + r with FMA (r exact up to the low part's rounding), |r| ≤ ln2/2,
  // expm1(r) = r + r²·q(r), q the Taylor series to r^8 (truncation below 6e-10 relative), then
  // expm1(a) = 2^n·expm1(r) + (2^n − 1), n ∈ [−29, 0]. Only +, −, ×, ÷, FMA, min, abs and bit operations, each
  // IEEE-exact in float: the same bits compiled and interpreted, lanes and tail alike (the tail runs the scalar
  // mirror). Within 2.50 float ulp of tanh over every float (a one-off sweep against Math.tanh; docs/precision.md),
  // tested at TANH_F_ULP (FloatKernelsTest.tanhInFloatLanes).

  static final float TANH_ONE_F = 10f;
  /** The float-lane tanh's bound, in float ulp of the rounded result (a sweep of every float: at most 2.50). */
  static final int TANH_F_ULP = 3;
  private static final float[] EXPM1_TAYLOR_F = new float[9];  // [i] = 1/i! for i = 2..8
  static {
    for (int i = 2; i < EXPM1_TAYLOR_F.length; i++) EXPM1_TAYLOR_F[i] = (float) EXPM1_TAYLOR[i];
  }
  private static final float INV_LN2_F = 1.442695f;
  private static final float LN2_HI_F = 0.6931472f;                // ln 2 rounded to float
  private static final float LN2_LO_F = (float) (0.6931471805599453 - LN2_HI_F);
  private static final float ROUND_F = 12582912f;                 // 1.5·2^23: adding and subtracting rounds to an integer
  private static final int SIGN_BIT_F = 0x80000000;

  /** tanh of a float (the scalar mirror of {@link #tanhVF}: the same operations, the same bits). */
  static float tanhScalarF(float x) {
    float a = -2f * Math.min(Math.abs(x), TANH_ONE_F);
    float shifted = a * INV_LN2_F + ROUND_F;
    float nn = -(shifted - ROUND_F);
    float r = Math.fma(nn, LN2_LO_F, Math.fma(nn, LN2_HI_F, a));
    float q = EXPM1_TAYLOR_F[8];
    for (int i = 7; i >= 2; i--) q = Math.fma(q, r, EXPM1_TAYLOR_F[i]);
    float em = Math.fma(r * r, q, r);
    float s = Float.intBitsToFloat((Float.floatToRawIntBits(shifted) + 127) << 23);  // 2^n, n ≥ −29
    float e = Math.fma(s, em, s - 1f);
    float t = Math.abs(-e / (2f + e));
    return Float.intBitsToFloat(Float.floatToRawIntBits(t) | (Float.floatToRawIntBits(x) & SIGN_BIT_F));
  }

  private static FloatVector tanhVF(FloatVector x) {
    FloatVector a = x.abs().min(TANH_ONE_F).mul(-2f);
    FloatVector shifted = a.mul(INV_LN2_F).add(ROUND_F);
    FloatVector nn = shifted.sub(ROUND_F).neg();
    FloatVector r = nn.fma(FloatVector.broadcast(F, LN2_LO_F), nn.fma(FloatVector.broadcast(F, LN2_HI_F), a));
    FloatVector q = FloatVector.broadcast(F, EXPM1_TAYLOR_F[8]);
    for (int i = 7; i >= 2; i--) q = q.fma(r, FloatVector.broadcast(F, EXPM1_TAYLOR_F[i]));
    FloatVector em = r.mul(r).fma(q, r);
    FloatVector s = shifted.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector e = s.fma(em, s.sub(1f));
    FloatVector t = e.neg().div(e.add(2f)).abs();
    return t.reinterpretAsInts().or(x.reinterpretAsInts().and(SIGN_BIT_F)).reinterpretAsFloats();
  }

  private static void tanhLoopF(float[] x, int xOff, float[] out, int outOff, int n) {
    int i = 0;
    for (int b = n - LF; i <= b; i += LF) tanhVF(FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
    for (; i < n; i++) out[outOff + i] = tanhScalarF(x[xOff + i]);
  }

  @Override public void activationBackward(Activation f, float[] x, int xOff, float[] g, int gOff, float[] out, int outOff, int n) {
    if (f == Activation.IDENTITY || f == Activation.RELU) {
      FloatVector one = FloatVector.broadcast(F, 1f);
      boolean relu = f == Activation.RELU;
      int i = 0;
      for (int b = n - LF; i <= b; i += LF) {
        FloatVector d = relu ? one.blend(0f, FloatVector.fromArray(F, x, xOff + i).compare(VectorOperators.LE, 0f)) : one;
        d.mul(FloatVector.fromArray(F, g, gOff + i)).intoArray(out, outOff + i);
      }
      for (; i < n; i++) out[outOff + i] = (relu ? (x[xOff + i] <= 0 ? 0f : 1f) : 1f) * g[gOff + i];
      return;
    }
    double[][] w = SCRATCH.get();
    for (int b = 0; b < n; b += BLOCK) {
      int m = Math.min(BLOCK, n - b);
      widen(x, xOff + b, w[0], m);
      widen(g, gOff + b, w[1], m);
      activationBackward(f, w[0], 0, w[1], 0, w[2], 0, m);
      narrow(w[2], out, outOff + b, m);
    }
  }

  @Override public void activationDerivatives(Activation f, float[] x, int xOff, float[] d1, int d1Off, float[] d2, int d2Off, int n) {
    if (!split(f)) {
      derivativesPart(f, x, xOff, d1, d1Off, d2, d2Off, n);
      return;
    }
    KernelThreads.split(n, (from, to) -> derivativesPart(f, x, xOff + from, d1, d1Off + from, d2, d2Off + from, to - from));
  }

  private void derivativesPart(Activation f, float[] x, int xOff, float[] d1, int d1Off, float[] d2, int d2Off, int n) {
    if (d1 == null && d2 == null) return;
    double[][] w = SCRATCH.get();
    for (int b = 0; b < n; b += BLOCK) {
      int m = Math.min(BLOCK, n - b);
      widen(x, xOff + b, w[0], m);
      derivativesPart(f, w[0], 0, d1 == null ? null : w[1], 0, d2 == null ? null : w[2], 0, m);
      if (d1 != null) narrow(w[1], d1, d1Off + b, m);
      if (d2 != null) narrow(w[2], d2, d2Off + b, m);
    }
  }

  // The double softmax (scalar exp, for determinism) on widened rows, as many rows as fit in a block: it keeps each
  // exponential in the block instead of computing it twice as the float reference must (2.8× faster on 256 rows of
  // 10), with the same bits (the same doubles, rounded once). Rows longer than a block run the reference.
  @Override public void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
    if (cols > BLOCK || cols == 0) {
      ScalarKernels.INSTANCE.softmaxRows(x, xOff, out, outOff, rows, cols);
      return;
    }
    double[][] w = SCRATCH.get();
    int perBlock = BLOCK / cols;
    for (int r = 0; r < rows; r += perBlock) {
      int k = Math.min(perBlock, rows - r);
      widen(x, xOff + r * cols, w[0], k * cols);
      ScalarKernels.INSTANCE.softmaxRows(w[0], 0, w[1], 0, k, cols);
      narrow(w[1], out, outOff + r * cols, k * cols);
    }
  }

  @Override public void outerAdd(double alpha, float[] x, int xOff, float[] y, int yOff, float[] a, int aOff, int m, int n) {
    for (int i = 0; i < m; i++) {
      double s = alpha * x[xOff + i];
      int row = aOff + i * n;
      int j = 0;
      for (int b = n - L; j <= b; j += L) narrow(widen(a, row + j).add(widen(y, yOff + j).mul(s)), a, row + j);
      for (; j < n; j++) a[row + j] = (float) (a[row + j] + s * y[yOff + j]);
    }
  }

  @Override public void matVec(float[] a, int aOff, int m, int n, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    // Four rows at a time: each widened chunk of x feeds four FMAs (products exact, as in dot).
    for (; i + 4 <= m; i += 4) {
      int r0 = aOff + i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      DoubleVector s0 = DoubleVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
      int j = 0;
      for (int b = n - L; j <= b; j += L) {
        DoubleVector xv = widen(x, xOff + j);
        s0 = widen(a, r0 + j).fma(xv, s0);
        s1 = widen(a, r1 + j).fma(xv, s1);
        s2 = widen(a, r2 + j).fma(xv, s2);
        s3 = widen(a, r3 + j).fma(xv, s3);
      }
      double t0 = sumLanes(s0), t1 = sumLanes(s1);
      double t2 = sumLanes(s2), t3 = sumLanes(s3);
      for (; j < n; j++) {
        double xj = x[xOff + j];
        t0 += a[r0 + j] * xj;
        t1 += a[r1 + j] * xj;
        t2 += a[r2 + j] * xj;
        t3 += a[r3 + j] * xj;
      }
      y[yOff + i] = (float) t0;
      y[yOff + i + 1] = (float) t1;
      y[yOff + i + 2] = (float) t2;
      y[yOff + i + 3] = (float) t3;
    }
    for (; i < m; i++) y[yOff + i] = (float) dot(a, aOff + i * n, x, xOff, n);
  }
}
