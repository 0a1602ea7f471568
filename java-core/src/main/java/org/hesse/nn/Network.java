package org.hesse.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.runtime.MemoryBudget;
import org.hesse.simd.Activation;

/**
 * A network: a directed acyclic graph of {@link Node}s in topological order, with a mean-reduced loss on the
 * output activation. Activation 0 is the input and activation j + 1 the output of node j; an activation read by
 * several nodes (fan-out) receives the sum of their signals in a backward pass ({@link Executor}).
 *
 * <p>A <em>layer</em> (a block in spectra, a row in reports) is a named group of consecutive nodes: one node for a
 * graph description and for an ordinary entry of a layer list; all the nodes of a residual block for such an
 * entry (so a layer list keeps its indices, names and blocks). Layer k's parameters are one contiguous block at
 * {@link #offset(int)}, its tensors named {@code "<layer name>.<local name>"} as PyTorch's state dict
 * ({@code "k.weight"} for an {@code nn.Sequential}).
 * Immutable and thread-safe; per-batch buffers live in a {@link Workspace}.
 */
public final class Network {
  private final int[] inputShape;
  private final int inputSize;
  private final Loss loss;
  private final List<Node> nodes;
  private final int[] actWidth;
  private final int[][] actShape;
  private final int outputAct;
  private final List<Unit> units;
  private final int paramCount;
  private final int bufferCount;
  private boolean layerList;

  /** A layer: its name, its description, its nodes first..last and the activation it ends in. */
  private record Unit(String name, Layer layer, int first, int last, int output, int paramOffset, int bufferOffset) {}

  public Network(int inputSize, List<Layer> layers, Loss loss) {
    this(new int[] {inputSize}, layers, loss);
  }

  /** A sequential network whose samples have the given shape (e.g. [C, H, W]), stored flattened row-major. */
  public Network(int[] inputShape, List<Layer> layers, Loss loss) {
    this(inputShape, loss, graph -> {
      if (layers.isEmpty()) throw new IllegalArgumentException("network: at least one layer is required");
      int act = 0;
      for (int k = 0; k < layers.size(); k++) {
        Layer l = layers.get(k);
        if (l.inputSize() != graph.width(act)) {
          throw new IllegalArgumentException("layer " + k + " (" + l.type() + "): expects input size "
              + l.inputSize() + " but the previous layer gives " + graph.width(act));
        }
        graph.beginLayer(Integer.toString(k), l);
        act = l.composite() != null ? l.composite().expand(graph, act, Integer.toString(k))
            : graph.add(Integer.toString(k), l, act);
        graph.endLayer();
      }
      return act;
    });
    this.layerList = true;
  }

  /** Whether this network was built from a layer list (a chain of layers) rather than as a graph. */
  public boolean layerList() {
    return layerList;
  }

  /**
   * A graph network: {@code build} adds the nodes (each its own layer unless grouped with
   * {@link Graph#beginLayer}) and returns the output activation.
   */
  public Network(int[] inputShape, Loss loss, java.util.function.ToIntFunction<Graph> build) {
    if (loss == null) throw new IllegalArgumentException("loss: expected a Loss, got null");
    if (inputShape == null || inputShape.length == 0) {
      throw new IllegalArgumentException("inputShape: expected one or more dimensions, got " + Arrays.toString(inputShape));
    }
    for (int d : inputShape) {
      if (d <= 0) throw new IllegalArgumentException("inputShape: dimensions must be > 0, got " + Arrays.toString(inputShape));
    }
    this.inputSize = Sizes.product(inputShape, "input shape " + Arrays.toString(inputShape));
    this.inputShape = inputShape.clone();
    this.loss = loss;
    Graph g = new Graph(this.inputShape);
    int out = build.applyAsInt(g);
    if (g.nodes.isEmpty()) throw new IllegalArgumentException("network: at least one layer is required");
    g.closeLayers();
    this.nodes = List.copyOf(g.nodes);
    this.actWidth = g.widths.stream().mapToInt(Integer::intValue).toArray();
    this.actShape = g.shapes.toArray(new int[0][]);
    this.outputAct = out;
    this.units = List.copyOf(g.units);
    this.paramCount = g.params;
    this.bufferCount = g.buffers;
    // the parameter vector is allocated next (init, reading weights): refuse it here, before, with its size
    MemoryBudget.current().checkDoubles(1, paramCount, "the network's parameter vector (" + paramCount + " values)");
  }

