package org.hesse.nn;

import org.hesse.precision.Float32Twin;

import java.util.List;

/**
 * Batch normalisation, PyTorch {@code nn.BatchNorm1d(C)} / {@code nn.BatchNorm2d(C)} with their defaults
 * ({@code eps = 1e-5, momentum = 0.1, affine = True, track_running_stats = True}).
 *
 * <p>Shapes of one sample: {@code [C]} (BatchNorm1d on features), {@code [C, L]} (BatchNorm1d on sequences) or
 * {@code [C, H, W]} (BatchNorm2d); statistics are per channel c over the batch and the spatial positions, i.e. over
 * {@code m = batch·S} values ({@code S = L} or {@code H·W}, 1 for features). With {@code s = √(σ² + ε)} and
 * {@code x̂ = (x − μ)/s}, the output is {@code γ_c x̂ + β_c}.
 * <ul>
 *   <li>{@link Mode#TRAIN}: batch statistics μ, σ² (biased, divided by m) normalise; then the buffers are updated as
 *       PyTorch does: {@code running_mean ← (1−momentum)·running_mean + momentum·μ},
 *       {@code running_var ← (1−momentum)·running_var + momentum·σ²·m/(m−1)} (the <em>unbiased</em> variance),
 *       {@code num_batches_tracked += 1}. As PyTorch, m = 1 is refused (no unbiased variance);</li>
 *   <li>{@link Mode#ANALYSIS}: batch statistics, no buffer is touched (a deterministic function of (θ, batch) that
 *       couples the samples of a batch);</li>
 *   <li>{@link Mode#EVAL}: running statistics: a per-channel affine map.</li>
 * </ul>
 * Parameters (state-dict names): {@code weight} γ [C] (init 1), {@code bias} β [C] (init 0). Buffers:
 * {@code running_mean} [C] (0), {@code running_var} [C] (1), {@code num_batches_tracked} [] (0; an I64 in
 * PyTorch's state dict, a double here).
 *
 * <p>Curvature: in ANALYSIS (and TRAIN, which the curvature engine runs as ANALYSIS) the samples of a batch are
 * coupled, so a data set's Hessian depends on its partition into batches; {@code Curvature.of(..., batchSize)}
 * makes it explicit: contiguous rows, batchSize at a time, the last batch partial. In EVAL there is no coupling.
 *
 * <p>Model JSON: {@code {"type": "batchnorm", "eps": 1e-5, "momentum": 0.1}} (both optional); 1d or 2d follows the
 * input shape. PyTorch's {@code momentum=None} (cumulative average) is not supported.
 */
public final class BatchNorm implements Layer, ChannelNormaliser {
  public static final double DEFAULT_EPS = 1e-5;
  public static final double DEFAULT_MOMENTUM = 0.1;

  private final int[] shape;
  private final int channels;
  private final int spatial;
  private final int size;
  private final double eps;
  private final double momentum;
  private final List<ParamTensor> tensors;
  private final List<ParamTensor> buffers;

  /** Per-workspace: the statistics the last forward pass normalised with (for its backward). */
  static final class State {
    final double[] mean;
    final double[] var;
    final double[] invStd;

    State(int c) {
      mean = new double[c];
      var = new double[c];
      invStd = new double[c];
    }
  }

  public BatchNorm(int[] inShape) {
    this(inShape, DEFAULT_EPS, DEFAULT_MOMENTUM);
  }

  public BatchNorm(int[] inShape, double eps, double momentum) {
    if (inShape.length < 1 || inShape.length > 3) {
      throw new IllegalArgumentException("batchnorm: input shape must be [C], [C, L] or [C, H, W], got "
          + java.util.Arrays.toString(inShape));
    }
    int s = 1;
    for (int i = 1; i < inShape.length; i++) s *= inShape[i];
    for (int d : inShape) {
      if (d <= 0) throw new IllegalArgumentException("batchnorm: input shape dimensions must be > 0, got "
          + java.util.Arrays.toString(inShape));
    }
    if (!(eps >= 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("batchnorm: 'eps' must be a finite number >= 0, got " + eps);
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("batchnorm: 'momentum' must be in [0, 1], got " + momentum);
    }
    this.shape = inShape.clone();
    this.channels = inShape[0];
    this.spatial = s;
    this.size = channels * s;
    this.eps = eps;
    this.momentum = momentum;
    this.tensors = List.of(new ParamTensor("weight", 0, channels), new ParamTensor("bias", channels, channels));
    this.buffers = List.of(new ParamTensor("running_mean", 0, channels),
        new ParamTensor("running_var", channels, channels), new ParamTensor("num_batches_tracked", 2 * channels));
  }

  @Override
  public boolean batchCoupled() {
    return true;
  }

  @Override public String type() { return "batchnorm"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }

  /** The normalised input x̂ (the per-channel 1/σ is per batch). */
  @Override public long preparedValuesPerSample() { return size; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return tensors; }
  @Override public List<ParamTensor> bufferTensors() { return buffers; }

  /** Number of channels C (features for 1d). */
  @Override public int channels() { return channels; }

  @Override public ChannelNormaliser channelNormaliser() { return this; }

  /** Values per channel and sample (H·W for 2d, L for [C, L], 1 for features). */
  public int spatial() { return spatial; }

  @Override public double eps() { return eps; }

  public double momentum() { return momentum; }

  @Override
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("type", type());
    m.put("eps", eps);
    m.put("momentum", momentum);
    return m;
  }

