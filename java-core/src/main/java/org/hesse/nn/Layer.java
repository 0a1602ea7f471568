package org.hesse.nn;

import java.util.List;
import java.util.SplittableRandom;
import org.hesse.precision.Float32Twin;

/**
 * One layer type's definition and first-order rules (one file per type; the network only composes).
 * Batches are row-major {@code batch × width} arrays. Layers hold no per-batch state: the network keeps every
 * layer's input and output, which is all a layer's backward and second-order rules need.
 * Parameters live in the network's flat vector from {@code off}, in the order of {@link #paramTensors()}
 * (weights before bias, as PyTorch's state dict).
 */
public interface Layer {
  /** The model-description type: "dense", "tanh", ... */
  String type();

  int inputSize();

  int outputSize();

  /**
   * The shape of one sample's output, e.g. {@code [C, H, W]} for an image layer (stored flattened row-major, as
   * PyTorch's NCHW); flat layers return {@code [outputSize()]}. The next layer is built for this shape.
   */
  default int[] outputShape() {
    return new int[] {outputSize()};
  }

  /**
   * This layer's entry in a model description, as JSON-ready values: {@code type} first, then its fields
   * (e.g. {@code out}); nested layers as lists of such maps.
   */
  default java.util.Map<String, Object> describe() {
    return java.util.Map.of("type", type());
  }

  /** Tensors this layer owns, with local names ("weight", "bias") and shapes; empty for parameter-free layers. */
  List<ParamTensor> paramTensors();

  default int paramCount() {
    int n = 0;
    for (ParamTensor t : paramTensors()) n = Sizes.sum(n, t.size(), type() + " parameters");
    return n;
  }

  /** Non-trainable state tensors (BN's running statistics), named as in the state dict; none by default. */
  default List<ParamTensor> bufferTensors() {
    return List.of();
  }

  default int bufferCount() {
    int n = 0;
    for (ParamTensor t : bufferTensors()) n = Sizes.sum(n, t.size(), type() + " buffers");
    return n;
  }

  /** Initial values of the buffers (e.g. running variance 1) into buffers[off..]. */
  default void initBuffers(double[] buffers, int off) {}

  /**
   * Whether the forward pass couples the samples of a batch outside {@link Mode#EVAL} (batch normalisation's
   * batch statistics): the curvature then depends on the batch partition.
   */
  default boolean batchCoupled() {
    return false;
  }

  /** Per-workspace scratch state for batches of at most maxBatch rows; null for stateless layers. */
  default Object newState(int maxBatch) {
    return null;
  }

  /**
   * Number of inputs: 1 for ordinary layers, more for fan-in ops (add, concat, ...), which implement the array
   * forms of {@link #forward(double[], int, double[][], double[], int, LayerContext)} and
   * {@link #backward(double[], int, double[][], double[], double[], double[][], double[], int, LayerContext)}.
   */
  default int inputCount() {
    return 1;
  }

  /** Width of input i (every input has {@link #inputSize()} unless a fan-in op says otherwise). */
  default int inputSize(int i) {
    return inputSize();
  }

  /** The sample shape input i must have, or null when only its width matters (shape-free ops). */
  default int[] inputShape(int i) {
    return null;
  }

  /**
   * Draws this layer's parameters at {@code off} with {@code scheme} from {@code rng} (a weight-carrying layer
   * splits one generator off, so that the draws of the other layers do not depend on it); parameter-free layers
   * draw nothing.
   */
  default void initParameters(Init scheme, double[] theta, int off, SplittableRandom rng) {}

  /** Whether this is a normalisation layer (batch or layer norm): scale-invariant in what feeds it. */
  default boolean normaliser() {
    return false;
  }

  /**
   * Whether this layer is {@code z = x Wᵀ + b} on flat samples, W ({@link #outputSize()} × {@link #inputSize()},
   * row-major) then b in its parameters: the structure the Kronecker shortcuts of dense blocks rely on (exact block
   * from per-sample output Hessians, back-matching's {@code I ⊗ C} weight side). False unless the type says so.
   */
  default boolean affine() {
    return false;
  }

