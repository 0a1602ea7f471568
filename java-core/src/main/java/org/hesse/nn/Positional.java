package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/**
 * A learned additive embedding {@code z = x + W}, W of the sample shape (e.g. [T, D]); tensor "weight", zeros at
 * initialisation, as the README's {@code PosEmbed} module. Affine in (x, W) jointly: no second-order term.
 */
public final class Positional implements Layer {
  private final int[] shape;
  private final int size;

  public Positional(int[] shape) {
    this.shape = shape.clone();
    this.size = Sizes.product(shape, "positional: shape " + Arrays.toString(shape));
  }

  @Override public String type() { return "positional"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(new ParamTensor("weight", 0, shape)); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    return m;
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) for (int i = 0; i < size; i++) z[n * size + i] = x[n * size + i] + theta[off + i];
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn != null) System.arraycopy(gOut, 0, gIn, 0, batch * size);
    if (gTheta != null) Dense.addColumnSums(gOut, batch, size, gTheta, off);
  }

  /** The description type "positional" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("positional"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new Positional(LayerType.single(in));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) for (int i = 0; i < size; i++) z[n * size + i] = (float) (x[n * size + i] + theta[off + i]);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      System.arraycopy(gOut, 0, gIn, 0, batch * size);
    if (gTheta != null)
      Dense.addColumnSums(gOut, batch, size, gTheta, off);
  }
  // ---- end of generated float32 twins ----
}
