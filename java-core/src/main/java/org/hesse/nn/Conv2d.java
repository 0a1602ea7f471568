package org.hesse.nn;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.linalg.Gemm;

/**
 * 2-d convolution (cross-correlation, as PyTorch) with a square kernel, zero padding, dilation 1 and one group:
 * PyTorch {@code nn.Conv2d(in_channels, out_channels, kernel_size=k, stride=s, padding=p)}.
 * Input one sample {@code [C, H, W]}, output {@code [O, Ho, Wo]} with {@code Ho = floor((H + 2p − k)/s) + 1}
 * (likewise Wo), both flattened NCHW ({@code (c·H + h)·W + w}).
 * Parameters: {@code weight [O, C, k, k]} (row-major, so row o of the {@code O × C·k·k} matrix W is filter o),
 * then {@code bias [O]}.
 *
 * <p>Model description: {@code {"type": "conv2d", "out_channels": 8, "kernel": 3, "stride": 1, "padding": 1}}
 * (stride defaults to 1 and padding to 0, as PyTorch; the input channels come from the input shape).
 *
 * <p>Computation: im2col + GEMM, one sample at a time. {@link #im2col} unfolds a sample into the
 * {@code K × P} matrix {@code col} ({@code K = C·k·k} patch entries, row {@code (c·k + i)·k + j}; {@code P = Ho·Wo}
 * positions), so the sample's output is {@code W·col + b} ({@code O × P}, already NCHW). Backward:
 * {@code dW += g·colᵀ}, {@code gIn = col2im(Wᵀ·g)}. Cost per sample: {@code 2·O·K·P} flops per GEMM
 * (forward one, backward two) plus {@code K·P} copies for the unfolding; the only scratch is one {@code K × P}
 * buffer, held in the layer's per-workspace state (no allocation per call).
 */
public final class Conv2d implements Layer {
  private final int inC;
  private final int h;
  private final int w;
  private final int outC;
  private final int k;
  private final int stride;
  private final int pad;
  private final int ho;
  private final int wo;
  private final List<ParamTensor> tensors;

  /**
   * @param inShape one sample's shape {@code [C, H, W]}
   * @param outChannels O
   * @param kernel k (square)
   * @param stride s ≥ 1
   * @param padding p ≥ 0 (zeros on every side)
   */
  public Conv2d(int[] inShape, int outChannels, int kernel, int stride, int padding) {
    if (inShape == null || inShape.length != 3) {
      throw new IllegalArgumentException("conv2d: input shape must be [C, H, W] (set the model's input_shape), got "
          + Arrays.toString(inShape));
    }
    for (int d : inShape) {
      if (d <= 0) throw new IllegalArgumentException("conv2d: input shape dimensions must be > 0, got " + Arrays.toString(inShape));
    }
    if (outChannels <= 0) throw new IllegalArgumentException("conv2d: 'out_channels' must be > 0, got " + outChannels);
    if (kernel <= 0) throw new IllegalArgumentException("conv2d: 'kernel' must be > 0, got " + kernel);
    if (stride <= 0) throw new IllegalArgumentException("conv2d: 'stride' must be > 0, got " + stride);
    if (padding < 0) throw new IllegalArgumentException("conv2d: 'padding' must be >= 0, got " + padding);
    this.inC = inShape[0];
    this.h = inShape[1];
    this.w = inShape[2];
    if (h + 2L * padding < kernel || w + 2L * padding < kernel) {
      throw new IllegalArgumentException("conv2d: kernel " + kernel + " is larger than the padded input "
          + (h + 2L * padding) + " × " + (w + 2L * padding) + " (input " + Arrays.toString(inShape) + ", padding " + padding + ")");
    }
    this.outC = outChannels;
    this.k = kernel;
    this.stride = stride;
    this.pad = padding;
    // long arithmetic: a huge padding or kernel must be refused, not wrap around
    this.ho = Sizes.sum((h + 2L * padding - kernel) / stride, 1, "conv2d: output height");
    this.wo = Sizes.sum((w + 2L * padding - kernel) / stride, 1, "conv2d: output width");
    Sizes.product(new int[] {outC, ho, wo}, "conv2d: output [" + outC + ", " + ho + ", " + wo + "]");
    Sizes.sum(Sizes.product(new int[] {outC, inC, k, k}, "conv2d: weight [" + outC + ", " + inC + ", " + k + ", " + k + "]"),
        outC, "conv2d: parameters");
    Sizes.product(new int[] {inC, k, k, ho, wo}, "conv2d: unfolded patches (C·k·k × Ho·Wo)");
    this.tensors = List.of(new ParamTensor("weight", 0, outC, inC, k, k), new ParamTensor("bias", outC * patch(), outC));
  }

