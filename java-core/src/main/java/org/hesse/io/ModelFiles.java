package org.hesse.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerType;
import org.hesse.nn.LayerTypes;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;

/**
 * The bridge between the interchange formats and {@link Network}: a model description builds a network,
 * a safetensors file fills its flat parameter vector (every tensor named and shaped as a PyTorch
 * {@code nn.Sequential}'s state dict), and both are written back the same way.
 */
public final class ModelFiles {
  private ModelFiles() {}

  private static String knownTypes() {
    return LayerTypes.names(false).toString();
  }

  private static String knownNodeTypes() {
    return LayerTypes.names(true).toString();
  }

  static int flat(int[] shape) {
    return org.hesse.nn.Sizes.product(shape, "input shape " + java.util.Arrays.toString(shape));
  }

  /** Deepest nesting of layer lists (residual blocks inside residual blocks) a description may have. */
  public static final int MAX_LAYER_NESTING = 32;

  /**
   * Builds the network a description describes; the error ({@link InputException}) names the layer index and
   * type. Sizes are checked before anything is allocated: every tensor and activation must fit one Java array and
   * the parameter vector the memory budget.
   */
  public static Network network(ModelSpec spec) {
    return network(spec, "model");
  }

  /** Reads a description and builds its network; every error names the file. */
  public static Network readNetwork(Path file) throws IOException {
    return network(ModelSpec.read(file), "model description " + file);
  }

  /** {@link #network(ModelSpec)}, errors prefixed with {@code source} (e.g. "model description m.json"). */
  public static Network network(ModelSpec spec, String source) {
    if (spec.graph()) {
      try {
        return graphNetwork(spec);
      } catch (IllegalArgumentException e) {
        throw new InputException(source + ": " + message(e), e);
      }
    }
    try {
      Network.Builder b = Network.builder(spec.input());
      Object inputShape = spec.extra().get("input_shape");
      if (inputShape != null) b.inputShape(intList(inputShape, "input_shape"));
      for (Layer l : buildLayers(spec.layers(), b.shape(), "", 0)) b.add(l);
      return b.build(spec.loss());
    } catch (IllegalArgumentException e) {
      throw new InputException(source + ": " + message(e), e);
    }
  }

