package org.hesse.nn;

import org.hesse.precision.Float32Twin;
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
  private final int[] normalized;
  private final int size;
  private final int width;   // values normalised together: the product of normalized_shape
  private final int groups;  // size / width: each sample holds this many independently normalised groups
  private final double eps;
  private final List<ParamTensor> tensors;

  /** Per-workspace: each group's mean and 1/s from the last forward pass. */
  static final class State {
    final double[] mean;
    final double[] invStd;

    State(int rows) {
      mean = new double[rows];
      invStd = new double[rows];
    }
  }

  public LayerNorm(int[] inShape) {
    this(inShape, DEFAULT_EPS);
  }

  public LayerNorm(int[] inShape, double eps) {
    this(inShape, inShape, eps);
  }

  /**
   * Normalisation over the trailing axes {@code normalizedShape} of samples of shape {@code inShape} (PyTorch's
   * {@code nn.LayerNorm(normalized_shape)}): each sample holds {@code size / prod(normalizedShape)} groups, each
   * normalised on its own, all with the same γ, β of shape normalizedShape.
   */
  public LayerNorm(int[] inShape, int[] normalizedShape, double eps) {
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
    int k = normalizedShape.length;
    boolean trailing = k > 0 && k <= inShape.length;
    for (int i = 0; trailing && i < k; i++) trailing = normalizedShape[i] == inShape[inShape.length - k + i];
    if (!trailing) {
      throw new IllegalArgumentException("layernorm: 'normalized_shape' " + java.util.Arrays.toString(normalizedShape)
          + " must be the trailing axes of the input shape " + java.util.Arrays.toString(inShape));
    }
    this.shape = inShape.clone();
    this.normalized = normalizedShape.clone();
    this.size = n;
    this.width = Sizes.product(normalizedShape, "layernorm: normalized_shape");
    this.groups = n / width;
    this.eps = eps;
    this.tensors = List.of(new ParamTensor("weight", 0, normalizedShape), new ParamTensor("bias", width, normalizedShape));
  }

  @Override public String type() { return "layernorm"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }

  /** The normalised input x̂ and each group's 1/σ. */
  @Override public long preparedValuesPerSample() { return (long) size + groups; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return tensors; }

  public double eps() { return eps; }

  /** Values normalised together (the product of normalized_shape). */
  public int width() { return width; }

  /** Groups per sample (1 when the whole sample is normalised). */
  public int groups() { return groups; }

  @Override
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("type", type());
    m.put("eps", eps);
    if (groups > 1) m.put("normalized_shape", java.util.Arrays.stream(normalized).boxed().toList());
    return m;
  }

  @Override
  public Object newState(int maxBatch) {
    return new State(maxBatch * groups);
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
    java.util.Arrays.fill(theta, off, off + width, 1.0);
    java.util.Arrays.fill(theta, off + width, off + 2 * width, 0.0);
  }

  /** Each group's mean and 1/√(σ² + ε) (biased variance, two passes; float64 in both precisions) for {@code rows} groups (batch · groups()). */
  @Float32Twin
  public void statistics(double[] x, int rows, @Float32Twin.Keep double[] mean, @Float32Twin.Keep double[] invStd) {
    int size = width;
    for (int n = 0; n < rows; n++) {
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

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    int size = width;
    statistics(x, batch * groups, st.mean, st.invStd);
    for (int n = 0; n < batch * groups; n++) {
      int o = n * size;
      double mu = st.mean[n];
      double is = st.invStd[n];
      for (int d = 0; d < size; d++) z[o + d] = theta[off + d] * (x[o + d] - mu) * is + theta[off + size + d];
    }
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    int size = width;
    for (int n = 0; n < batch * groups; n++) {
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

  /** The description type "layernorm" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("layernorm"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new LayerNorm(in, spec.extra().containsKey("normalized_shape") ? spec.ints("normalized_shape") : in, spec.doubleParam("eps", DEFAULT_EPS));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void statistics(float[] x, int rows, @Float32Twin.Keep double[] mean, @Float32Twin.Keep double[] invStd) {
    int size = width;
    for (int n = 0; n < rows; n++) {
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
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    int size = width;
    statistics(x, batch * groups, st.mean, st.invStd);
    for (int n = 0; n < batch * groups; n++) {
      int o = n * size;
      double mu = st.mean[n];
      double is = st.invStd[n];
      for (int d = 0; d < size; d++) z[o + d] = (float) (theta[off + d] * (x[o + d] - mu) * is + theta[off + size + d]);
    }
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    int size = width;
    for (int n = 0; n < batch * groups; n++) {
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
      if (gIn == null)
        continue;
      double mh = sh / size;
      double mhx = shx / size;
      for (int d = 0; d < size; d++) {
        double xh = (x[o + d] - mu) * is;
        gIn[o + d] = (float) (is * (gOut[o + d] * theta[off + d] - mh - xh * mhx));
      }
    }
  }
  // ---- end of generated float32 twins ----
}
