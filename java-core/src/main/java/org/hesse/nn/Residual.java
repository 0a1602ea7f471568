package org.hesse.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A residual block {@code z = x + α·g(x)} over a sub-network g (a list of layers applied in order, which may
 * itself contain residual blocks). The inner output shape must equal the input shape.
 *
 * <p>Model description entry (nested {@code layers} are built like the top-level list):
 * <pre>{"type": "residual", "alpha": 1.0, "layers": [{"type": "dense", "out": 16}, {"type": "tanh"}, {"type": "dense", "out": 16}]}</pre>
 * ({@code alpha} defaults to 1.0). The equivalent PyTorch module:
 * <pre>
 * class Residual(nn.Module):
 *     def __init__(self, *layers, alpha=1.0):
 *         super().__init__()
 *         self.block = nn.Sequential(*layers)
 *         self.alpha = alpha
 *     def forward(self, x):
 *         return x + self.alpha * self.block(x)
 * </pre>
 * so a block at position k of the network owns the state-dict entries {@code k.block.j.weight},
 * {@code k.block.j.bias} (nested: {@code k.block.j.block.i.weight}) and the inner buffers
 * {@code k.block.j.running_mean}, .... Its parameter block is the concatenation of the inner layers' blocks in
 * order ({@link #paramOffset(int)}), likewise its buffers ({@link #bufferOffset(int)}).
 *
 * <p>The network runs a block as nodes of its graph ({@link #composite()}): inner layer j is node
 * {@code "k.block.j"}, and node {@code "k"} adds {@code x + α·g(x)} ({@link Add}); the block stays one layer.
 */
public final class Residual implements Layer {
  private final List<Layer> layers;
  private final double alpha;
  private final int size;
  private final int[] shape;
  private final int[] paramOffsets;
  private final int[] bufferOffsets;
  private final List<ParamTensor> tensors;
  private final List<ParamTensor> buffers;

  /**
   * A block over {@code layers} for samples of shape {@code inShape}; the layers' widths must chain from the
   * input size, and the last layer's output shape must equal {@code inShape}.
   */
  public Residual(int[] inShape, double alpha, List<Layer> layers) {
    if (inShape == null || inShape.length == 0) {
      throw new IllegalArgumentException("residual: input shape must have at least one dimension, got "
          + Arrays.toString(inShape));
    }
    if (!Double.isFinite(alpha)) throw new IllegalArgumentException("residual: 'alpha' must be finite, got " + alpha);
    if (layers == null || layers.isEmpty()) {
      throw new IllegalArgumentException("residual: 'layers' must list at least one layer, got none");
    }
    int n = Sizes.product(inShape, "residual: input shape " + Arrays.toString(inShape));
    int width = n;
    for (int j = 0; j < layers.size(); j++) {
      Layer l = layers.get(j);
      if (l.inputSize() != width) {
        throw new IllegalArgumentException("residual: inner layer " + j + " (" + l.type() + ") expects input size "
            + l.inputSize() + " but the previous layer gives " + width);
      }
      width = l.outputSize();
    }
    int[] outShape = layers.get(layers.size() - 1).outputShape();
    if (!Arrays.equals(outShape, inShape)) {
      throw new IllegalArgumentException("residual: the inner layers must give the input shape "
          + Arrays.toString(inShape) + " (x + α·g(x)), but they give " + Arrays.toString(outShape));
    }
    this.layers = List.copyOf(layers);
    this.alpha = alpha;
    this.size = n;
    this.shape = inShape.clone();
    int m = layers.size();
    paramOffsets = new int[m + 1];
    bufferOffsets = new int[m + 1];
    List<ParamTensor> ts = new ArrayList<>();
    List<ParamTensor> bs = new ArrayList<>();
    for (int j = 0; j < m; j++) {
      Layer l = layers.get(j);
      for (ParamTensor t : l.paramTensors()) ts.add(new ParamTensor("block." + j + "." + t.name, paramOffsets[j] + t.offset, t.shape));
      for (ParamTensor t : l.bufferTensors()) bs.add(new ParamTensor("block." + j + "." + t.name, bufferOffsets[j] + t.offset, t.shape));
      paramOffsets[j + 1] = Sizes.sum(paramOffsets[j], l.paramCount(), "residual parameters");
      bufferOffsets[j + 1] = Sizes.sum(bufferOffsets[j], l.bufferCount(), "residual buffers");
    }
    this.tensors = List.copyOf(ts);
    this.buffers = List.copyOf(bs);
  }

  /** The inner layers, in order. */
  public List<Layer> layers() { return layers; }

  public double alpha() { return alpha; }

  /** Offset of inner layer j's parameter block inside this layer's block (j = size() gives the total). */
  public int paramOffset(int j) { return paramOffsets[j]; }

  /** Offset of inner layer j's buffers inside this layer's buffers. */
  public int bufferOffset(int j) { return bufferOffsets[j]; }

  @Override
  public boolean batchCoupled() {
    for (Layer l : layers) if (l.batchCoupled()) return true;
    return false;
  }

  @Override public String type() { return "residual"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return tensors; }
  @Override public int paramCount() { return paramOffsets[layers.size()]; }
  @Override public List<ParamTensor> bufferTensors() { return buffers; }
  @Override public int bufferCount() { return bufferOffsets[layers.size()]; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("alpha", alpha);
    List<Object> inner = new ArrayList<>();
    for (Layer l : layers) inner.add(l.describe());
    m.put("layers", inner);
    return m;
  }

  @Override
  public Composite composite() {
    return (graph, input, name) -> {
      int act = input;
      for (int j = 0; j < layers.size(); j++) {
        Layer l = layers.get(j);
        String inner = name + ".block." + j;
        act = l.composite() != null ? l.composite().expand(graph, act, inner) : graph.add(inner, l, act);
      }
      return graph.add(name, new Add(shape, 1.0, alpha), input, act);
    };
  }

  /** A block is not one node: the network runs its inner layers and the final add as nodes of its graph. */
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    throw new UnsupportedOperationException("a residual block runs as nodes of its network's graph");
  }

  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    throw new UnsupportedOperationException("a residual block runs as nodes of its network's graph");
  }

  /** The description type "residual" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("residual"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new Residual(in, spec.doubleParam("alpha", 1.0), sub.build(spec.sublayers("layers"), in));
    }
  }
}
