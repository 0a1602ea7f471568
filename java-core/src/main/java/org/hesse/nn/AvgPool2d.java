package org.hesse.nn;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;

/**
 * 2-d average pooling over square windows without padding: PyTorch {@code nn.AvgPool2d(kernel_size=k, stride=s)}
 * (stride defaults to the kernel, padding 0, ceil_mode False; count_include_pad does not matter without padding,
 * every window holds k² pixels). One sample {@code [C, H, W]} → {@code [C, Ho, Wo]},
 * {@code Ho = floor((H − k)/s) + 1}. Linear: its JVP is itself and its VJP {@link #spread}.
 *
 * <p>Model description: {@code {"type": "avgpool2d", "kernel": 2}} or with {@code "stride"}.
 */
public final class AvgPool2d extends Pooling {

  public AvgPool2d(int[] inShape, int kernel, int stride) {
    super("avgpool2d", inShape, kernel, stride);
  }

  /** Window means of {@code rows} consecutive samples: {@code x[xOff ..]} → {@code z[zOff ..]}. */
  @Float32Twin
  public void pool(double[] x, int xOff, double[] z, int zOff, int rows) {
    double inv = 1.0 / (k * k);
    int in = inputSize();
    int zi = zOff;
    for (int n = 0; n < rows; n++) {
      int base = xOff + n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) {
            double s = 0;
            for (int i = 0; i < k; i++) {
              int row = base + (ch * h + oh * stride + i) * w + ow * stride;
              for (int j = 0; j < k; j++) s += x[row + j];
            }
            z[zi++] = s * inv;
          }
        }
      }
    }
  }

  /** The adjoint of {@link #pool}: overwrites {@code gIn} with each output's signal spread as 1/k² over its window. */
  @Float32Twin
  public void spread(double[] g, int gOff, double[] gIn, int gInOff, int rows) {
    double inv = 1.0 / (k * k);
    int in = inputSize();
    Arrays.fill(gIn, gInOff, gInOff + rows * in, 0.0);
    int gi = gOff;
    for (int n = 0; n < rows; n++) {
      int base = gInOff + n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) {
            double v = g[gi++] * inv;
            for (int i = 0; i < k; i++) {
              int row = base + (ch * h + oh * stride + i) * w + ow * stride;
              for (int j = 0; j < k; j++) gIn[row + j] += v;
            }
          }
        }
      }
    }
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    pool(x, 0, z, 0, batch);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    if (gIn != null) spread(gOut, 0, gIn, 0, batch);
  }

  /** The description type "avgpool2d" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("avgpool2d"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new AvgPool2d(in, spec.requiredInt("kernel"), spec.intParam("stride", spec.requiredInt("kernel")));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void pool(float[] x, int xOff, float[] z, int zOff, int rows) {
    double inv = 1.0 / (k * k);
    int in = inputSize();
    int zi = zOff;
    for (int n = 0; n < rows; n++) {
      int base = xOff + n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) {
            double s = 0;
            for (int i = 0; i < k; i++) {
              int row = base + (ch * h + oh * stride + i) * w + ow * stride;
              for (int j = 0; j < k; j++) s += x[row + j];
            }
            z[zi++] = (float) (s * inv);
          }
        }
      }
    }
  }

  public void spread(float[] g, int gOff, float[] gIn, int gInOff, int rows) {
    double inv = 1.0 / (k * k);
    int in = inputSize();
    Arrays.fill(gIn, gInOff, gInOff + rows * in, 0.0f);
    int gi = gOff;
    for (int n = 0; n < rows; n++) {
      int base = gInOff + n * in;
      for (int ch = 0; ch < c; ch++) {
        for (int oh = 0; oh < ho; oh++) {
          for (int ow = 0; ow < wo; ow++) {
            double v = g[gi++] * inv;
            for (int i = 0; i < k; i++) {
              int row = base + (ch * h + oh * stride + i) * w + ow * stride;
              for (int j = 0; j < k; j++) gIn[row + j] += v;
            }
          }
        }
      }
    }
  }

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    pool(x, 0, z, 0, batch);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      spread(gOut, 0, gIn, 0, batch);
  }
  // ---- end of generated float32 twins ----
}
