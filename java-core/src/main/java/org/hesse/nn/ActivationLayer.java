package org.hesse.nn;

import java.util.List;
import org.hesse.precision.Float32Twin;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/** An element-wise activation {@code a = σ(z)}; no parameters. Its type is the activation's name. */
public final class ActivationLayer implements Layer {
  private static final Kernels K = KernelProvider.get();
  private final Activation f;
  private final int size;
  private final int[] shape;

  public ActivationLayer(Activation f, int size) {
    this(f, new int[] {size});
  }

  /** An activation on samples of the given shape (kept for the next layer, e.g. [C, H, W]). */
  public ActivationLayer(Activation f, int[] shape) {
    int size = Sizes.product(shape, f.id + ": input shape " + java.util.Arrays.toString(shape));
    if (size <= 0) throw new IllegalArgumentException(f.id + ": input size must be > 0, got " + size);
    this.f = f;
    this.size = size;
    this.shape = shape.clone();
  }

  @Override public int[] outputShape() { return shape.clone(); }

  public Activation function() {
    return f;
  }

  @Override public String type() { return f.id; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }

  /** σ' and σ'' of the input, σ' alone when σ'' = 0, neither for tanh and sigmoid (the rule reads them off the output). */
  @Override
  public long preparedValuesPerSample() {
    if (f == Activation.TANH || f == Activation.SIGMOID) return 0;
    return f.piecewiseLinear() ? size : 2L * size;
  }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    K.activation(f, x, 0, z, 0, batch * size);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    if (gIn == null) return;
    int n = batch * size;
    // tanh' = 1 − a², sigmoid' = a(1 − a) from the outputs, without evaluating the function again (the kernel's
    // float twin runs in vector lanes; a float loop with double arithmetic is not vectorised by C2)
    if (f == Activation.TANH || f == Activation.SIGMOID) {
      K.outputTangent(f, z, 0, gOut, 0, gIn, 0, n);
    } else {
      K.activationBackward(f, x, 0, gOut, 0, gIn, 0, n);
    }
  }

  /** The description types of every {@link Activation} (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override
    public java.util.List<String> names() {
      return java.util.Arrays.stream(Activation.values()).map(a -> a.id).toList();
    }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      for (Activation a : Activation.values()) if (a.id.equals(spec.type())) return new ActivationLayer(a, in);
      throw new IllegalArgumentException("unknown activation '" + spec.type() + "'");
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    K.activation(f, x, 0, z, 0, batch * size);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn == null)
      return;
    int n = batch * size;
    if (f == Activation.TANH || f == Activation.SIGMOID) {
      K.outputTangent(f, z, 0, gOut, 0, gIn, 0, n);
    } else {
      K.activationBackward(f, x, 0, gOut, 0, gIn, 0, n);
    }
  }
  // ---- end of generated float32 twins ----
}
