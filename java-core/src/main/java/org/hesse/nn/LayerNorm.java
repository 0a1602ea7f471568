package org.hesse.nn;

import java.util.List;

/**
 * Layer normalisation over each sample's features, PyTorch {@code nn.LayerNorm(normalized_shape, eps=1e-5,
 * elementwise_affine=True)} with {@code normalized_shape} = the whole per-sample shape (e.g. {@code [C, H, W]}).
 * Per sample n, over its D values: {@code μ_n}, biased {@code σ_n²}, {@code s_n = √(σ_n² + ε)},
 * {@code x̂ = (x − μ_n)/s_n}, output {@code γ ⊙ x̂ + β}. Samples are not coupled; no buffers, no modes.
 * Parameters: {@code weight} γ (per-sample shape, init 1), {@code bias} β (init 0).
 *
 * <p>Model JSON: {@code {"type": "layernorm", "eps": 1e-5}} (eps optional).
 */
public final class LayerNorm implements Layer {
  public static final double DEFAULT_EPS = 1e-5;

  private final int[] shape;
  private final int size;
  private final double eps;
  private final List<ParamTensor> tensors;

  /** Per-workspace: each sample's mean and 1/s from the last forward pass. */
  static final class State {
    final double[] mean;
    final double[] invStd;

    State(int maxBatch) {
      mean = new double[maxBatch];
      invStd = new double[maxBatch];
    }
  }

  public LayerNorm(int[] inShape) {
    this(inShape, DEFAULT_EPS);
  }

  public LayerNorm(int[] inShape, double eps) {
    int n = 1;
    for (int d : inShape) {
      if (d <= 0) throw new IllegalArgumentException("layernorm: input shape dimensions must be > 0, got "
          + java.util.Arrays.toString(inShape));
      n *= d;
    }
    if (inShape.length == 0) throw new IllegalArgumentException("layernorm: input shape must not be empty");
    if (!(eps >= 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("layernorm: 'eps' must be a finite number >= 0, got " + eps);
    }
    this.shape = inShape.clone();
    this.size = n;
    this.eps = eps;
    this.tensors = List.of(new ParamTensor("weight", 0, inShape), new ParamTensor("bias", n, inShape));
  }

  @Override public String type() { return "layernorm"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return tensors; }

  public double eps() { return eps; }

  @Override
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("type", type());
    m.put("eps", eps);
    return m;
  }

  @Override
  public Object newState(int maxBatch) {
    return new State(maxBatch);
  }

  /** Initial parameters as PyTorch's reset_parameters: γ = 1, β = 0. */
  @Override
  public void initParameters(Init scheme, double[] theta, int off, java.util.SplittableRandom rng) {
    initParameters(theta, off);
  }

  @Override
  public boolean normaliser() {
    return true;
  }

  public void initParameters(double[] theta, int off) {
    java.util.Arrays.fill(theta, off, off + size, 1.0);
    java.util.Arrays.fill(theta, off + size, off + 2 * size, 0.0);
  }

  /** Each sample's mean and 1/√(σ² + ε) (biased variance, two passes). */
  public void statistics(double[] x, int batch, double[] mean, double[] invStd) {
    for (int n = 0; n < batch; n++) {
      int o = n * size;
      double s = 0;
      for (int d = 0; d < size; d++) s += x[o + d];
      double mu = s / size;
      double q = 0;
      for (int d = 0; d < size; d++) {
        double t = x[o + d] - mu;
        q += t * t;
      }
      mean[n] = mu;
      invStd[n] = 1.0 / Math.sqrt(q / size + eps);
    }
  }

  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    statistics(x, batch, st.mean, st.invStd);
    for (int n = 0; n < batch; n++) {
      int o = n * size;
      double mu = st.mean[n];
      double is = st.invStd[n];
      for (int d = 0; d < size; d++) z[o + d] = theta[off + d] * (x[o + d] - mu) * is + theta[off + size + d];
    }
  }

  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    for (int n = 0; n < batch; n++) {
      int o = n * size;
      double mu = st.mean[n];
      double is = st.invStd[n];
      double sh = 0;
      double shx = 0;
      for (int d = 0; d < size; d++) {
        double g = gOut[o + d];
        double xh = (x[o + d] - mu) * is;
        if (gTheta != null) {
          gTheta[off + d] += g * xh;
          gTheta[off + size + d] += g;
        }
        double h = g * theta[off + d];
        sh += h;
        shx += h * xh;
      }
      if (gIn == null) continue;
      // with h = γ ⊙ g: gx = (h − mean(h) − x̂·mean(h·x̂)) / s
      double mh = sh / size;
      double mhx = shx / size;
      for (int d = 0; d < size; d++) {
        double xh = (x[o + d] - mu) * is;
        gIn[o + d] = is * (gOut[o + d] * theta[off + d] - mh - xh * mhx);
      }
    }
  }
}