  /**
   * Adds nodes in topological order while a network is built; a node reads existing activations only, so the
   * graph is acyclic by construction.
   */
  public static final class Graph {
    private final List<Node> nodes = new ArrayList<>();
    private final List<Integer> widths = new ArrayList<>();
    private final List<int[]> shapes = new ArrayList<>();
    private final List<Unit> units = new ArrayList<>();
    private final Map<String, Integer> names = new HashMap<>();
    private int params;
    private int buffers;
    private String openName;
    private Layer openLayer;
    private int openFirst = -1;

    Graph(int[] inputShape) {
      widths.add(Sizes.product(inputShape, "input shape"));
      shapes.add(inputShape.clone());
    }

    /** Width of activation a (0 = input). */
    public int width(int a) {
      return widths.get(a);
    }

    /** Sample shape of activation a. */
    public int[] shape(int a) {
      return shapes.get(a).clone();
    }

    /** Number of activations so far (the input and one per node). */
    public int activations() {
      return widths.size();
    }

    /** Groups the nodes added until {@link #endLayer} into one layer with this name and description. */
    public void beginLayer(String name, Layer layer) {
      closeLayers();
      openName = name;
      openLayer = layer;
      openFirst = nodes.size();
    }

    public void endLayer() {
      if (openName == null) return;
      if (nodes.size() == openFirst) throw new IllegalArgumentException("layer " + openName + ": adds no node");
      Node first = nodes.get(openFirst);
      int p = params - first.paramOffset;
      if (p != openLayer.paramCount()) {
        throw new IllegalStateException("layer " + openName + ": its nodes hold " + p + " parameters, the layer "
            + openLayer.paramCount());
      }
      units.add(new Unit(openName, openLayer, openFirst, nodes.size() - 1, nodes.size(), first.paramOffset, first.bufferOffset));
      openName = null;
    }

    void closeLayers() {
      endLayer();
    }

    /**
     * Adds node {@code name} running {@code op} on activations {@code inputs}; returns its output activation.
     * Outside {@link #beginLayer}/{@link #endLayer} the node is a layer of its own.
     */
    public int add(String name, Layer op, int... inputs) {
      if (names.containsKey(name)) throw new IllegalArgumentException("node '" + name + "': duplicate name");
      if (inputs.length != op.inputCount()) {
        throw new IllegalArgumentException("node '" + name + "' (" + op.type() + "): expects " + op.inputCount()
            + " inputs, got " + inputs.length);
      }
      for (int i = 0; i < inputs.length; i++) {
        int a = inputs[i];
        if (a < 0 || a >= widths.size()) {
          throw new IllegalArgumentException("node '" + name + "': input " + i + " is not an earlier node");
        }
        int[] s = op.inputShape(i);
        if (op.inputSize(i) != widths.get(a) || (s != null && !Arrays.equals(s, shapes.get(a)))) {
          throw new IllegalArgumentException("node '" + name + "' (" + op.type() + "): input " + i + " has shape "
              + Arrays.toString(shapes.get(a)) + ", expected " + (s != null ? Arrays.toString(s) : op.inputSize(i) + " values"));
        }
      }
      Sizes.product(op.outputShape(), "node '" + name + "': output shape");
      Node n = new Node(name, op, inputs, nodes.size(), params, buffers);
      params = Sizes.sum(params, op.paramCount(), "network parameters");
      buffers = Sizes.sum(buffers, op.bufferCount(), "network buffers");
      nodes.add(n);
      names.put(name, n.index);
      widths.add(op.outputSize());
      shapes.add(op.outputShape());
      if (openName == null) units.add(new Unit(name, op, n.index, n.index, n.output(), n.paramOffset, n.bufferOffset));
      return n.output();
    }
  }

