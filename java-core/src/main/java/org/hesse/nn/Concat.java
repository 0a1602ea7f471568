package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/**
 * Concatenation of two or more activations along one sample axis, {@code torch.cat(dim=axis+1)}; the input shapes
 * agree except on that axis. Per sample, with {@code outer} the product of the axes before it, the output is, for
 * each outer index, input 0's chunk, then input 1's, .... Linear and parameter-free.
 */
public final class Concat implements FanInLayer {
  private final int[][] shapes;
  private final int[] outShape;
  private final int axis;
  private final int outer;
  private final int[] chunk;  // per input: values per outer index
  private final int outChunk;

  /** A concat of inputs of the given sample shapes along {@code axis} (negative counts from the end). */
  public Concat(List<int[]> inShapes, int axis) {
    if (inShapes.size() < 2) throw new IllegalArgumentException("concat: expected at least 2 inputs, got " + inShapes.size());
    int rank = inShapes.get(0).length;
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) throw new IllegalArgumentException("concat: 'axis' " + axis + " is outside the sample axes of " + Arrays.toString(inShapes.get(0)));
    this.axis = a;
    this.shapes = new int[inShapes.size()][];
    int along = 0;
    for (int i = 0; i < shapes.length; i++) {
      int[] s = inShapes.get(i);
      boolean ok = s.length == rank;
      for (int d = 0; ok && d < rank; d++) ok = d == a || s[d] == inShapes.get(0)[d];
      if (!ok) {
        throw new IllegalArgumentException("concat: input " + i + " has shape " + Arrays.toString(s) + ", expected "
            + Arrays.toString(inShapes.get(0)) + " except on axis " + a);
      }
      shapes[i] = s.clone();
      along += s[a];
    }
    outShape = inShapes.get(0).clone();
    outShape[a] = along;
    int o = 1;
    for (int d = 0; d < a; d++) o *= outShape[d];
    outer = o;
    chunk = new int[shapes.length];
    for (int i = 0; i < shapes.length; i++) chunk[i] = Sizes.product(shapes[i], "concat input") / outer;
    outChunk = Sizes.product(outShape, "concat output") / outer;
  }

  @Override public String type() { return "concat"; }
  @Override public int inputCount() { return shapes.length; }
  @Override public int inputSize() { return inputSize(0); }
  @Override public int inputSize(int i) { return chunk[i] * outer; }
  @Override public int[] inputShape(int i) { return shapes[i].clone(); }
  @Override public int outputSize() { return outChunk * outer; }
  @Override public int[] outputShape() { return outShape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("axis", axis);
    return m;
  }

  /** out = concat(in) for {@code rows} rows (samples, or sample-direction pairs); a null input is zero. */
  @Float32Twin
  public void join(double[][] in, double[] out, int rows) {
    int w = outputSize();
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < outer; o++) {
        int dst = r * w + o * outChunk;
        for (int i = 0; i < in.length; i++) {
          int c = chunk[i];
          if (in[i] == null) Arrays.fill(out, dst, dst + c, 0.0);
          else System.arraycopy(in[i], r * c * outer + o * c, out, dst, c);
          dst += c;
        }
      }
    }
  }

  /** out_i = input i's part of g for every non-null out_i. */
  @Float32Twin
  public void split(double[] g, double[][] out, int rows) {
    int w = outputSize();
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < outer; o++) {
        int src = r * w + o * outChunk;
        for (int i = 0; i < out.length; i++) {
          int c = chunk[i];
          if (out[i] != null) System.arraycopy(g, src, out[i], r * c * outer + o * c, c);
          src += c;
        }
      }
    }
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[][] xs, double[] z, int batch, LayerContext ctx) {
    join(xs, z, batch);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[][] xs, double[] z, double[] gOut, double[][] gIns,
                       double[] gTheta, int batch, LayerContext ctx) {
    split(gOut, gIns, batch);
  }

  /** The description type "concat" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("concat"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new Concat(in, spec.intParam("axis", 0));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void join(float[][] in, float[] out, int rows) {
    int w = outputSize();
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < outer; o++) {
        int dst = r * w + o * outChunk;
        for (int i = 0; i < in.length; i++) {
          int c = chunk[i];
          if (in[i] == null)
            Arrays.fill(out, dst, dst + c, 0.0f);
          else
            System.arraycopy(in[i], r * c * outer + o * c, out, dst, c);
          dst += c;
        }
      }
    }
  }

  public void split(float[] g, float[][] out, int rows) {
    int w = outputSize();
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < outer; o++) {
        int src = r * w + o * outChunk;
        for (int i = 0; i < out.length; i++) {
          int c = chunk[i];
          if (out[i] != null)
            System.arraycopy(g, src, out[i], r * c * outer + o * c, c);
          src += c;
        }
      }
    }
  }

  @Override
  public void forward(float[] theta, int off, float[][] xs, float[] z, int batch, LayerContext ctx) {
    join(xs, z, batch);
  }

  @Override
  public void backward(float[] theta, int off, float[][] xs, float[] z, float[] gOut, float[][] gIns, float[] gTheta, int batch, LayerContext ctx) {
    split(gOut, gIns, batch);
  }
  // ---- end of generated float32 twins ----
}
