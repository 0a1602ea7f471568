package org.hesse.nn;

import org.hesse.precision.Float32Twin;
import java.util.List;

/**
 * Dropout, PyTorch {@code nn.Dropout(p)} (default p = 0.5), inverted: in {@link Mode#TRAIN} every value is kept
 * with probability 1 − p and scaled by 1/(1 − p) (all zeroed when p = 1), with a fresh mask per forward pass drawn
 * from {@link LayerContext#rng()} (one {@code nextDouble()} per value, row-major; kept while {@code u ≥ p}); the
 * mask stays in the layer's per-workspace state for the backward pass. In {@link Mode#ANALYSIS} and
 * {@link Mode#EVAL} it is the identity, so curvature never sees it. No parameters, no buffers.
 *
 * <p>Model JSON: {@code {"type": "dropout", "p": 0.5}} (p optional).
 */
public final class Dropout implements Layer {
  public static final double DEFAULT_P = 0.5;

  private final int[] shape;
  private final int size;
  private final double p;

  public Dropout(int[] inShape) {
    this(inShape, DEFAULT_P);
  }

  public Dropout(int[] inShape, double p) {
    int n = 1;
    for (int d : inShape) n *= d;
    if (inShape.length == 0 || n <= 0) {
      throw new IllegalArgumentException("dropout: input size must be > 0, got shape " + java.util.Arrays.toString(inShape));
    }
    if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout: 'p' must be in [0, 1], got " + p);
    this.shape = inShape.clone();
    this.size = n;
    this.p = p;
  }

  @Override public String type() { return "dropout"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }

  /** Its second-order rule prepares nothing per batch. */
  @Override public long preparedValuesPerSample() { return 0; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }

  public double p() { return p; }

  @Override
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("type", type());
    m.put("p", p);
    return m;
  }

  /** The mask (0 or 1/(1−p) per value) of the last TRAIN-mode forward pass. */
  @Override
  public Object newState(int maxBatch) {
    return new double[maxBatch * size];
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    int len = batch * size;
    if (ctx.mode() != Mode.TRAIN) {
      System.arraycopy(x, 0, z, 0, len);
      return;
    }
    if (ctx.rng() == null) {
      throw new IllegalStateException("dropout in TRAIN mode needs a generator: set one with Workspace.rng(...)");
    }
    double[] mask = (double[]) ctx.state();
    double keep = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
    java.util.SplittableRandom r = ctx.rng();
    for (int i = 0; i < len; i++) {
      mask[i] = r.nextDouble() >= p ? keep : 0.0;
      z[i] = x[i] * mask[i];
    }
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn == null) return;
    int len = batch * size;
    if (ctx.mode() != Mode.TRAIN) {
      System.arraycopy(gOut, 0, gIn, 0, len);
      return;
    }
    double[] mask = (double[]) ctx.state();
    for (int i = 0; i < len; i++) gIn[i] = gOut[i] * mask[i];
  }

  /** The description type "dropout" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("dropout"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new Dropout(in, spec.doubleParam("p", DEFAULT_P));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    int len = batch * size;
    if (ctx.mode() != Mode.TRAIN) {
      System.arraycopy(x, 0, z, 0, len);
      return;
    }
    if (ctx.rng() == null) {
      throw new IllegalStateException("dropout in TRAIN mode needs a generator: set one with Workspace.rng(...)");
    }
    float[] mask = (float[]) ctx.state();
    double keep = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
    java.util.SplittableRandom r = ctx.rng();
    for (int i = 0; i < len; i++) {
      mask[i] = (float) (r.nextDouble() >= p ? keep : 0.0);
      z[i] = (float) (x[i] * mask[i]);
    }
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn == null)
      return;
    int len = batch * size;
    if (ctx.mode() != Mode.TRAIN) {
      System.arraycopy(gOut, 0, gIn, 0, len);
      return;
    }
    float[] mask = (float[]) ctx.state();
    for (int i = 0; i < len; i++) gIn[i] = (float) (gOut[i] * mask[i]);
  }
  // ---- end of generated float32 twins ----
}
