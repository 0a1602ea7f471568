package org.hesse.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.runtime.MemoryBudget;
import org.hesse.simd.Activation;

/**
 * A sequential network with a mean-reduced loss. Parameters are one flat vector: layer k's block starts at
 * {@link #offset(int)} and holds its tensors in order, named {@code "k.weight"}, {@code "k.bias"} as in the
 * state dict of a PyTorch {@code nn.Sequential} (k = position in the layer list, activations included).
 * Immutable and thread-safe; per-batch buffers live in a {@link Workspace}.
 */
public final class Network {
  private final int inputSize;
  private final List<Layer> layers;
  private final Loss loss;
  private final int[] offsets;
  private final int paramCount;
  private final int[] bufferOffsets;
  private final int bufferCount;

  private final int[] inputShape;

  public Network(int inputSize, List<Layer> layers, Loss loss) {
    this(new int[] {inputSize}, layers, loss);
  }

  /** A network whose samples have the given shape (e.g. [C, H, W]), stored flattened row-major. */
  public Network(int[] inputShape, List<Layer> layers, Loss loss) {
    if (loss == null) throw new IllegalArgumentException("loss: expected a Loss, got null");
    if (inputShape == null || inputShape.length == 0) {
      throw new IllegalArgumentException("inputShape: expected one or more dimensions, got " + java.util.Arrays.toString(inputShape));
    }
    for (int d : inputShape) {
      if (d <= 0) throw new IllegalArgumentException("inputShape: dimensions must be > 0, got " + java.util.Arrays.toString(inputShape));
    }
    int inputSize = Sizes.product(inputShape, "input shape " + java.util.Arrays.toString(inputShape));
    this.inputShape = inputShape.clone();
    if (layers.isEmpty()) throw new IllegalArgumentException("network: at least one layer is required");
    int width = inputSize;
    for (int k = 0; k < layers.size(); k++) {
      Layer l = layers.get(k);
      if (l.inputSize() != width) {
        throw new IllegalArgumentException("layer " + k + " (" + l.type() + "): expects input size "
            + l.inputSize() + " but the previous layer gives " + width);
      }
      width = l.outputSize();
    }
    this.inputSize = inputSize;
    this.layers = List.copyOf(layers);
    this.loss = loss;
    this.offsets = new int[layers.size() + 1];
    for (int k = 0; k < layers.size(); k++) offsets[k + 1] = Sizes.sum(offsets[k], layers.get(k).paramCount(), "network parameters");
    this.paramCount = offsets[layers.size()];
    this.bufferOffsets = new int[layers.size() + 1];
    for (int k = 0; k < layers.size(); k++) bufferOffsets[k + 1] = Sizes.sum(bufferOffsets[k], layers.get(k).bufferCount(), "network buffers");
    this.bufferCount = bufferOffsets[layers.size()];
    // the parameter vector is allocated next (init, reading weights): refuse it here, before, with its size
    MemoryBudget.current().checkDoubles(1, paramCount, "the network's parameter vector (" + paramCount + " values)");
  }

  public static Builder builder(int inputSize) {
    return new Builder(inputSize);
  }

  public int inputSize() { return inputSize; }

  /** The shape of one input sample ([input] for flat data). */
  public int[] inputShape() { return inputShape.clone(); }
  public int outputSize() { return layers.get(layers.size() - 1).outputSize(); }
  public List<Layer> layers() { return layers; }
  public Layer layer(int k) { return layers.get(k); }
  public int depth() { return layers.size(); }
  public Loss loss() { return loss; }
  public int paramCount() { return paramCount; }

  /** Offset of layer k's parameter block in the flat vector. */
  public int offset(int k) { return offsets[k]; }

  /** Length of the buffer vector (non-trainable state such as BN running statistics); 0 for most networks. */
  public int bufferCount() { return bufferCount; }

  /** Offset of layer k's buffers in the buffer vector. */
  public int bufferOffset(int k) { return bufferOffsets[k]; }

  /** A buffer vector with every layer's initial values (running mean 0, running variance 1, ...). */
  public double[] initialBuffers() {
    double[] b = new double[bufferCount];
    for (int k = 0; k < layers.size(); k++) layers.get(k).initBuffers(b, bufferOffsets[k]);
    return b;
  }

