package org.hesse.nn;

import java.util.List;
import org.hesse.linalg.Gemm;
import org.hesse.precision.Float32Twin;

/**
 * Fully connected layer {@code z = x Wᵀ + b} (PyTorch nn.Linear). Parameters: W row-major {@code out × in}
 * (index {@code i·in + j}), then b.
 */
public final class Dense implements Layer {
  private final int in;
  private final int out;
  private final int tokens;  // token-wise on [T, in] samples: T rows per sample share W, b; 1 for flat samples
  private final boolean tokenWise;
  private final List<ParamTensor> tensors;

  public Dense(int in, int out) {
    this(1, in, out, false);
  }

  /** A dense layer applied to every token of {@code [tokens, in]} samples (nn.Linear on the last axis): output [tokens, out]. */
  public static Dense tokenWise(int tokens, int in, int out) {
    return new Dense(tokens, in, out, true);
  }

  private Dense(int tokens, int in, int out, boolean tokenWise) {
    if (tokens <= 0) throw new IllegalArgumentException("dense: token count must be > 0, got " + tokens);
    this.tokens = tokens;
    this.tokenWise = tokenWise;
    if (in <= 0) throw new IllegalArgumentException("dense: input size must be > 0, got " + in);
    if (out <= 0) throw new IllegalArgumentException("dense: 'out' must be > 0, got " + out);
    this.in = in;
    this.out = out;
    // weights and bias in one block: refused (before any allocation) beyond one array
    Sizes.sum((long) out * in, out, "dense: " + out + " outputs × " + in + " inputs + bias");
    this.tensors = List.of(new ParamTensor("weight", 0, out, in), new ParamTensor("bias", out * in, out));
  }

  @Override public String type() { return "dense"; }
  @Override public int inputSize() { return Sizes.times(tokens, in, "dense: input"); }
  @Override public int outputSize() { return Sizes.times(tokens, out, "dense: output"); }

  /** Its second-order rule prepares nothing per batch. */
  @Override public long preparedValuesPerSample() { return 0; }
  @Override public int[] outputShape() { return tokenWise ? new int[] {tokens, out} : new int[] {out}; }

  /** Rows per sample (tokens; 1 for flat samples). */
  public int tokens() { return tokens; }

  /** Features per row in (the weight's columns) and out (its rows). */
  public int inFeatures() { return in; }

  public int outFeatures() { return out; }

  /** Flat samples only: token-wise layers share W over tokens, which the Kronecker shortcuts do not model. */
  @Override public boolean affine() { return tokens == 1; }
  @Override public List<ParamTensor> paramTensors() { return tensors; }

  @Override
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("type", type());
    m.put("out", out);
    return m;
  }

  @Override
  public void initParameters(Init scheme, double[] theta, int off, java.util.SplittableRandom rng) {
    scheme.weights(theta, off, out, in, rng.split(), out);
  }

  @Override public int weightRows() { return out; }
  @Override public int weightRowLength() { return in; }

  /** Offset of the bias inside this layer's parameter block. */
  public int biasOffset() {
    return out * in;
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    batch *= tokens;  // every token is a row
    int b = off + biasOffset();
    for (int n = 0; n < batch; n++) System.arraycopy(theta, b, z, n * out, out);
    Gemm.gemm(false, true, batch, out, in, 1.0, x, 0, theta, off, 1.0, z, 0);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    batch *= tokens;  // every token is a row
    // dW += gOutᵀ x ; db += Σ_n gOut_n ; gIn = gOut W
    if (gTheta != null) {
      Gemm.gemm(true, false, out, in, batch, 1.0, gOut, 0, x, 0, 1.0, gTheta, off);
      addColumnSums(gOut, batch, out, gTheta, off + biasOffset());
    }
    if (gIn != null) Gemm.gemm(false, false, batch, in, out, 1.0, gOut, 0, theta, off, 0.0, gIn, 0);
  }

  /** acc[accOff + j] += Σ_n a[n·cols + j] */
  @Float32Twin
  public static void addColumnSums(double[] a, int rows, int cols, double[] acc, int accOff) {
    for (int n = 0; n < rows; n++) {
      int r = n * cols;
      for (int j = 0; j < cols; j++) acc[accOff + j] += a[r + j];
    }
  }

  /** The description type "dense" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("dense"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new Dense(LayerType.flat(in), out(spec));
    }

    /** In a graph, dense is token-wise on [T, D] samples (nn.Linear on the last axis), else on the flattened sample. */
    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      int[] s = LayerType.single(in);
      return s.length == 2 ? Dense.tokenWise(s[0], s[1], out(spec)) : new Dense(LayerType.flat(s), out(spec));
    }

    private static int out(org.hesse.io.LayerSpec spec) {
      if (spec.out() == null) throw new org.hesse.io.InputException("'out' is required");
      return spec.out();
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    batch *= tokens;
    int b = off + biasOffset();
    for (int n = 0; n < batch; n++) System.arraycopy(theta, b, z, n * out, out);
    Gemm.gemm(false, true, batch, out, in, 1.0, x, 0, theta, off, 1.0, z, 0);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    batch *= tokens;
    if (gTheta != null) {
      Gemm.gemm(true, false, out, in, batch, 1.0, gOut, 0, x, 0, 1.0, gTheta, off);
      addColumnSums(gOut, batch, out, gTheta, off + biasOffset());
    }
    if (gIn != null)
      Gemm.gemm(false, false, batch, in, out, 1.0, gOut, 0, theta, off, 0.0, gIn, 0);
  }

  public static void addColumnSums(float[] a, int rows, int cols, float[] acc, int accOff) {
    for (int n = 0; n < rows; n++) {
      int r = n * cols;
      for (int j = 0; j < cols; j++) acc[accOff + j] += a[r + j];
    }
  }
  // ---- end of generated float32 twins ----
}