  /**
   * A graph description: nodes in topological order, each reading 'input' or earlier nodes by name (default: the
   * previous node), named by their index when unnamed; the loss reads "output" (default: the last node). Every
   * refusal names the node: duplicate name, an input naming a later node (a cycle or forward reference) or no
   * node, an unknown op, shapes that do not fit.
   */
  static Network graphNetwork(ModelSpec spec) {
    int[] inputShape = spec.extra().containsKey("input_shape") ? intList(spec.extra().get("input_shape"), "input_shape")
        : new int[] {spec.input()};
    if (flat(inputShape) != spec.input()) {
      throw new InputException("input_shape " + java.util.Arrays.toString(inputShape) + " has " + flat(inputShape)
          + " elements, expected input = " + spec.input());
    }
    List<LayerSpec> nodes = spec.entries();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      Object n = nodes.get(i).extra().get("name");
      if (n != null && !(n instanceof String)) throw new InputException("node " + i + ": 'name' must be a string, got " + InputException.excerpt(n));
      names.add(n == null ? Integer.toString(i) : (String) n);
    }
    Object outputName = spec.extra().get("output");
    return new Network(inputShape, org.hesse.nn.Loss.byName(spec.loss()), g -> {
      Map<String, Integer> acts = new java.util.HashMap<>();
      acts.put("input", 0);
      int last = 0;
      for (int i = 0; i < nodes.size(); i++) {
        LayerSpec l = nodes.get(i);
        String name = names.get(i);
        String where = "node '" + InputException.excerpt(name) + "' (" + InputException.excerpt(l.type()) + ")";
        if (acts.containsKey(name)) throw new InputException(where + ": duplicate name (expected unique node names, and not 'input')");
        Object inputsField = l.extra().get("inputs");
        List<String> inputs = new ArrayList<>();
        if (inputsField == null) {
          inputs.add(i == 0 ? "input" : names.get(i - 1));
        } else if (inputsField instanceof List<?> list && !list.isEmpty()) {
          for (Object o : list) {
            if (!(o instanceof String s)) throw new InputException(where + ": 'inputs' must list node names, got " + InputException.excerpt(inputsField));
            inputs.add(s);
          }
        } else {
          throw new InputException(where + ": 'inputs' must be a non-empty list of node names, got " + InputException.excerpt(inputsField));
        }
        int[] ins = new int[inputs.size()];
        List<int[]> shapes = new ArrayList<>();
        for (int j = 0; j < ins.length; j++) {
          Integer a = acts.get(inputs.get(j));
          if (a == null) {
            boolean later = names.subList(i, names.size()).contains(inputs.get(j));
            throw new InputException(where + ": input '" + InputException.excerpt(inputs.get(j)) + "' "
                + (later ? "is this node or a later one (a cycle or forward reference; expected nodes in topological order)"
                    : "names no node (expected 'input' or an earlier node's name)"));
          }
          ins[j] = a;
          shapes.add(g.shape(a));
        }
        Layer op;
        try {
          op = buildNode(l, shapes, where);
        } catch (IllegalArgumentException e) {
          String m = message(e);
          throw new InputException(m.startsWith(where) ? m : where + ": " + m, e);
        }
        Map<String, String> share = share(l.extra().get("share"), where);
        try {
          if (op.composite() != null) {
            if (ins.length != 1) throw new InputException(where + ": expects 1 input, got " + ins.length);
            if (!share.isEmpty()) throw new InputException(where + ": 'share' on a composite op; expected it on a primitive node");
            g.beginLayer(name, op);
            last = op.composite().expand(g, ins[0], name);
            g.endLayer();
          } else {
            last = g.add(name, op, share, ins);
          }
        } catch (IllegalArgumentException e) {
          String m = message(e);
          throw new InputException(m.startsWith("node '") ? m : where + ": " + m, e);
        }
        acts.put(name, last);
      }
      if (outputName == null) return last;
      Integer out = outputName instanceof String s ? acts.get(s) : null;
      if (out == null || out == 0) {
        throw new InputException("output: expected the name of a node, got " + InputException.excerpt(outputName));
      }
      return out;
    });
  }

  /** A node's {@code "share": {"weight": "enc.weight"}}: its local tensor name -> an earlier layer's tensor. */
  private static Map<String, String> share(Object field, String where) {
    if (field == null) return Map.of();
    Map<String, String> out = new LinkedHashMap<>();
    if (field instanceof Map<?, ?> m && !m.isEmpty()) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getValue() instanceof String target)) break;
        out.put((String) e.getKey(), target);
      }
      if (out.size() == m.size()) return out;
    }
    throw new InputException(where + ": 'share' must map this node's tensor names to earlier tensors' state-dict names"
        + " (e.g. {\"weight\": \"enc.weight\"}), got " + InputException.excerpt(field));
  }

  private static Layer buildNode(LayerSpec l, List<int[]> shapes, String where) {
    LayerType type = LayerTypes.byName(l.type());
    if (type == null) throw new InputException(where + ": unknown op, expected one of " + knownNodeTypes());
    Layer built = type.buildNode(l, shapes, (specsIn, s) -> buildLayers(specsIn, s, "", 1));
    flat(built.outputShape());
    return built;
  }

  /** Builds a list of layers for an input shape; nested lists name their layers "outer.inner". */
  static List<Layer> buildLayers(List<LayerSpec> specs, int[] inShape, String prefix, int depth) {
    if (depth > MAX_LAYER_NESTING) {
      throw new InputException("layer " + prefix.substring(0, prefix.length() - 1) + ": layer lists nested deeper than "
          + MAX_LAYER_NESTING + " levels; expected at most " + MAX_LAYER_NESTING);
    }
    List<Layer> out = new ArrayList<>();
    int[] shape = inShape;
    for (int k = 0; k < specs.size(); k++) {
      LayerSpec l = specs.get(k);
      String where = "layer " + prefix + k + " (" + InputException.excerpt(l.type()) + ")";
      LayerType builder = LayerTypes.byName(l.type());
      if (builder == null || !builder.inLayerLists()) {
        throw new InputException(where + ": unknown layer type, expected one of " + knownTypes());
      }
      Layer built;
      try {
        String p = prefix + k + ".";
        built = builder.build(l, shape, (specsIn, s) -> buildLayers(specsIn, s, p, depth + 1));
        flat(built.outputShape()); // a layer's output must fit one array too
      } catch (IllegalArgumentException e) {
        String m = message(e);
        throw new InputException(m.startsWith("layer ") ? m : where + ": " + m, e);
      }
      out.add(built);
      shape = built.outputShape();
    }
    return out;
  }

  private static String message(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static int[] intList(Object v, String field) {
    return LayerSpec.intList(v, field);
  }

  /** The description of a network (inverse of {@link #network}). */
  public static ModelSpec spec(Network net) {
    List<LayerSpec> layers = new ArrayList<>();
    Map<String, Object> extra = new LinkedHashMap<>();
    int[] shape = net.inputShape();
    if (shape.length > 1) extra.put("input_shape", java.util.Arrays.stream(shape).boxed().toList());
    if (net.layerList()) {
      for (Layer l : net.layers()) layers.add(toSpec(l.describe()));
      return new ModelSpec(net.inputSize(), net.loss().name(), layers, extra);
    }
    // a graph: every node with its name and inputs by name
    Map<Integer, String> byActivation = new java.util.HashMap<>();
    byActivation.put(0, "input");
    for (int k = 0; k < net.depth(); k++) {
      Map<String, Object> d = new LinkedHashMap<>(net.layer(k).describe());
      d.put("name", net.layerName(k));
      org.hesse.nn.Node first = net.node(net.firstNode(k));
      List<String> inputs = new ArrayList<>();
      for (int a : (net.layer(k).composite() != null ? new int[] {first.input(0)} : first.inputs())) inputs.add(byActivation.get(a));
      d.put("inputs", inputs);
      if (!net.shares(net.layerName(k)).isEmpty()) d.put("share", new java.util.TreeMap<>(net.shares(net.layerName(k))));
      layers.add(toSpec(d));
      byActivation.put(net.activation(k + 1), net.layerName(k));
    }
    if (net.outputActivation() != net.activation(net.depth())) extra.put("output", byActivation.get(net.outputActivation()));
    return new ModelSpec(net.inputSize(), net.loss().name(), layers, extra, true);
  }

  @SuppressWarnings("unchecked")
  static LayerSpec toSpec(Map<String, Object> d) {
    Map<String, Object> extra = new LinkedHashMap<>(d);
    String type = (String) extra.remove("type");
    Object out = extra.remove("out");
    return new LayerSpec(type, (Integer) out, extra);
  }

  /**
   * The flat parameter vector from named tensors: every tensor of the network must be present with its shape, and
   * every tensor present must be one of the network's parameters or buffers (as PyTorch's strict
   * {@code load_state_dict}: an unexpected name means the file belongs to another model). A shared tensor may
   * come under any of its names (PyTorch's state dict lists every use, safetensors' {@code save_model} keeps one of
   * them); names present for the same tensor must hold equal values.
   */
  public static double[] parameters(Network net, Map<String, Tensor> tensors) {
    Map<String, ParamTensor> params = net.tensors(), buffers = net.bufferTensors();
    Map<String, Tensor> byOwner = new LinkedHashMap<>(tensors);
    for (Map.Entry<String, String> tie : net.tiedTensors().entrySet()) {
      Tensor use = byOwner.remove(tie.getKey());
      if (use == null) continue;
      Tensor have = byOwner.get(tie.getValue());
      if (have != null && (!java.util.Arrays.equals(have.shape(), use.shape()) || !java.util.Arrays.equals(have.data(), use.data()))) {
        throw new InputException("tensor '" + tie.getKey() + "': tied to '" + tie.getValue() + "' by the model description"
            + " but holds other values; expected the same tensor under both names");
      }
      byOwner.put(tie.getValue(), use);
    }
    tensors = byOwner;
    for (String name : tensors.keySet()) {
      if (!params.containsKey(name) && !buffers.containsKey(name)) {
        String known = String.join(", ", params.keySet());
        if (known.length() > 120) known = known.substring(0, 117) + "...";
        throw new InputException("unexpected tensor '" + name + "': the model has no such parameter or buffer"
            + " (expected the state-dict names of this model: " + known + ")");
      }
    }
    double[] theta = new double[net.paramCount()];
    for (ParamTensor t : params.values()) {
      long[] shape = new long[t.shape.length];
      for (int i = 0; i < shape.length; i++) shape[i] = t.shape[i];
      Tensor found = Safetensors.requireShape(tensors, t.name, shape);
      requireFinite(found);
      System.arraycopy(found.data(), 0, theta, t.offset, t.size());
    }
    return theta;
  }

  /** Weights must be numbers: a NaN or infinity would make every result NaN (or silently empty). */
  private static void requireFinite(Tensor t) {
    double[] d = t.data();
    for (int i = 0; i < d.length; i++) {
      if (!Double.isFinite(d[i])) {
        throw new InputException("tensor '" + t.name() + "': element " + i + " (flat, row-major) is " + d[i]
            + "; expected finite weights");
      }
    }
  }

  /** The parameters in a safetensors file; a missing, misshapen or non-finite tensor is refused naming the file. */
  public static double[] readParameters(Network net, Path file) throws IOException {
    Map<String, Tensor> tensors = Safetensors.read(file);
    try {
      return parameters(net, tensors);
    } catch (IllegalArgumentException e) {
      throw new InputException("weights " + file + ": " + message(e), e);
    }
  }

  /**
   * The buffer vector (BN running statistics, ...) from named tensors: each buffer present in {@code tensors}
   * ("k.running_mean", "k.running_var", "k.num_batches_tracked") must have its shape and is taken from there;
   * absent ones keep their initial values ({@link Network#initialBuffers()}). Any dtype is accepted (PyTorch
   * writes num_batches_tracked as I64). Empty for networks without buffers.
   */
  public static double[] buffers(Network net, Map<String, Tensor> tensors) {
    double[] b = net.initialBuffers();
    for (ParamTensor t : net.bufferTensors().values()) {
      if (!tensors.containsKey(t.name)) continue;
      long[] shape = new long[t.shape.length];
      for (int i = 0; i < shape.length; i++) shape[i] = t.shape[i];
      Tensor found = Safetensors.requireShape(tensors, t.name, shape);
      requireFinite(found);
      System.arraycopy(found.data(), 0, b, t.offset, t.size());
    }
    return b;
  }

  /** The buffers stored in a safetensors file, defaults for those absent (see {@link #buffers(Network, Map)}). */
  public static double[] readBuffers(Network net, Path file) throws IOException {
    Map<String, Tensor> tensors = Safetensors.read(file);
    try {
      return buffers(net, tensors);
    } catch (IllegalArgumentException e) {
      throw new InputException("weights " + file + ": " + message(e), e);
    }
  }

  /**
   * The parameters and buffers of a safetensors file from one read ({@link #readParameters} then {@link #readBuffers},
   * refused alike), and the dtypes its parameter tensors are stored in (e.g. [F32]).
   */
  public record Weights(double[] parameters, double[] buffers, java.util.Set<String> parameterDtypes) {}

  /** {@link Weights} of {@code file} for {@code net}. */
  public static Weights readWeights(Network net, Path file) throws IOException {
    Map<String, Tensor> tensors = Safetensors.read(file);
    try {
      double[] theta = parameters(net, tensors);
      double[] buffers = buffers(net, tensors);
      java.util.Set<String> dtypes = new java.util.TreeSet<>();
      Map<String, ParamTensor> named = net.tensors();
      for (Tensor t : tensors.values()) if (named.containsKey(t.name())) dtypes.add(t.dtype());
      return new Weights(theta, buffers, java.util.Collections.unmodifiableSet(dtypes));
    } catch (IllegalArgumentException e) {
      throw new InputException("weights " + file + ": " + message(e), e);
    }
  }

  /** Named F64 tensors of a flat parameter vector, in state-dict order. */
  public static Map<String, Tensor> tensors(Network net, double[] theta) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (ParamTensor t : net.tensors().values()) {
      long[] shape = new long[t.shape.length];
      for (int i = 0; i < shape.length; i++) shape[i] = t.shape[i];
      double[] data = new double[t.size()];
      System.arraycopy(theta, t.offset, data, 0, data.length);
      out.put(t.name, Tensor.f64(t.name, shape, data));
    }
    return out;
  }

  /**
   * Parameters then buffers as named tensors, per layer in state-dict order (layer k's parameters, then its
   * buffers, as PyTorch's {@code state_dict()}): parameters and float buffers F64, {@code num_batches_tracked}
   * I64 as PyTorch has it.
   */
  public static Map<String, Tensor> tensors(Network net, double[] theta, double[] buffers) {
    if (buffers == null || buffers.length != net.bufferCount()) {
      throw new IllegalArgumentException("buffers: expected " + net.bufferCount() + " values, got "
          + (buffers == null ? "null" : buffers.length));
    }
    Map<String, Tensor> params = tensors(net, theta);
    Map<String, Tensor> out = new LinkedHashMap<>();
    Map<String, ParamTensor> bufs = net.bufferTensors();
    for (int k = 0; k < net.depth(); k++) {
      for (org.hesse.nn.ParamTensor p : net.layer(k).paramTensors()) {
        String name = net.layerName(k) + "." + p.name;
        if (params.containsKey(name)) out.put(name, params.get(name));  // a shared tensor under its owner's name only
      }
      for (org.hesse.nn.ParamTensor p : net.layer(k).bufferTensors()) {
        ParamTensor t = bufs.get(net.layerName(k) + "." + p.name);
        long[] shape = new long[t.shape.length];
        for (int i = 0; i < shape.length; i++) shape[i] = t.shape[i];
        double[] data = new double[t.size()];
        System.arraycopy(buffers, t.offset, data, 0, data.length);
        // PyTorch keeps the batch counter as int64, also inside nested blocks ("block.j.num_batches_tracked")
        String dtype = p.name.equals("num_batches_tracked") || p.name.endsWith(".num_batches_tracked") ? "I64" : "F64";
        out.put(t.name, new Tensor(t.name, dtype, shape, data));
      }
    }
    return out;
  }

  /**
   * Writes the weights as F64 safetensors (atomically); a network with buffers gets its initial buffers
   * ({@link Network#initialBuffers()}) so that the file loads into PyTorch strictly: pass the trained ones with
   * {@link #writeParameters(Network, double[], double[], Path)}.
   */
  public static void writeParameters(Network net, double[] theta, Path file) throws IOException {
    if (net.bufferCount() > 0) {
      writeParameters(net, theta, net.initialBuffers(), file);
    } else {
      Safetensors.write(file, tensors(net, theta).values());
    }
  }

  /** Writes the weights and the buffers (num_batches_tracked as I64) atomically, in state-dict order. */
  public static void writeParameters(Network net, double[] theta, double[] buffers, Path file) throws IOException {
    Safetensors.write(file, tensors(net, theta, buffers).values());
  }
}
