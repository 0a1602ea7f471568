package org.hesse.hvp.graph;

import java.util.List;
import org.hesse.nn.Layer;
import org.hesse.io.LayerSpec;
import org.hesse.nn.LayerContext;
import org.hesse.nn.LayerType;
import org.hesse.nn.ParamTensor;

/**
 * A layer type that exists only in the tests, to show that a new op plugs in through the SPI without touching a
 * main file: a learned element-wise scale {@code z = w ⊙ x} (one weight per feature, tensor "weight" [D]).
 */
public final class Scale implements Layer {
  private final int d;

  Scale(int d) {
    this.d = d;
  }

  @Override public String type() { return "scale"; }
  @Override public int inputSize() { return d; }
  @Override public int outputSize() { return d; }
  @Override public List<ParamTensor> paramTensors() { return List.of(new ParamTensor("weight", 0, d)); }

  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) for (int i = 0; i < d; i++) z[n * d + i] = theta[off + i] * x[n * d + i];
  }

  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) {
      for (int i = 0; i < d; i++) {
        if (gIn != null) gIn[n * d + i] = theta[off + i] * gOut[n * d + i];
        if (gTheta != null) gTheta[off + i] += gOut[n * d + i] * x[n * d + i];
      }
    }
  }

  /** The description type "scale", registered from the test resources' META-INF/services/org.hesse.nn.LayerType. */
  public static final class Type implements LayerType {
    @Override public List<String> names() { return List.of("scale"); }

    @Override
    public Layer build(LayerSpec spec, int[] in, SubLayers sub) {
      return new Scale(LayerType.flat(in));
    }
  }
}
