package org.hesse.simd;

/**
 * Element-wise activation functions with PyTorch's defaults and conventions, and their first and second
 * derivatives. The scalar definitions here are the reference every vectorised kernel is tested against.
 * <ul>
 *   <li>relu: relu'(0) = 0 (as autograd); relu'' = 0.</li>
 *   <li>leaky_relu: negative slope 0.01; derivative at 0 is the negative slope (autograd: x &gt; 0 ? 1 : slope).</li>
 *   <li>elu: α = 1; derivative at 0 taken from the negative side like autograd (x &gt; 0 ? 1 : α eˣ).</li>
 *   <li>softplus: β = 1, threshold 20: linear for x &gt; 20 (σ' = 1, σ'' = 0), as nn.Softplus.</li>
 *   <li>gelu: exact form x Φ(x) (approximate='none'), Φ(x) = erfc(−x/√2)/2, which stays accurate to a few ulp
 *   for negative x where PyTorch's 1 + erf(x/√2) cancels (the two agree to about |x|·1e-16 absolute).</li>
 * </ul>
 */
public enum Activation {
  IDENTITY("identity"),
  RELU("relu"),
  LEAKY_RELU("leaky_relu"),
  ELU("elu"),
  TANH("tanh"),
  SIGMOID("sigmoid"),
  GELU("gelu"),
  SOFTPLUS("softplus");

  public static final double LEAKY_SLOPE = 0.01;
  public static final double ELU_ALPHA = 1.0;
  public static final double SOFTPLUS_THRESHOLD = 20.0;
  static final double INV_SQRT2 = 0.7071067811865476;
  static final double INV_SQRT_2PI = 0.3989422804014327;

  /** The name used in model descriptions and on the command line. */
  public final String id;

  Activation(String id) {
    this.id = id;
  }

  /** Looks up an activation by its model-description name; the error lists the known names. */
  public static Activation byName(String name) {
    for (Activation a : values()) {
      if (a.id.equals(name)) return a;
    }
    StringBuilder known = new StringBuilder();
    for (Activation a : values()) known.append(known.length() == 0 ? "" : ", ").append(a.id);
    throw new IllegalArgumentException("unknown activation '" + name + "', expected one of: " + known);
  }

  /** True when f'' is zero almost everywhere (piecewise-linear), so the GGN and Hessian blocks agree. */
  public boolean piecewiseLinear() {
    return this == IDENTITY || this == RELU || this == LEAKY_RELU;
  }

  public double value(double x) {
    switch (this) {
      case IDENTITY: return x;
      case RELU: return x <= 0 ? 0.0 : x;  // NaN passes through, as in PyTorch: an overflow upstream reaches the loss
      case LEAKY_RELU: return x > 0 ? x : LEAKY_SLOPE * x;
      case ELU: return x > 0 ? x : ELU_ALPHA * Math.expm1(x);
      case TANH: return Math.tanh(x);
      case SIGMOID: return sigmoid(x);
      case GELU: return 0.5 * x * Erf.erfc(-x * INV_SQRT2); // Φ(x) = erfc(−x/√2)/2: no cancellation for x < 0
      case SOFTPLUS: return x > SOFTPLUS_THRESHOLD ? x : Math.log1p(Math.exp(x));
      default: throw new AssertionError(this);
    }
  }

  public double d1(double x) {
    switch (this) {
      case IDENTITY: return 1.0;
      case RELU: return x <= 0 ? 0.0 : 1.0;  // 1 at NaN, as PyTorch's relu backward (it tests the output: NaN ≤ 0 fails)
      case LEAKY_RELU: return x > 0 ? 1.0 : LEAKY_SLOPE;
      case ELU: return x > 0 ? 1.0 : ELU_ALPHA * Math.exp(x);
      case TANH: { double t = Math.tanh(x); return 1.0 - t * t; }
      case SIGMOID: { double s = sigmoid(x); return s * (1.0 - s); }
      case GELU: return 0.5 * Erf.erfc(-x * INV_SQRT2) + x * INV_SQRT_2PI * expHalfSquare(x);
      case SOFTPLUS: return x > SOFTPLUS_THRESHOLD ? 1.0 : sigmoid(x);
      default: throw new AssertionError(this);
    }
  }

  public double d2(double x) {
    switch (this) {
      case IDENTITY: case RELU: case LEAKY_RELU: return 0.0;
      case ELU: return x > 0 ? 0.0 : ELU_ALPHA * Math.exp(x);
      case TANH: { double t = Math.tanh(x); return -2.0 * t * (1.0 - t * t); }
      case SIGMOID: { double s = sigmoid(x); return s * (1.0 - s) * (1.0 - 2.0 * s); }
      case GELU: return INV_SQRT_2PI * expHalfSquare(x) * (2.0 - x * x);
      case SOFTPLUS: { if (x > SOFTPLUS_THRESHOLD) return 0.0; double s = sigmoid(x); return s * (1.0 - s); }
      default: throw new AssertionError(this);
    }
  }

  /** e^{−x²/2} with x² = hi + lo split exactly by FMA: rounding x² alone would cost up to x²/2 ulps. */
  static double expHalfSquare(double x) {
    double hi = x * x;
    double lo = Math.fma(x, x, -hi);
    return Math.exp(-0.5 * hi) * (1.0 - 0.5 * lo);
  }

  static double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
    double e = Math.exp(x);
    return e / (1.0 + e);
  }
}
