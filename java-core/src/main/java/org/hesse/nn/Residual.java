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
 * <p>The inner activations and gradient signals of a batch live in the per-workspace state
 * ({@link #newState(int)}); inner layers get child contexts ({@link LayerContext#child}) that share the outer
 * context's mode, buffers and generator.
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
  public void initBuffers(double[] b, int off) {
    for (int j = 0; j < layers.size(); j++) layers.get(j).initBuffers(b, off + bufferOffsets[j]);
  }

  /** Per-workspace state: inner activations, inner gradient signals, inner states and their contexts. */
  static final class State {
    final double[][] acts;   // acts[j]: output of inner layer j−1 (j = 1..m); acts[0] unused (the block input)
    final double[][] grads;  // grads[j]: gradient signal at acts[j] (grads[m] = α·gOut, grads[0] into x)
    final Object[] states;
    LayerContext parent;     // the context the children were made for
    LayerContext[] children;

    State(Residual r, int maxBatch) {
      int m = r.layers.size();
      acts = new double[m + 1][];
      grads = new double[m + 1][];
      states = new Object[m];
      grads[0] = new double[maxBatch * r.size];
      for (int j = 0; j < m; j++) {
        Layer l = r.layers.get(j);
        acts[j + 1] = new double[maxBatch * l.outputSize()];
        grads[j + 1] = new double[maxBatch * l.outputSize()];
        states[j] = l.newState(maxBatch);
      }
    }
  }

  @Override
  public Object newState(int maxBatch) {
    return new State(this, maxBatch);
  }

  /** The state of ctx, with inner contexts bound to ctx (made once per context). */
  private State state(LayerContext ctx, int batch) {
    if (ctx == null || !(ctx.state() instanceof State st)) {
      throw new IllegalArgumentException("residual: expected a layer context holding this layer's state (newState), got "
          + (ctx == null ? "null" : String.valueOf(ctx.state())));
    }
    if (batch * size > st.grads[0].length) {
      throw new IllegalArgumentException("residual: batch of " + batch + " rows exceeds the state's capacity of "
          + st.grads[0].length / size);
    }
    if (st.parent != ctx) {
      LayerContext[] c = new LayerContext[layers.size()];
      for (int j = 0; j < c.length; j++) c[j] = LayerContext.child(ctx, st.states[j], bufferOffsets[j]);
      st.children = c;
      st.parent = ctx;
    }
    return st;
  }

  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    State st = state(ctx, batch);
    int m = layers.size();
    double[] in = x;
    for (int j = 0; j < m; j++) {
      layers.get(j).forward(theta, off + paramOffsets[j], in, st.acts[j + 1], batch, st.children[j]);
      in = st.acts[j + 1];
    }
    double[] g = st.acts[m];
    for (int i = 0, n = batch * size; i < n; i++) z[i] = x[i] + alpha * g[i];
  }

  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    State st = state(ctx, batch);
    int m = layers.size();
    int n = batch * size;
    // the block sees α·gOut; the identity path passes gOut straight to the input
    double[] top = st.grads[m];
    for (int i = 0; i < n; i++) top[i] = alpha * gOut[i];
    for (int j = m - 1; j >= 0; j--) {
      double[] xj = j == 0 ? x : st.acts[j];
      double[] gj = j == 0 && gIn == null ? null : st.grads[j];
      layers.get(j).backward(theta, off + paramOffsets[j], xj, st.acts[j + 1], st.grads[j + 1], gj, gTheta, batch,
          st.children[j]);
    }
    if (gIn != null) {
      double[] g0 = st.grads[0];
      for (int i = 0; i < n; i++) gIn[i] = gOut[i] + g0[i];
    }
  }
}