  @Override public String type() { return "conv2d"; }

  /** PyTorch treats a conv weight [O, C, k, k] as O × (C·k²); Xavier's fan_out is O·k². */
  @Override
  public void initParameters(Init scheme, double[] theta, int off, java.util.SplittableRandom rng) {
    scheme.weights(theta, off, outC, patch(), rng.split(), outC * k * k);
  }

  @Override public int weightRows() { return outC; }
  @Override public int weightRowLength() { return patch(); }
  @Override public int inputSize() { return inC * h * w; }
  @Override public int outputSize() { return outC * ho * wo; }

  /** Its second-order rule prepares nothing per batch. */
  @Override public long preparedValuesPerSample() { return 0; }
  @Override public int[] outputShape() { return new int[] {outC, ho, wo}; }
  @Override public List<ParamTensor> paramTensors() { return tensors; }

  public int inChannels() { return inC; }
  public int outChannels() { return outC; }
  public int kernel() { return k; }
  public int stride() { return stride; }
  public int padding() { return pad; }
  public int inHeight() { return h; }
  public int inWidth() { return w; }
  public int outHeight() { return ho; }
  public int outWidth() { return wo; }

  /** Length of one patch, K = C·k·k (the columns of W). */
  public int patch() { return inC * k * k; }

  /** Output positions per channel, P = Ho·Wo (the columns of col). */
  public int positions() { return ho * wo; }