  public static Builder builder(int inputSize) {
    return new Builder(inputSize);
  }

  public int inputSize() { return inputSize; }

  /** The shape of one input sample ([input] for flat data). */
  public int[] inputShape() { return inputShape.clone(); }
  public int outputSize() { return actWidth[outputAct]; }

  /** The layers (see the class comment), in order. */
  public List<Layer> layers() {
    List<Layer> out = new ArrayList<>();
    for (Unit u : units) out.add(u.layer);
    return Collections.unmodifiableList(out);
  }

  public Layer layer(int k) { return units.get(k).layer; }

  /** Number of layers. */
  public int depth() { return units.size(); }

  /** Layer k's name: its index for a layer list, its node name for a graph. */
  public String layerName(int k) { return units.get(k).name; }

  /** The first and last node of layer k. */
  public int firstNode(int k) { return units.get(k).first; }

  public int lastNode(int k) { return units.get(k).last; }

  /** The layer node j belongs to. */
  public int layerOf(int node) {
    for (int k = 0; k < units.size(); k++) if (units.get(k).last >= node) return k;
    throw new IllegalArgumentException("node: expected 0.." + (nodes.size() - 1) + ", got " + node);
  }

  public Loss loss() { return loss; }
  public int paramCount() { return paramCount; }

  /** The graph's nodes in topological order. */
  public List<Node> nodes() { return nodes; }

  public Node node(int j) { return nodes.get(j); }

  public int nodeCount() { return nodes.size(); }

  /** Width of graph activation a (0 = input, j + 1 = output of node j). */
  public int activationWidth(int a) { return actWidth[a]; }

  /** Sample shape of graph activation a. */
  public int[] activationShape(int a) { return actShape[a].clone(); }

  /** The graph activation the loss reads. */
  public int outputActivation() { return outputAct; }

  /** The graph activation of layer activation k (0 = input, k + 1 = output of layer k). */
  public int activation(int k) { return k == 0 ? 0 : units.get(k - 1).output; }

  /** Offset of layer k's parameter block in the flat vector. */
  public int offset(int k) { return units.get(k).paramOffset; }

  /** Length of the buffer vector (non-trainable state such as BN running statistics); 0 for most networks. */
  public int bufferCount() { return bufferCount; }

  /** Offset of layer k's buffers in the buffer vector. */
  public int bufferOffset(int k) { return units.get(k).bufferOffset; }

  /** A buffer vector with every node's initial values (running mean 0, running variance 1, ...). */
  public double[] initialBuffers() {
    double[] b = new double[bufferCount];
    for (Node n : nodes) n.op.initBuffers(b, n.bufferOffset);
    return b;
  }

