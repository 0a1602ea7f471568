package org.hesse.nn;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;

/**
 * 2-d max pooling over square windows without padding: PyTorch {@code nn.MaxPool2d(kernel_size=k, stride=s)}
 * (stride defaults to the kernel, padding 0, dilation 1, ceil_mode False). One sample {@code [C, H, W]} →
 * {@code [C, Ho, Wo]}, {@code Ho = floor((H − k)/s) + 1}. Ties go to the first maximum in scan order (row by row,
 * left to right), and a NaN wins over any number, as PyTorch's CPU kernel; the gradient flows only to the winner
 * (accumulated when overlapping windows share it).
 *
 * <p>Model description: {@code {"type": "maxpool2d", "kernel": 2}} or with {@code "stride"}.
 */
public final class MaxPool2d extends Pooling {

  public MaxPool2d(int[] inShape, int kernel, int stride) {
    super("maxpool2d", inShape, kernel, stride);
  }

  /** The winner of each output, an int (half a double's bytes). */
  @Override public long preparedValuesPerSample() { return (outputSize() + 1L) / 2; }

  /**
   * For one sample {@code x[xOff ..]}, the index inside the sample of each output's winner:
   * {@code idx[idxOff + o]} for o &lt; {@link #outputSize()}.
   */
  @Float32Twin
  public void argmax(double[] x, int xOff, int[] idx, int idxOff) {
    int o = idxOff;
    for (int ch = 0; ch < c; ch++) {
      for (int oh = 0; oh < ho; oh++) {
        for (int ow = 0; ow < wo; ow++) idx[o++] = winner(x, xOff, ch, oh, ow);
      }
    }
  }

  /** The winner's index inside the sample: first maximum in scan order; NaN wins (max(x) is then NaN). */
  @Float32Twin
  private int winner(double[] x, int xOff, int ch, int oh, int ow) {
    int best = (ch * h + oh * stride) * w + ow * stride;
    double m = x[xOff + best];
    for (int i = 0; i < k; i++) {
      int row = (ch * h + oh * stride + i) * w + ow * stride;
      for (int j = 0; j < k; j++) {
        double v = x[xOff + row + j];
        if (v > m || Double.isNaN(v)) {
          m = v;
          best = row + j;
        }
      }
    }
    return best;
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    int in = inputSize();
    int zi = 0;
    for (int n = 0; n < batch; n++) {
      int xOff = n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) z[zi++] = x[xOff + winner(x, xOff, ch, oh, ow)];
        }
      }
    }
  }

  /** Finds the winners again (k² comparisons per output, cheap next to any layer with weights): no state. */
  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    if (gIn == null) return;
    int in = inputSize();
    Arrays.fill(gIn, 0, batch * in, 0.0);
    int gi = 0;
    for (int n = 0; n < batch; n++) {
      int xOff = n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) gIn[xOff + winner(x, xOff, ch, oh, ow)] += gOut[gi++];
        }
      }
    }
  }

  /** The description type "maxpool2d" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("maxpool2d"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new MaxPool2d(in, spec.requiredInt("kernel"), spec.intParam("stride", spec.requiredInt("kernel")));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void argmax(float[] x, int xOff, int[] idx, int idxOff) {
    int o = idxOff;
    for (int ch = 0; ch < c; ch++) {
      for (int oh = 0; oh < ho; oh++) {
        for (int ow = 0; ow < wo; ow++) idx[o++] = winner(x, xOff, ch, oh, ow);
      }
    }
  }

  private int winner(float[] x, int xOff, int ch, int oh, int ow) {
    int best = (ch * h + oh * stride) * w + ow * stride;
    double m = x[xOff + best];
    for (int i = 0; i < k; i++) {
      int row = (ch * h + oh * stride + i) * w + ow * stride;
      for (int j = 0; j < k; j++) {
        double v = x[xOff + row + j];
        if (v > m || Double.isNaN(v)) {
          m = v;
          best = row + j;
        }
      }
    }
    return best;
  }

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    int in = inputSize();
    int zi = 0;
    for (int n = 0; n < batch; n++) {
      int xOff = n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) z[zi++] = (float) (x[xOff + winner(x, xOff, ch, oh, ow)]);
        }
      }
    }
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn == null)
      return;
    int in = inputSize();
    Arrays.fill(gIn, 0, batch * in, 0.0f);
    int gi = 0;
    for (int n = 0; n < batch; n++) {
      int xOff = n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) gIn[xOff + winner(x, xOff, ch, oh, ow)] += gOut[gi++];
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
