package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/**
 * Entries {@code start .. start+length−1} of one sample axis ({@code x[:, ..., start:start+length, ...]}); used
 * inside attention to take a head's queries, keys and values. Linear and parameter-free.
 */
public final class Slice implements Layer {
  private final int[] in;
  private final int[] out;
  private final int axis;
  private final int start;
  private final int outer;
  private final int inChunk;
  private final int outChunk;
  private final int offset;

  public Slice(int[] inShape, int axis, int start, int length) {
    int a = axis < 0 ? axis + inShape.length : axis;
    if (a < 0 || a >= inShape.length || start < 0 || length <= 0 || start + length > inShape[a]) {
      throw new IllegalArgumentException("slice: entries " + start + ".." + (start + length - 1) + " of axis " + axis
          + " are not inside " + Arrays.toString(inShape));
    }
    this.in = inShape.clone();
    this.axis = a;
    this.start = start;
    this.out = inShape.clone();
    out[a] = length;
    int o = 1;
    for (int d = 0; d < a; d++) o *= inShape[d];
    this.outer = o;
    int innerSize = Sizes.product(inShape, "slice: input") / (o * inShape[a]);
    this.inChunk = inShape[a] * innerSize;
    this.outChunk = length * innerSize;
    this.offset = start * innerSize;
  }

  @Override public String type() { return "slice"; }
  @Override public int inputSize() { return outer * inChunk; }
  @Override public int outputSize() { return outer * outChunk; }
  @Override public int[] outputShape() { return out.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("axis", axis);
    m.put("start", start);
    m.put("length", out[axis]);
    return m;
  }

  /** z = the slice of x for {@code rows} rows. */
  @Float32Twin
  public void take(double[] x, double[] z, int rows) {
    for (int r = 0; r < rows * outer; r++) System.arraycopy(x, r * inChunk + offset, z, r * outChunk, outChunk);
  }

  /** gIn = g placed at the slice, zeros elsewhere, for {@code rows} rows. */
  @Float32Twin
  public void put(double[] g, double[] gIn, int rows) {
    Arrays.fill(gIn, 0, rows * outer * inChunk, 0.0);
    for (int r = 0; r < rows * outer; r++) System.arraycopy(g, r * outChunk, gIn, r * inChunk + offset, outChunk);
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    take(x, z, batch);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn != null) put(gOut, gIn, batch);
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void take(float[] x, float[] z, int rows) {
    for (int r = 0; r < rows * outer; r++) System.arraycopy(x, r * inChunk + offset, z, r * outChunk, outChunk);
  }

  public void put(float[] g, float[] gIn, int rows) {
    Arrays.fill(gIn, 0, rows * outer * inChunk, 0.0f);
    for (int r = 0; r < rows * outer; r++) System.arraycopy(g, r * outChunk, gIn, r * inChunk + offset, outChunk);
  }

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    take(x, z, batch);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      put(gOut, gIn, batch);
  }
  // ---- end of generated float32 twins ----
}