  /** State-dict names, offsets and shapes of the buffers ("k.running_mean", ...), in buffer order. */
  public Map<String, ParamTensor> bufferTensors() {
    Map<String, ParamTensor> out = new LinkedHashMap<>();
    for (Unit u : units) {
      for (ParamTensor t : u.layer.bufferTensors()) {
        String name = u.name + "." + t.name;
        out.put(name, new ParamTensor(name, u.bufferOffset + t.offset, t.shape));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Width of layer activation k: 0 is the input, k+1 the output of layer k. */
  public int width(int k) {
    return actWidth[activation(k)];
  }

  /** Whether some node couples the samples of a batch (batch norm outside eval mode). */
  public boolean batchCoupled() {
    for (Node n : nodes) if (n.op.batchCoupled()) return true;
    return false;
  }

  /** Indices of the layers that have parameters. */
  public List<Integer> parametrisedLayers() {
    List<Integer> out = new ArrayList<>();
    for (int k = 0; k < units.size(); k++) if (units.get(k).layer.paramCount() > 0) out.add(k);
    return out;
  }

  /** Parses a layer reference by its name (a layer list's index, "0", "2"; a graph's node name); it must have parameters. */
  public int layerIndex(String name) {
    String key = name.trim();
    for (int k : parametrisedLayers()) if (units.get(k).name.equals(key)) return k;
    List<String> known = new ArrayList<>();
    for (int k : parametrisedLayers()) known.add(units.get(k).name);
    boolean known0 = false;
    for (Unit u : units) known0 |= u.name.equals(key);
    throw new IllegalArgumentException("unknown layer '" + name + "', expected one of " + known
        + (known0 ? " (the names of layers with parameters)" : ""));
  }

  /** State-dict names in parameter order, with their shapes and flat offsets. */
  public Map<String, ParamTensor> tensors() {
    Map<String, ParamTensor> out = new LinkedHashMap<>();
    for (Unit u : units) {
      for (ParamTensor t : u.layer.paramTensors()) {
        String name = u.name + "." + t.name;
        out.put(name, new ParamTensor(name, u.paramOffset + t.offset, t.shape));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  public Workspace newWorkspace(int maxBatch) {
    return new Workspace(this, maxBatch);
  }

  /** Runs every node on {@code ws.input()} (rows 0..batch), keeping every activation in the workspace. */
  public void forward(double[] theta, Workspace ws, int batch) {
    ws.checkBatch(batch);
    for (Node n : nodes) n.op.forward(theta, n.paramOffset, ws.inputs[n.index], ws.acts[n.output()], batch, ws.contexts[n.index]);
  }

  /**
   * Forward, loss and backward for one batch whose inputs are in {@code ws.input()}: returns
   * {@code scale · Σ_n ℓ_n} and adds {@code scale · Σ_n ∇_θ ℓ_n} to grad (grad may be null for the loss only).
   * Afterwards {@code ws.grad(k)} holds the gradient signal with respect to activation k (k ≥ 1).
   */
  public double lossAndGradient(double[] theta, Workspace ws, double[] y, int batch, double scale, double[] grad) {
    forward(theta, ws, batch);
    double value = scale * loss.sum(ws.acts[outputAct], y, batch, outputSize());
    if (grad == null) return value;
    backward(theta, ws, y, batch, scale, grad);
    return value;
  }

  /**
   * Forward, loss and the gradient signals only: like {@link #lossAndGradient} but no parameter gradient is
   * formed (the curvature engine needs the signals, not ∇_θ), which saves the weight-gradient products.
   * Returns {@code scale · Σ_n ℓ_n}.
   */
  public double lossAndSignals(double[] theta, Workspace ws, double[] y, int batch, double scale) {
    forward(theta, ws, batch);
    double value = scale * loss.sum(ws.acts[outputAct], y, batch, outputSize());
    backward(theta, ws, y, batch, scale, null);
    return value;
  }

  /** The loss gradient at the output, then every node's VJP through the executor (fan-out sums the signals). */
  private void backward(double[] theta, Workspace ws, double[] y, int batch, double scale, double[] grad) {
    loss.gradient(ws.acts[outputAct], y, batch, outputSize(), scale, ws.grads[outputAct]);
    ws.executor.backward(ws.grads, outputAct, nodes.size() - 1, 0, -1, batch, (j, gIns) -> {
      Node n = nodes.get(j);
      if (grad == null && Executor.allNull(gIns)) return;  // nothing wanted from this node
      n.op.backward(theta, n.paramOffset, ws.inputs[j], ws.acts[n.output()], ws.grads[n.output()], gIns, grad, batch,
          ws.contexts[j]);
    });
  }

  /** Builds a sequential network layer by layer, tracking widths. */
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
        if (d <= 0) throw new IllegalArgumentException("input_shape: dimensions must be > 0, got " + Arrays.toString(s));
        n *= d;
      }
      if (n != inputSize || !layers.isEmpty()) {
        throw new IllegalArgumentException("input_shape " + Arrays.toString(s) + " has " + n
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