  @Override
  public void initBuffers(double[] b, int off) {
    java.util.Arrays.fill(b, off, off + channels, 0.0);
    java.util.Arrays.fill(b, off + channels, off + 2 * channels, 1.0);
    b[off + 2 * channels] = 0.0;
  }

  @Override
  public Object newState(int maxBatch) {
    return new State(channels);
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
    java.util.Arrays.fill(theta, off, off + channels, 1.0);
    java.util.Arrays.fill(theta, off + channels, off + 2 * channels, 0.0);
  }

  /**
   * Biased per-channel batch mean and variance over the m = batch·S values of each channel (two passes, for
   * accuracy when |μ| ≫ σ).
   */
  @Override
  public void batchStatistics(double[] x, int batch, double[] mean, double[] var) {
    statistics(x, batch, mean, var);
  }

  /** {@link #batchStatistics}; its float32 twin reads float x and sums in double. */
  @Float32Twin
  private void statistics(double[] x, int batch, @Float32Twin.Keep double[] mean, @Float32Twin.Keep double[] var) {
    double m = (double) batch * spatial;
    for (int c = 0; c < channels; c++) {
      double s = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) s += x[o + p];
      }
      double mu = s / m;
      double q = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) {
          double d = x[o + p] - mu;
          q += d * d;
        }
      }
      mean[c] = mu;
      var[c] = q / m;
    }
  }

  /**
   * The per-channel μ and 1/√(σ² + ε) this layer normalises with in {@code mode}: the batch's (TRAIN, ANALYSIS)
   * or the running statistics at {@code buffers[bufOff..]} (EVAL). invStd doubles as scratch for the variance.
   */
  @Float32Twin
  public void normalisation(double[] x, int batch, Mode mode, @Float32Twin.Keep double[] buffers, int bufOff,
                            @Float32Twin.Keep double[] mean, @Float32Twin.Keep double[] invStd) {
    if (mode == Mode.EVAL) {
      if (buffers == null) throw new IllegalStateException("batchnorm in EVAL mode needs the running statistics (buffers)");
      for (int c = 0; c < channels; c++) {
        mean[c] = buffers[bufOff + c];
        invStd[c] = 1.0 / Math.sqrt(buffers[bufOff + channels + c] + eps);
      }
      return;
    }
    statistics(x, batch, mean, invStd);
    for (int c = 0; c < channels; c++) invStd[c] = 1.0 / Math.sqrt(invStd[c] + eps);
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    Mode mode = ctx.mode();
    if (mode == Mode.TRAIN && (long) batch * spatial < 2) {
      throw new IllegalArgumentException("batchnorm in TRAIN mode: expected more than 1 value per channel, got "
          + batch + " sample(s) × " + spatial + " (as PyTorch, the unbiased running variance needs m >= 2)");
    }
    if (mode == Mode.EVAL) {
      normalisation(x, batch, mode, ctx.buffers(), ctx.bufferOffset(), st.mean, st.invStd);
    } else {
      statistics(x, batch, st.mean, st.var);
      @Float32Twin.Keep double[] invStd = st.invStd;  // float64 statistics in the twin too
      for (int c = 0; c < channels; c++) invStd[c] = 1.0 / Math.sqrt(st.var[c] + eps);
    }
    for (int c = 0; c < channels; c++) {
      double a = theta[off + c] * st.invStd[c];
      double b = theta[off + channels + c] - a * st.mean[c];
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) z[o + p] = a * x[o + p] + b;
      }
    }
    if (mode == Mode.TRAIN) updateRunningStatistics(ctx.buffers(), ctx.bufferOffset(), st, batch);
  }

  private void updateRunningStatistics(double[] buf, int bo, State st, int batch) {
    if (buf == null) throw new IllegalStateException("batchnorm in TRAIN mode needs a buffer vector to update");
    double m = (double) batch * spatial;
    for (int c = 0; c < channels; c++) {
      double unbiased = st.var[c] * m / (m - 1);
      buf[bo + c] = (1 - momentum) * buf[bo + c] + momentum * st.mean[c];
      buf[bo + channels + c] = (1 - momentum) * buf[bo + channels + c] + momentum * unbiased;
    }
    buf[bo + 2 * channels] += 1;
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    boolean batchStats = ctx.mode() != Mode.EVAL;
    double m = (double) batch * spatial;
    for (int c = 0; c < channels; c++) {
      double mu = st.mean[c];
      double is = st.invStd[c];
      double sg = 0;
      double sgx = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) {
          double g = gOut[o + p];
          sg += g;
          sgx += g * (x[o + p] - mu) * is;
        }
      }
      if (gTheta != null) {
        gTheta[off + c] += sgx;
        gTheta[off + channels + c] += sg;
      }
      if (gIn == null) continue;
      double a = theta[off + c] * is;
      // batch statistics: gx = (γ/s)(g − mean(g) − x̂·mean(g·x̂)); running statistics: gx = (γ/s) g
      double mg = batchStats ? sg / m : 0;
      double mgx = batchStats ? sgx / m : 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) {
          gIn[o + p] = a * (gOut[o + p] - mg - (x[o + p] - mu) * is * mgx);
        }
      }
    }
  }

  /** The description type "batchnorm" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("batchnorm"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new BatchNorm(in, spec.doubleParam("eps", DEFAULT_EPS), spec.doubleParam("momentum", DEFAULT_MOMENTUM));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  private void statistics(float[] x, int batch, @Float32Twin.Keep double[] mean, @Float32Twin.Keep double[] var) {
    double m = (double) batch * spatial;
    for (int c = 0; c < channels; c++) {
      double s = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) s += x[o + p];
      }
      double mu = s / m;
      double q = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) {
          double d = x[o + p] - mu;
          q += d * d;
        }
      }
      mean[c] = mu;
      var[c] = q / m;
    }
  }

  public void normalisation(float[] x, int batch, Mode mode, @Float32Twin.Keep double[] buffers, int bufOff, @Float32Twin.Keep double[] mean, @Float32Twin.Keep double[] invStd) {
    if (mode == Mode.EVAL) {
      if (buffers == null)
        throw new IllegalStateException("batchnorm in EVAL mode needs the running statistics (buffers)");
      for (int c = 0; c < channels; c++) {
        mean[c] = buffers[bufOff + c];
        invStd[c] = 1.0 / Math.sqrt(buffers[bufOff + channels + c] + eps);
      }
      return;
    }
    statistics(x, batch, mean, invStd);
    for (int c = 0; c < channels; c++) invStd[c] = 1.0 / Math.sqrt(invStd[c] + eps);
  }

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    Mode mode = ctx.mode();
    if (mode == Mode.TRAIN && (long) batch * spatial < 2) {
      throw new IllegalArgumentException("batchnorm in TRAIN mode: expected more than 1 value per channel, got " + batch + " sample(s) × " + spatial + " (as PyTorch, the unbiased running variance needs m >= 2)");
    }
    if (mode == Mode.EVAL) {
      normalisation(x, batch, mode, ctx.buffers(), ctx.bufferOffset(), st.mean, st.invStd);
    } else {
      statistics(x, batch, st.mean, st.var);
      @Float32Twin.Keep
      double[] invStd = st.invStd;
      for (int c = 0; c < channels; c++) invStd[c] = 1.0 / Math.sqrt(st.var[c] + eps);
    }
    for (int c = 0; c < channels; c++) {
      double a = theta[off + c] * st.invStd[c];
      double b = theta[off + channels + c] - a * st.mean[c];
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) z[o + p] = (float) (a * x[o + p] + b);
      }
    }
    if (mode == Mode.TRAIN)
      updateRunningStatistics(ctx.buffers(), ctx.bufferOffset(), st, batch);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    State st = (State) ctx.state();
    boolean batchStats = ctx.mode() != Mode.EVAL;
    double m = (double) batch * spatial;
    for (int c = 0; c < channels; c++) {
      double mu = st.mean[c];
      double is = st.invStd[c];
      double sg = 0;
      double sgx = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) {
          double g = gOut[o + p];
          sg += g;
          sgx += g * (x[o + p] - mu) * is;
        }
      }
      if (gTheta != null) {
        gTheta[off + c] += sgx;
        gTheta[off + channels + c] += sg;
      }
      if (gIn == null)
        continue;
      double a = theta[off + c] * is;
      double mg = batchStats ? sg / m : 0;
      double mgx = batchStats ? sgx / m : 0;
      for (int n = 0; n < batch; n++) {
        int o = n * size + c * spatial;
        for (int p = 0; p < spatial; p++) {
          gIn[o + p] = (float) (a * (gOut[o + p] - mg - (x[o + p] - mu) * is * mgx));
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