  /** Offset of the bias inside this layer's parameter block. */
  public int biasOffset() { return outC * patch(); }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("out_channels", outC);
    m.put("kernel", k);
    m.put("stride", stride);
    m.put("padding", pad);
    return m;
  }

  /** The scratch: one K × P unfolding buffer (independent of the batch size: samples go one at a time). */
  @Override
  public Object newState(int maxBatch) {
    return new double[patch() * positions()];
  }


  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    // the context's buffer; a context built for another layer (or none, or a float32 pass, whose state is the
    // double buffer of newState) gets a private one: correct, only slower
    Object state = ctx == null ? null : ctx.state();
    double[] col = state instanceof double[] a && a.length >= patch() * positions() ? a : new double[patch() * positions()];
    int K = patch();
    int P = positions();
    int in = inputSize();
    int out = outputSize();
    int b = off + biasOffset();
    for (int n = 0; n < batch; n++) {
      int zo = n * out;
      for (int o = 0; o < outC; o++) Arrays.fill(z, zo + o * P, zo + (o + 1) * P, theta[b + o]);
      im2col(x, n * in, col, 0);
      Gemm.gemm(false, false, outC, P, K, 1.0, theta, off, col, 0, 1.0, z, zo);
    }
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    // the context's buffer; a context built for another layer (or none, or a float32 pass, whose state is the
    // double buffer of newState) gets a private one: correct, only slower
    Object state = ctx == null ? null : ctx.state();
    double[] col = state instanceof double[] a && a.length >= patch() * positions() ? a : new double[patch() * positions()];
    int K = patch();
    int P = positions();
    int in = inputSize();
    int out = outputSize();
    int b = off + biasOffset();
    for (int n = 0; n < batch; n++) {
      int go = n * out;
      if (gTheta != null) {
        im2col(x, n * in, col, 0);
        // dW += g_n · colᵀ (O × K); db_o += Σ_p g_n[o, p]
        Gemm.gemm(false, true, outC, K, P, 1.0, gOut, go, col, 0, 1.0, gTheta, off);
        addRowSums(gOut, go, outC, P, gTheta, b);
      }
      if (gIn != null) {
        // the unfolding is no longer needed: reuse its buffer for Wᵀ g_n
        Gemm.gemm(true, false, K, P, outC, 1.0, theta, off, gOut, go, 0.0, col, 0);
        col2im(col, 0, gIn, n * in);
      }
    }
  }

  /**
   * Unfolds one sample {@code x[xOff ..]} ({@code [C, H, W]}) into the {@code K × P} matrix {@code col[colOff ..]}:
   * {@code col[(c·k + i)·k + j][oh·Wo + ow] = x[c, oh·s − p + i, ow·s − p + j]}, zero outside the image.
   */
  @Float32Twin
  public void im2col(double[] x, int xOff, double[] col, int colOff) {
    int P = positions();
    for (int c = 0; c < inC; c++) {
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          int r = colOff + ((c * k + i) * k + j) * P;
          int lo = firstInside(j);
          int hi = endInside(j, lo);
          for (int oh = 0; oh < ho; oh++) {
            int ih = oh * stride - pad + i;
            int dst = r + oh * wo;
            if (ih < 0 || ih >= h) {
              Arrays.fill(col, dst, dst + wo, 0.0);
              continue;
            }
            int src = xOff + (c * h + ih) * w - pad + j;
            for (int ow = 0; ow < lo; ow++) col[dst + ow] = 0.0;
            for (int ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * stride];
            for (int ow = hi; ow < wo; ow++) col[dst + ow] = 0.0;
          }
        }
      }
    }
  }

  /**
   * The adjoint of {@link #im2col}: overwrites one sample {@code x[xOff ..]} with the sum, over every patch
   * entry, of {@code col} scattered back to the pixel it was read from (padding entries are dropped).
   */
  @Float32Twin
  public void col2im(double[] col, int colOff, double[] x, int xOff) {
    int P = positions();
    Arrays.fill(x, xOff, xOff + inputSize(), 0.0);
    for (int c = 0; c < inC; c++) {
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          int r = colOff + ((c * k + i) * k + j) * P;
          int lo = firstInside(j);
          int hi = endInside(j, lo);
          for (int oh = 0; oh < ho; oh++) {
            int ih = oh * stride - pad + i;
            if (ih < 0 || ih >= h) continue;
            int src = r + oh * wo;
            int dst = xOff + (c * h + ih) * w - pad + j;
            for (int ow = lo; ow < hi; ow++) x[dst + ow * stride] += col[src + ow];
          }
        }
      }
    }
  }

  /** The first output column whose tap j lands inside the image (ow·s − p + j ≥ 0). */
  private int firstInside(int j) {
    int lo = 0;
    while (lo < wo && lo * stride - pad + j < 0) lo++;
    return lo;
  }

  /** One past the last output column whose tap j lands inside the image (ow·s − p + j < W). */
  private int endInside(int j, int lo) {
    int hi = wo;
    while (hi > lo && (hi - 1) * stride - pad + j >= w) hi--;
    return hi;
  }

  /** acc[accOff + r] += Σ_c a[aOff + r·cols + c] for r &lt; rows. */
  @Float32Twin
  public static void addRowSums(double[] a, int aOff, int rows, int cols, double[] acc, int accOff) {
    for (int r = 0; r < rows; r++) {
      double s = 0;
      int base = aOff + r * cols;
      for (int c = 0; c < cols; c++) s += a[base + c];
      acc[accOff + r] += s;
    }
  }

  /** The description type "conv2d" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("conv2d"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new Conv2d(in, spec.requiredInt("out_channels"), spec.requiredInt("kernel"), spec.intParam("stride", 1), spec.intParam("padding", 0));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    Object state = ctx == null ? null : ctx.state();
    float[] col = state instanceof float[] a && a.length >= patch() * positions() ? a : new float[patch() * positions()];
    int K = patch();
    int P = positions();
    int in = inputSize();
    int out = outputSize();
    int b = off + biasOffset();
    for (int n = 0; n < batch; n++) {
      int zo = n * out;
      for (int o = 0; o < outC; o++) Arrays.fill(z, zo + o * P, zo + (o + 1) * P, (float) (theta[b + o]));
      im2col(x, n * in, col, 0);
      Gemm.gemm(false, false, outC, P, K, 1.0, theta, off, col, 0, 1.0, z, zo);
    }
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    Object state = ctx == null ? null : ctx.state();
    float[] col = state instanceof float[] a && a.length >= patch() * positions() ? a : new float[patch() * positions()];
    int K = patch();
    int P = positions();
    int in = inputSize();
    int out = outputSize();
    int b = off + biasOffset();
    for (int n = 0; n < batch; n++) {
      int go = n * out;
      if (gTheta != null) {
        im2col(x, n * in, col, 0);
        Gemm.gemm(false, true, outC, K, P, 1.0, gOut, go, col, 0, 1.0, gTheta, off);
        addRowSums(gOut, go, outC, P, gTheta, b);
      }
      if (gIn != null) {
        Gemm.gemm(true, false, K, P, outC, 1.0, theta, off, gOut, go, 0.0, col, 0);
        col2im(col, 0, gIn, n * in);
      }
    }
  }

  public void im2col(float[] x, int xOff, float[] col, int colOff) {
    int P = positions();
    for (int c = 0; c < inC; c++) {
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          int r = colOff + ((c * k + i) * k + j) * P;
          int lo = firstInside(j);
          int hi = endInside(j, lo);
          for (int oh = 0; oh < ho; oh++) {
            int ih = oh * stride - pad + i;
            int dst = r + oh * wo;
            if (ih < 0 || ih >= h) {
              Arrays.fill(col, dst, dst + wo, 0.0f);
              continue;
            }
            int src = xOff + (c * h + ih) * w - pad + j;
            for (int ow = 0; ow < lo; ow++) col[dst + ow] = (float) (0.0);
            for (int ow = lo; ow < hi; ow++) col[dst + ow] = (float) (x[src + ow * stride]);
            for (int ow = hi; ow < wo; ow++) col[dst + ow] = (float) (0.0);
          }
        }
      }
    }
  }

  public void col2im(float[] col, int colOff, float[] x, int xOff) {
    int P = positions();
    Arrays.fill(x, xOff, xOff + inputSize(), 0.0f);
    for (int c = 0; c < inC; c++) {
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          int r = colOff + ((c * k + i) * k + j) * P;
          int lo = firstInside(j);
          int hi = endInside(j, lo);
          for (int oh = 0; oh < ho; oh++) {
            int ih = oh * stride - pad + i;
            if (ih < 0 || ih >= h)
              continue;
            int src = r + oh * wo;
            int dst = xOff + (c * h + ih) * w - pad + j;
            for (int ow = lo; ow < hi; ow++) x[dst + ow * stride] += col[src + ow];
          }
        }
      }
    }
  }

  public static void addRowSums(float[] a, int aOff, int rows, int cols, float[] acc, int accOff) {
    for (int r = 0; r < rows; r++) {
      double s = 0;
      int base = aOff + r * cols;
      for (int c = 0; c < cols; c++) s += a[base + c];
      acc[accOff + r] += s;
    }
  }
  // ---- end of generated float32 twins ----
}