  /**
   * The per-channel batch statistics of a batch normaliser (what optimisers amending the layer before it need), or
   * null for every other layer.
   */
  default ChannelNormaliser channelNormaliser() {
    return null;
  }

  /**
   * For a weight-carrying layer: the number of rows (output units / channels) of its weight matrix seen as
   * {@code rows × rowLength} (dense: out × in; conv: O × C·k·k), else 0.
   */
  default int weightRows() {
    return 0;
  }

  /** See {@link #weightRows()}: the length of each row (0 for layers without a weight matrix). */
  default int weightRowLength() {
    return 0;
  }

  /**
   * Values (doubles) per sample the second-order rule of this type keeps per batch (e.g. σ', σ'' of the input), for
   * the curvature engine's memory estimate. The default, 2 × input, is an upper bound for a type that does not
   * say; the built-in types state what their rules keep.
   */
  default long preparedValuesPerSample() {
    return 2L * inputSize();
  }

  /**
   * A layer made of other layers (a residual block) that the network runs as nodes of its graph; null for a
   * layer that is one node.
   */
  default Composite composite() {
    return null;
  }

  /** z = F(x_0, x_1, ...; θ): the form the network runs; single-input layers implement the one below. */
  @Float32Twin
  default void forward(double[] theta, int off, double[][] xs, double[] z, int batch, LayerContext ctx) {
    forward(theta, off, xs[0], z, batch, ctx);
  }

  /**
   * VJP of a node: {@code gIns[i] = J_{x_i}ᵀ gOut} (skipped where gIns[i] is null, overwritten otherwise) and
   * {@code gTheta[off..] += J_θᵀ gOut} (skipped when gTheta is null).
   */
  @Float32Twin
  default void backward(double[] theta, int off, double[][] xs, double[] z, double[] gOut, double[][] gIns,
                        double[] gTheta, int batch, LayerContext ctx) {
    backward(theta, off, xs[0], z, gOut, gIns[0], gTheta, batch, ctx);
  }

  /** z = F(x; θ) for {@code batch} rows. */
  void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx);

  /**
   * VJP: {@code gIn = J_xᵀ gOut} (skipped when gIn is null) and {@code gTheta[off..] += J_θᵀ gOut} (skipped when
   * gTheta is null: the curvature engine needs only the signals). x and z are this layer's input and output from the
   * forward pass with the same context.
   */
  void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                LayerContext ctx);

  /**
   * The float32 forward pass (θ, activations in float; docs/precision.md): a type has it when its float64
   * {@code forward} is marked {@code @Float32Twin} (a generated twin). By default: refused.
   */
  default void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    throw org.hesse.precision.Precision.noFloat32(type());
  }

  /** The float32 VJP (see {@link #forward(float[], int, float[], float[], int, LayerContext)}); refused by default. */
  default void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch,
                        LayerContext ctx) {
    throw org.hesse.precision.Precision.noFloat32(type());
  }

  /**
   * Whether this type has float32 twins of its forward and backward passes: the single-input form, or (fan-in ops)
   * the form on several inputs.
   */
  default boolean float32() {
    try {
      Class<?> single = getClass().getMethod("forward", float[].class, int.class, float[].class, float[].class,
          int.class, LayerContext.class).getDeclaringClass();
      Class<?> many = getClass().getMethod("forward", float[].class, int.class, float[][].class, float[].class,
          int.class, LayerContext.class).getDeclaringClass();
      return single != Layer.class || many != Layer.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  default void forward(float[] theta, int off, float[][] xs, float[] z, int batch, LayerContext ctx) {
    forward(theta, off, xs[0], z, batch, ctx);
  }

  default void backward(float[] theta, int off, float[][] xs, float[] z, float[] gOut, float[][] gIns, float[] gTheta, int batch, LayerContext ctx) {
    backward(theta, off, xs[0], z, gOut, gIns[0], gTheta, batch, ctx);
  }
  // ---- end of generated float32 twins ----
}
