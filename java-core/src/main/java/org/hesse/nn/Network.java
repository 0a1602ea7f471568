package org.hesse.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;
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
 *
 * <p><b>Shared (tied) tensors.</b> A node may use an earlier layer's tensor instead of its own
 * ({@link Graph#add(String, Layer, Map, int...)}, PyTorch's {@code dec.weight = enc.weight}). The nodes still read
 * their parameters from one contiguous <em>slot</em> range each ({@link Node#paramOffset}, {@link #slotCount()}),
 * but everything outside a forward or tangent pass sees the <em>unique</em> parameters θ ({@link #paramCount()},
 * PyTorch's {@code parameters()} order: every tensor once, at its first owner): the slots are θ expanded by a copy
 * map E ({@link #expand}), and a slot gradient or product comes back as Eᵀ, summed over the uses
 * ({@link #reduceAdd}). So the gradient is Eᵀg, the Hessian EᵀHE with the cross terms between the uses, and a
 * layer's block ({@link #offset}, {@link #blockSize}) holds the unique tensors it owns: a tensor used by two layers
 * belongs to the block of the first.
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
  private final int slotCount;
  private final int[] slotParam;  // per slot its unique parameter; null when nothing is shared (the identity)
  private final int[] blockOffset;  // per layer the offset of its block in θ
  private final Map<String, String> tiedTo;  // the state-dict name of a tensor used again -> its owner's name
  private final Map<String, Map<String, String>> shares;  // per node name: local tensor name -> owner's name
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
    this.slotCount = g.params;
    this.bufferCount = g.buffers;
    // unique parameters: every slot that copies no earlier one, numbered in slot order, so a layer's block is
    // contiguous; a copying slot maps to its source's number
    this.tiedTo = Collections.unmodifiableMap(new LinkedHashMap<>(g.tiedTo));
    this.shares = Collections.unmodifiableMap(new LinkedHashMap<>(g.shares));
    this.blockOffset = new int[units.size()];
    if (g.copies.isEmpty()) {
      this.slotParam = null;
      this.paramCount = slotCount;
      for (int k = 0; k < units.size(); k++) blockOffset[k] = units.get(k).paramOffset;
    } else {
      int[] source = new int[slotCount];  // the earlier slot a slot copies, or −1
      Arrays.fill(source, -1);
      for (int[] c : g.copies) for (int i = 0; i < c[2]; i++) source[c[0] + i] = c[1] + i;
      int[] map = new int[slotCount];
      int u = 0;
      int k = 0;
      for (int s = 0; s < slotCount; s++) {
        while (k < units.size() && units.get(k).paramOffset <= s) blockOffset[k++] = u;
        map[s] = source[s] < 0 ? u++ : map[source[s]];
      }
      for (; k < units.size(); k++) blockOffset[k] = u;
      this.slotParam = map;
      this.paramCount = u;
    }
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
    private final List<int[]> copies = new ArrayList<>();  // {first slot, first slot it copies, length} per shared tensor
    private final Map<String, ParamTensor> owned = new HashMap<>();  // state-dict name -> its slots (offset, shape)
    private final Map<String, String> tiedTo = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> shares = new LinkedHashMap<>();
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
      register(openName, openLayer, first.paramOffset, Map.of());
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
      return add(name, op, Map.of(), inputs);
    }

    /**
     * As {@link #add(String, Layer, int...)}, the node using earlier tensors instead of some of its own:
     * {@code share} maps a local tensor name of {@code op} ("weight") to the state-dict name of a tensor of an
     * earlier layer ("enc.weight") of the same shape. Only a node that is a layer of its own may share.
     */
    public int add(String name, Layer op, Map<String, String> share, int... inputs) {
      if (!share.isEmpty()) checkShare(name, op, share);
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
      if (openName == null) {
        units.add(new Unit(name, op, n.index, n.index, n.output(), n.paramOffset, n.bufferOffset));
        register(name, op, n.paramOffset, share);
      }
      return n.output();
    }

    private void checkShare(String name, Layer op, Map<String, String> share) {
      String where = "node '" + name + "' (" + op.type() + ")";
      if (openName != null) {
        throw new IllegalArgumentException(where + ": shares tensors inside layer " + openName
            + "; expected sharing only on a node that is a layer of its own");
      }
      List<String> local = new ArrayList<>();
      for (ParamTensor t : op.paramTensors()) local.add(t.name);
      for (Map.Entry<String, String> e : share.entrySet()) {
        ParamTensor mine = null;
        for (ParamTensor t : op.paramTensors()) if (t.name.equals(e.getKey())) mine = t;
        if (mine == null) {
          throw new IllegalArgumentException(where + ": shares '" + e.getKey() + "', which is no tensor of this op"
              + " (expected one of " + local + ")");
        }
        ParamTensor src = owned.get(tiedTo.getOrDefault(e.getValue(), e.getValue()));
        if (src == null) {
          String known = new java.util.TreeSet<>(owned.keySet()).toString();
          if (known.length() > 120) known = known.substring(0, 117) + "...";
          throw new IllegalArgumentException(where + ": shares '" + e.getKey() + "' with '" + e.getValue()
              + "', which names no parameter tensor of an earlier layer (expected one of " + known + ")");
        }
        if (!Arrays.equals(src.shape, mine.shape)) {
          throw new IllegalArgumentException(where + ": shares '" + e.getKey() + "' " + Arrays.toString(mine.shape)
              + " with '" + e.getValue() + "' of shape " + Arrays.toString(src.shape) + "; expected the same shape");
        }
      }
    }

    /** Records layer {@code name}'s tensors at slot {@code base}: owned ones by name, shared ones as copies. */
    private void register(String name, Layer op, int base, Map<String, String> share) {
      for (ParamTensor t : op.paramTensors()) {
        String full = name + "." + t.name;
        String target = share.get(t.name);
        if (target == null) {
          owned.put(full, new ParamTensor(full, base + t.offset, t.shape));
          continue;
        }
        String owner = tiedTo.getOrDefault(target, target);
        ParamTensor src = owned.get(owner);
        copies.add(new int[] {base + t.offset, src.offset, t.size()});
        tiedTo.put(full, owner);
      }
      if (!share.isEmpty()) shares.put(name, Map.copyOf(share));
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

  /** Number of unique parameters: the length of θ (see the class comment on shared tensors). */
  public int paramCount() { return paramCount; }

  /** Length of the slot vector the nodes read (a shared tensor once per use); {@link #paramCount()} without sharing. */
  public int slotCount() { return slotCount; }

  /** Whether some node uses another layer's tensor. */
  public boolean shared() { return slotParam != null; }

  /** Slot s's unique parameter (the expansion map E as an index). */
  public int slotParam(int s) { return slotParam == null ? s : slotParam[s]; }

  /** The nodes' slot vector from θ: {@code slots[sOff + s] = theta[tOff + slotParam(s)]}. */
  @Float32Twin
  public void expand(double[] theta, int tOff, double[] slots, int sOff) {
    if (slotParam == null) {
      System.arraycopy(theta, tOff, slots, sOff, slotCount);
      return;
    }
    for (int s = 0; s < slotCount; s++) slots[sOff + s] = theta[tOff + slotParam[s]];
  }

  /** Adds a slot vector (a gradient or product per use) to θ's layout: {@code theta[tOff + slotParam(s)] += slots[sOff + s]}. */
  @Float32Twin
  public void reduceAdd(double[] slots, int sOff, double[] theta, int tOff) {
    for (int s = 0; s < slotCount; s++) theta[tOff + slotParam(s)] += slots[sOff + s];
  }

  /** State-dict names of the tensors that are another's (a later use of a shared tensor) -> the owner's name. */
  public Map<String, String> tiedTensors() { return tiedTo; }

  /** Layer {@code layerName}'s shared tensors: its local tensor name -> the owner's state-dict name (empty if none). */
  public Map<String, String> shares(String layerName) { return shares.getOrDefault(layerName, Map.of()); }

  /**
   * Whether layer k's nodes and its block disagree: a node of layer k uses another layer's tensor, or another
   * layer's node uses one of layer k's. Structured shortcuts that read one layer's nodes only refuse such layers.
   */
  public boolean sharesTensors(int k) {
    if (slotParam == null) return false;
    int start = units.get(k).paramOffset;
    int end = k + 1 < units.size() ? units.get(k + 1).paramOffset : slotCount;
    int lo = blockOffset[k];
    int hi = lo + blockSize(k);
    for (int s = 0; s < slotCount; s++) {
      boolean mine = s >= start && s < end;
      boolean inBlock = slotParam[s] >= lo && slotParam[s] < hi;
      if (mine != inBlock) return true;
    }
    return false;
  }

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

  /** Offset of layer k's parameter block in θ. */
  public int offset(int k) { return blockOffset[k]; }

  /** Length of layer k's parameter block in θ: the tensors it owns (its layer's paramCount when nothing is shared). */
  public int blockSize(int k) {
    int end = k + 1 < units.size() ? blockOffset[k + 1] : paramCount;
    return end - blockOffset[k];
  }

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
    for (int k = 0; k < units.size(); k++) if (blockSize(k) > 0) out.add(k);
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

  /** State-dict names in θ's order, with their shapes and offsets in θ; a shared tensor once, by its owner's name. */
  public Map<String, ParamTensor> tensors() {
    Map<String, ParamTensor> out = new LinkedHashMap<>();
    for (Unit u : units) {
      for (ParamTensor t : u.layer.paramTensors()) {
        String name = u.name + "." + t.name;
        if (!tiedTo.containsKey(name)) out.put(name, new ParamTensor(name, slotParam(u.paramOffset + t.offset), t.shape));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  public Workspace newWorkspace(int maxBatch) {
    return new Workspace(this, maxBatch);
  }

  /** A float32 workspace (docs/precision.md) for the float32 twins of the passes below. */
  public Workspace32 newWorkspace32(int maxBatch) {
    return new Workspace32(this, maxBatch);
  }

  /**
   * Runs every node on {@code ws.input()} (rows 0..batch), keeping every activation in the workspace. This pass and
   * the two below have float32 twins on a {@link Workspace32} (θ, activations, signals and gradient in float; the
   * loss and the targets float64, docs/precision.md).
   */
  @Float32Twin
  public void forward(double[] theta, Workspace ws, int batch) {
    ws.checkBatch(batch);
    double[] slots = theta;
    if (slotParam != null) expand(theta, 0, slots = ws.slots(), 0);
    for (Node n : nodes) n.op.forward(slots, n.paramOffset, ws.inputs[n.index], ws.acts[n.output()], batch, ws.contexts[n.index]);
  }

  /**
   * Forward, loss and backward for one batch whose inputs are in {@code ws.input()}: returns
   * {@code scale · Σ_n ℓ_n} and adds {@code scale · Σ_n ∇_θ ℓ_n} to grad (grad may be null for the loss only).
   * Afterwards {@code ws.grad(k)} holds the gradient signal with respect to activation k (k ≥ 1).
   */
  @Float32Twin
  public double lossAndGradient(double[] theta, Workspace ws, @Float32Twin.Keep double[] y, int batch, double scale, double[] grad) {
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
  @Float32Twin
  public double lossAndSignals(double[] theta, Workspace ws, @Float32Twin.Keep double[] y, int batch, double scale) {
    forward(theta, ws, batch);
    double value = scale * loss.sum(ws.acts[outputAct], y, batch, outputSize());
    backward(theta, ws, y, batch, scale, null);
    return value;
  }

  /**
   * Adds the parameter gradient {@code scale · Σ_n ∇_θ ℓ_n} to grad from the signals and activations a
   * {@link #lossAndSignals} (θ, rows, scale) left in {@code ws}: the parameter part of {@link #lossAndGradient}'s
   * backward with the same calls on the same arrays, so the same numbers, without a second forward and signal pass.
   */
  @Float32Twin
  public void addParameterGradient(double[] theta, Workspace ws, int batch, double[] grad) {
    ws.checkBatch(batch);
    double[] slots = slotParam == null ? theta : ws.slots();  // as forward left them
    double[] g = grad;
    if (slotParam != null) Arrays.fill(g = ws.slotGradient(), 0);  // 0, not 0.0: also the float twin's
    for (int j = nodes.size() - 1; j >= 0; j--) {
      Node n = nodes.get(j);
      if (n.op.paramCount() == 0) continue;
      n.op.backward(slots, n.paramOffset, ws.inputs[j], ws.acts[n.output()], ws.grads[n.output()],
          new double[n.inputCount()][], g, batch, ws.contexts[j]);
    }
    if (slotParam != null) reduceAdd(g, 0, grad, 0);
  }

  /** The loss gradient at the output, then every node's VJP through the executor (fan-out sums the signals). */
  @Float32Twin
  private void backward(double[] theta, Workspace ws, @Float32Twin.Keep double[] y, int batch, double scale, double[] grad) {
    loss.gradient(ws.acts[outputAct], y, batch, outputSize(), scale, ws.grads[outputAct]);
    // with shared tensors the nodes read the slots forward left in the workspace and add to a slot gradient,
    // which comes back to θ's layout summed over the uses (Eᵀ)
    double[] slots = slotParam == null ? theta : ws.slots();
    double[] slotGrad = grad;
    if (grad != null && slotParam != null) {
      slotGrad = ws.slotGradient();
      Arrays.fill(slotGrad, 0.0);
    }
    double[] g = slotGrad;
    ws.executor.backward(ws.grads, outputAct, nodes.size() - 1, 0, -1, batch, (j, gIns) -> {
      Node n = nodes.get(j);
      if (g == null && Executor.allNull(gIns)) return;  // nothing wanted from this node
      n.op.backward(slots, n.paramOffset, ws.inputs[j], ws.acts[n.output()], ws.grads[n.output()], gIns, g, batch,
          ws.contexts[j]);
    });
    if (grad != null && slotParam != null) reduceAdd(slotGrad, 0, grad, 0);
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

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void expand(float[] theta, int tOff, float[] slots, int sOff) {
    if (slotParam == null) {
      System.arraycopy(theta, tOff, slots, sOff, slotCount);
      return;
    }
    for (int s = 0; s < slotCount; s++) slots[sOff + s] = (float) (theta[tOff + slotParam[s]]);
  }

  public void reduceAdd(float[] slots, int sOff, float[] theta, int tOff) {
    for (int s = 0; s < slotCount; s++) theta[tOff + slotParam(s)] += slots[sOff + s];
  }

  public void forward(float[] theta, Workspace32 ws, int batch) {
    ws.checkBatch(batch);
    float[] slots = theta;
    if (slotParam != null)
      expand(theta, 0, slots = ws.slots(), 0);
    for (Node n : nodes) n.op.forward(slots, n.paramOffset, ws.inputs[n.index], ws.acts[n.output()], batch, ws.contexts[n.index]);
  }

  public double lossAndGradient(float[] theta, Workspace32 ws, @Float32Twin.Keep double[] y, int batch, double scale, float[] grad) {
    forward(theta, ws, batch);
    double value = scale * loss.sum(ws.acts[outputAct], y, batch, outputSize());
    if (grad == null)
      return value;
    backward(theta, ws, y, batch, scale, grad);
    return value;
  }

  public double lossAndSignals(float[] theta, Workspace32 ws, @Float32Twin.Keep double[] y, int batch, double scale) {
    forward(theta, ws, batch);
    double value = scale * loss.sum(ws.acts[outputAct], y, batch, outputSize());
    backward(theta, ws, y, batch, scale, null);
    return value;
  }

  public void addParameterGradient(float[] theta, Workspace32 ws, int batch, float[] grad) {
    ws.checkBatch(batch);
    float[] slots = slotParam == null ? theta : ws.slots();
    float[] g = grad;
    if (slotParam != null)
      Arrays.fill(g = ws.slotGradient(), 0);
    for (int j = nodes.size() - 1; j >= 0; j--) {
      Node n = nodes.get(j);
      if (n.op.paramCount() == 0)
        continue;
      n.op.backward(slots, n.paramOffset, ws.inputs[j], ws.acts[n.output()], ws.grads[n.output()], new float[n.inputCount()][], g, batch, ws.contexts[j]);
    }
    if (slotParam != null)
      reduceAdd(g, 0, grad, 0);
  }

  private void backward(float[] theta, Workspace32 ws, @Float32Twin.Keep double[] y, int batch, double scale, float[] grad) {
    loss.gradient(ws.acts[outputAct], y, batch, outputSize(), scale, ws.grads[outputAct]);
    float[] slots = slotParam == null ? theta : ws.slots();
    float[] slotGrad = grad;
    if (grad != null && slotParam != null) {
      slotGrad = ws.slotGradient();
      Arrays.fill(slotGrad, 0.0f);
    }
    float[] g = slotGrad;
    ws.executor.backward(ws.grads, outputAct, nodes.size() - 1, 0, -1, batch, (j, gIns) -> {
      Node n = nodes.get(j);
      if (g == null && Executor32.allNull(gIns))
        return;
      n.op.backward(slots, n.paramOffset, ws.inputs[j], ws.acts[n.output()], ws.grads[n.output()], gIns, g, batch, ws.contexts[j]);
    });
    if (grad != null && slotParam != null)
      reduceAdd(slotGrad, 0, grad, 0);
  }
  // ---- end of generated float32 twins ----
}
