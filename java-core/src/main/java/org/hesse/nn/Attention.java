package org.hesse.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Multi-head self-attention on {@code [T, D]} samples, PyTorch {@code nn.MultiheadAttention(D, heads,
 * batch_first=True)} called as {@code m(x, x, x, need_weights=False)[0]} (no mask, no dropout): q, k, v =
 * x W_{q,k,v}ᵀ + b_{q,k,v} (rows 0..D, D..2D, 2D..3D of in_proj), head h takes features h·d .. (h+1)·d (d = D/heads),
 * {@code softmax(q kᵀ / √d) v} per head, heads concatenated, then out_proj. Tensors (state-dict order):
 * in_proj_weight [3D, D], in_proj_bias [3D], out_proj.weight [D, D], out_proj.bias [D].
 *
 * <p>A composite: the network runs it as nodes of primitives with their own rules (token-wise dense, slice,
 * transpose, matmul, softmax, concat), so its curvature is exact without rules of its own; it stays one layer.
 */
public final class Attention implements Layer {
  private final int tokens;
  private final int dim;
  private final int heads;
  private final List<ParamTensor> tensors;

  public Attention(int[] inShape, int heads) {
    if (inShape.length != 2) {
      throw new IllegalArgumentException("attention: expected an input of shape [T, D], got " + java.util.Arrays.toString(inShape));
    }
    if (heads <= 0 || inShape[1] % heads != 0) {
      throw new IllegalArgumentException("attention: 'heads' must be > 0 and divide D = " + inShape[1] + ", got " + heads);
    }
    this.tokens = inShape[0];
    this.dim = inShape[1];
    this.heads = heads;
    int d = dim;
    this.tensors = List.of(new ParamTensor("in_proj_weight", 0, 3 * d, d), new ParamTensor("in_proj_bias", 3 * d * d, 3 * d),
        new ParamTensor("out_proj.weight", 3 * d * d + 3 * d, d, d), new ParamTensor("out_proj.bias", 4 * d * d + 3 * d, d));
  }

  @Override public String type() { return "attention"; }
  @Override public int inputSize() { return tokens * dim; }
  @Override public int outputSize() { return tokens * dim; }
  @Override public int[] outputShape() { return new int[] {tokens, dim}; }
  @Override public List<ParamTensor> paramTensors() { return tensors; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("heads", heads);
    return m;
  }

  @Override
  public Composite composite() {
    return (g, input, name) -> {
      int d = dim / heads;
      int[] qkvShape = {tokens, 3 * dim};
      int qkv = g.add(name + ".in_proj", Dense.tokenWise(tokens, dim, 3 * dim), input);
      int[] outs = new int[heads];
      List<int[]> shapes = new ArrayList<>();
      for (int h = 0; h < heads; h++) {
        int q = g.add(name + ".q" + h, new Slice(qkvShape, -1, h * d, d), qkv);
        int k = g.add(name + ".k" + h, new Slice(qkvShape, -1, dim + h * d, d), qkv);
        int v = g.add(name + ".v" + h, new Slice(qkvShape, -1, 2 * dim + h * d, d), qkv);
        int kt = g.add(name + ".kt" + h, new Transpose(new int[] {tokens, d}, new int[] {1, 0}), k);
        int s = g.add(name + ".scores" + h, new MatMul(new int[] {tokens, d}, new int[] {d, tokens}, 1.0 / Math.sqrt(d)), q, kt);
        int p = g.add(name + ".weights" + h, new Softmax(new int[] {tokens, tokens}, -1), s);
        outs[h] = g.add(name + ".head" + h, new MatMul(new int[] {tokens, tokens}, new int[] {tokens, d}, 1.0), p, v);
        shapes.add(new int[] {tokens, d});
      }
      int cat = heads == 1 ? outs[0] : g.add(name + ".heads", new Concat(shapes, -1), outs);
      return g.add(name + ".out_proj", Dense.tokenWise(tokens, dim, dim), cat);
    };
  }

  /** Attention runs as nodes of its network's graph ({@link #composite()}). */
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    throw new UnsupportedOperationException("attention runs as nodes of its network's graph");
  }

  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    throw new UnsupportedOperationException("attention runs as nodes of its network's graph");
  }
}