  /** State-dict names, offsets and shapes of the buffers ("k.running_mean", ...), in buffer order. */
  public Map<String, ParamTensor> bufferTensors() {
    Map<String, ParamTensor> out = new LinkedHashMap<>();
    for (int k = 0; k < layers.size(); k++) {
      for (ParamTensor t : layers.get(k).bufferTensors()) {
        String name = k + "." + t.name;
        out.put(name, new ParamTensor(name, bufferOffsets[k] + t.offset, t.shape));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Width of activation k: 0 is the input, k+1 the output of layer k. */
  public int width(int k) {
    return k == 0 ? inputSize : layers.get(k - 1).outputSize();
  }

  /** Whether some layer couples the samples of a batch (batch norm outside eval mode). */
  public boolean batchCoupled() {
    for (Layer l : layers) if (l.batchCoupled()) return true;
    return false;
  }

  /** Indices of the layers that have parameters. */
  public List<Integer> parametrisedLayers() {
    List<Integer> out = new ArrayList<>();
    for (int k = 0; k < layers.size(); k++) if (layers.get(k).paramCount() > 0) out.add(k);
    return out;
  }

  /** Parses a layer reference by its model-description index ("0", "2"), which must have parameters. */
  public int layerIndex(String name) {
    int k;
    try {
      k = Integer.parseInt(name.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("unknown layer '" + name + "', expected one of " + parametrisedLayers());
    }
    if (k < 0 || k >= layers.size() || layers.get(k).paramCount() == 0) {
      throw new IllegalArgumentException("unknown layer '" + name + "', expected one of " + parametrisedLayers()
          + " (the indices of layers with parameters)");
    }
    return k;
  }

  /** State-dict names in parameter order, with their shapes and flat offsets. */
  public Map<String, ParamTensor> tensors() {
    Map<String, ParamTensor> out = new LinkedHashMap<>();
    for (int k = 0; k < layers.size(); k++) {
      for (ParamTensor t : layers.get(k).paramTensors()) {
        String name = k + "." + t.name;
        out.put(name, new ParamTensor(name, offsets[k] + t.offset, t.shape));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  public Workspace newWorkspace(int maxBatch) {
    return new Workspace(this, maxBatch);
  }

  /** Runs every layer on {@code ws.input()} (rows 0..batch), keeping every activation in the workspace. */
  public void forward(double[] theta, Workspace ws, int batch) {
    ws.checkBatch(batch);
    for (int k = 0; k < layers.size(); k++) {
      layers.get(k).forward(theta, offsets[k], ws.acts[k], ws.acts[k + 1], batch, ws.contexts[k]);
    }
  }

  /**
   * Forward, loss and backward for one batch whose inputs are in {@code ws.input()}: returns
   * {@code scale · Σ_n ℓ_n} and adds {@code scale · Σ_n ∇_θ ℓ_n} to grad (grad may be null for the loss only).
   * Afterwards {@code ws.grad(k)} holds the gradient signal with respect to activation k (k ≥ 1).
   */
  public double lossAndGradient(double[] theta, Workspace ws, double[] y, int batch, double scale, double[] grad) {
    forward(theta, ws, batch);
    int K = layers.size();
    double value = scale * loss.sum(ws.acts[K], y, batch, outputSize());
    if (grad == null) return value;
    loss.gradient(ws.acts[K], y, batch, outputSize(), scale, ws.grads[K]);
    for (int k = K - 1; k >= 0; k--) {
      double[] gIn = k == 0 ? null : ws.grads[k];
      layers.get(k).backward(theta, offsets[k], ws.acts[k], ws.acts[k + 1], ws.grads[k + 1], gIn, grad, batch, ws.contexts[k]);
    }
    return value;
  }

  /**
   * Forward, loss and the gradient signals only: like {@link #lossAndGradient} but no parameter gradient is
   * formed (the curvature engine needs {@code ws.grad(k)} for k ≥ 1, not ∇_θ), which saves the weight-gradient
   * products. Returns {@code scale · Σ_n ℓ_n}.
   */
  public double lossAndSignals(double[] theta, Workspace ws, double[] y, int batch, double scale) {
    forward(theta, ws, batch);
    int K = layers.size();
    double value = scale * loss.sum(ws.acts[K], y, batch, outputSize());
    loss.gradient(ws.acts[K], y, batch, outputSize(), scale, ws.grads[K]);
    for (int k = K - 1; k >= 1; k--) {
      layers.get(k).backward(theta, offsets[k], ws.acts[k], ws.acts[k + 1], ws.grads[k + 1], ws.grads[k], null, batch,
          ws.contexts[k]);
    }
    return value;
  }

  /** Builds a network layer by layer, tracking widths. */
  public static final class Builder {
    private final int inputSize;
    private final List<Layer> layers = new ArrayList<>();
    private int width;
    private int[] shape;
    private int[] inputShape;

    Builder(int inputSize) {
      if (inputSize <= 0) throw new IllegalArgumentException("network: 'input' must be > 0, got " + inputSize);
      this.inputSize = inputSize;
      this.width = inputSize;
      this.shape = new int[] {inputSize};
      this.inputShape = shape;
    }

    /** The shape of one input sample, e.g. [C, H, W] for images; its product must equal the input size. */
    public Builder inputShape(int... s) {
      long n = 1;
      for (int d : s) {
        if (d <= 0) throw new IllegalArgumentException("input_shape: dimensions must be > 0, got " + java.util.Arrays.toString(s));
        n *= d;
      }
      if (n != inputSize || !layers.isEmpty()) {
        throw new IllegalArgumentException("input_shape " + java.util.Arrays.toString(s) + " has " + n
            + " elements, expected input = " + inputSize + " (and to be set before the layers)");
      }
      shape = s.clone();
      inputShape = s.clone();
      return this;
    }

    /** The shape of the current output (the next layer's input). */
    public int[] shape() {
      return shape.clone();
    }

    public Builder dense(int out) {
      return add(new Dense(width, out));
    }

    public Builder activation(Activation f) {
      return add(new ActivationLayer(f, shape));
    }

    public Builder activation(String name) {
      return activation(Activation.byName(name));
    }

    public Builder add(Layer l) {
      if (l.inputSize() != width) {
        throw new IllegalArgumentException("layer " + layers.size() + " (" + l.type() + "): expects input size "
            + l.inputSize() + " but the previous layer gives " + width);
      }
      layers.add(l);
      width = l.outputSize();
      shape = l.outputShape();
      return this;
    }

    public int width() {
      return width;
    }

    public Network build(Loss loss) {
      return new Network(inputShape, layers, loss);
    }

    public Network build(String loss) {
      return build(Loss.byName(loss));
    }
  }
}
