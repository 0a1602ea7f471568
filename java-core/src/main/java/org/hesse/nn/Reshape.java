package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/** A new sample shape with the same values in the same (row-major) order, {@code x.reshape(B, *shape)}. */
public final class Reshape implements Layer {
  private final int[] out;
  private final int size;

  public Reshape(int[] inShape, int[] shape) {
    this.size = Sizes.product(inShape, "reshape: input shape");
    if (shape.length == 0 || Sizes.product(shape, "reshape: 'shape'") != size || Arrays.stream(shape).anyMatch(d -> d <= 0)) {
      throw new IllegalArgumentException("reshape: 'shape' " + Arrays.toString(shape) + " must have positive sizes and "
          + size + " values, as the input " + Arrays.toString(inShape));
    }
    this.out = shape.clone();
  }

  @Override public String type() { return "reshape"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }
  @Override public int[] outputShape() { return out.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("shape", Arrays.stream(out).boxed().toList());
    return m;
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    System.arraycopy(x, 0, z, 0, batch * size);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn != null) System.arraycopy(gOut, 0, gIn, 0, batch * size);
  }

  /** The description type "reshape" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("reshape"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new Reshape(LayerType.single(in), spec.ints("shape"));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    System.arraycopy(x, 0, z, 0, batch * size);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      System.arraycopy(gOut, 0, gIn, 0, batch * size);
  }
  // ---- end of generated float32 twins ----
}
