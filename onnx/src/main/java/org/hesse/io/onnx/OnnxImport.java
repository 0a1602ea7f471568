package org.hesse.io.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.hesse.io.InputException;
import org.hesse.io.LayerSpec;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.io.Tensor;
import org.hesse.io.onnx.proto.Onnx;
import org.hesse.nn.Network;

/**
 * ONNX import: an ONNX model (as {@code torch.onnx.export} writes it, opset 13 and up) becomes a graph model
 * description ({@code "nodes"}) plus named tensors, which load through {@link ModelFiles} like model.json +
 * model.safetensors. Each ONNX node that owns initializers becomes a layer named as its initializers are (PyTorch
 * exports: the state-dict names, {@code 0.weight} -> node {@code 0}); the loss is not part of ONNX and is given by
 * the caller. Every refusal is one line naming the file ({@link InputException}); nothing is written by reading.
 */
public final class OnnxImport {
  private OnnxImport() {}

  /** Largest ONNX file read (protobuf's own message limit). */
  public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  /** The ops read, each alone or inside one of the patterns (dense from MatMul+Add, GELU's Erf form, LayerNorm's decomposed form). */
  public static final Set<String> SUPPORTED_OPS = Set.of("Gemm", "MatMul", "Conv", "BatchNormalization",
      "LayerNormalization", "Relu", "LeakyRelu", "Elu", "Tanh", "Sigmoid", "Softplus", "Gelu", "Softmax", "MaxPool",
      "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Concat", "Add", "Mul", "Identity",
      "Dropout", "Constant", "Pad", "Div", "Erf", "Sub", "Pow", "Sqrt", "ReduceMean", "LogSoftmax", "Shape", "Gather",
      "Unsqueeze", "Squeeze", "Slice", "Cast", "ConstantOfShape");

  /** Inputs each op takes (ONNX's operator schemas, opset 13 and up): at least, at most. */
  static final Map<String, int[]> ARITY = new HashMap<>();

  static {
    for (String unary : List.of("Relu", "LeakyRelu", "Elu", "Tanh", "Sigmoid", "Softplus", "Gelu", "Softmax", "MaxPool",
        "AveragePool", "GlobalAveragePool", "Flatten", "Transpose", "Identity", "Erf", "Sqrt", "LogSoftmax", "Shape", "Cast",
        "ConstantOfShape")) {
      ARITY.put(unary, new int[] {1, 1});
    }
    for (String binary : List.of("Add", "Mul", "Sub", "Div", "Pow", "MatMul", "Reshape", "Gather")) ARITY.put(binary, new int[] {2, 2});
    ARITY.put("Unsqueeze", new int[] {1, 2});
    ARITY.put("Squeeze", new int[] {1, 2});
    ARITY.put("Slice", new int[] {3, 5});
    ARITY.put("Constant", new int[] {0, 0});
    ARITY.put("Gemm", new int[] {2, 3});
    ARITY.put("Conv", new int[] {2, 3});
    ARITY.put("BatchNormalization", new int[] {5, 5});
    ARITY.put("LayerNormalization", new int[] {2, 3});
    ARITY.put("Dropout", new int[] {1, 3});
    ARITY.put("Pad", new int[] {2, 4});
    ARITY.put("ReduceMean", new int[] {1, 2});
    ARITY.put("Concat", new int[] {1, Integer.MAX_VALUE});
  }

  /**
   * An imported model: its description (a graph), its tensors (state-dict names), the file it came from, and notes
   * for the user (lines for stderr: what the import changed, such as a dropped trailing LogSoftmax).
   */
  public record Imported(ModelSpec spec, Map<String, Tensor> tensors, String source, List<String> notes) {
    /** The network (one loader: {@link ModelFiles#network(ModelSpec, String)}). */
    public Network network() {
      return ModelFiles.network(spec, source);
    }

    /** The flat parameter vector of {@code net} (built by {@link #network()}). */
    public double[] parameters(Network net) {
      try {
        return ModelFiles.parameters(net, tensors);
      } catch (IllegalArgumentException e) {
        throw new InputException(source + ": " + e.getMessage(), e);
      }
    }

    /** The buffers (batch norm's running statistics) of {@code net}. */
    public double[] buffers(Network net) {
      try {
        return ModelFiles.buffers(net, tensors);
      } catch (IllegalArgumentException e) {
        throw new InputException(source + ": " + e.getMessage(), e);
      }
    }

    /** Writes {@code dir/model.json} and {@code dir/model.safetensors} (each atomically), after every check passed. */
    public void write(Path dir) throws IOException {
      Network net = network();
      double[] theta = parameters(net), buffers = buffers(net);
      Files.createDirectories(dir);
      ModelFiles.writeParameters(net, theta, buffers, dir.resolve("model.safetensors"));
      spec.write(dir.resolve("model.json"));
    }
  }

  /** Reads an ONNX file; external-data tensors are read from its folder. */
  public static Imported read(Path file, String loss) throws IOException {
    String source = "ONNX model " + file;
    long size;
    try {
      size = Files.size(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException(source + ": no such file", e);
    }
    if (size > MAX_FILE_BYTES) throw new InputException(source + ": " + size + " bytes; expected at most " + MAX_FILE_BYTES);
    return decode(Files.readAllBytes(file), file.toAbsolutePath().getParent(), loss, source);
  }

  /** Decodes ONNX bytes; {@code dir} holds external data (null: none allowed); errors start with {@code source}. */
  public static Imported decode(byte[] bytes, Path dir, String loss, String source) {
    if (loss == null || !ModelSpec.LOSSES.contains(loss)) {
      throw new InputException(source + ": loss '" + loss + "'; expected one of cross_entropy, mse (ONNX holds no loss)");
    }
    Onnx.Model model;
    try {
      model = Onnx.Model.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new InputException(source + ": not a readable ONNX model (protobuf: " + oneLine(e.getMessage()) + ")", e);
    }
    try {
      return new Translator(model, dir, loss, source).run();
    } catch (IllegalArgumentException e) {
      String m = oneLine(e.getMessage());
      throw new InputException(m.startsWith(source) ? m : source + ": " + m, e);
    }
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }

  /** The tensor an initializer became (state-dict name), and whether it was read transposed (a folded Wᵀ). */
  private record Read(String tensor, boolean transposed) {}

  /** One ONNX graph translated to graph nodes; patterns absorb the ONNX nodes they consist of. */
  private static final class Translator {
    final Onnx.Graph graph;
    final Path dir;
    final String loss, source;
    final Map<String, Onnx.Tensor> initializers = new HashMap<>();
    final Map<String, double[]> constants = new HashMap<>();
    final Map<String, long[]> constantShapes = new HashMap<>();
    final Map<String, List<Onnx.Node>> consumers = new HashMap<>();
    final Map<String, String> nodeOf = new HashMap<>(); // ONNX value -> node name (or "input")
    final Map<String, String> transposedWeight = new HashMap<>(); // value = Transpose(initializer)
    /** Initializer -> the tensor it became (state-dict name) and whether it was read transposed: later readers share it. */
    final Map<String, Read> readBy = new HashMap<>();
    /** Value = Identity(initializer): the same tensor under another name. */
    final Map<String, String> initializerCopy = new HashMap<>();
    final Set<Onnx.Node> absorbed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    final List<LayerSpec> nodes = new ArrayList<>();
    final Set<String> names = new HashSet<>();
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    int[] inputShape;
    /** The graph input's declared batch size, or null when it is symbolic (dynamic_axes). */
    Long declaredBatch;
    ShapeArithmetic shapes;
    final List<String> notes = new ArrayList<>();
    /** nn.MultiheadAttention's nodes (its module scope in the node names) -> the prefix of its initializers. */
    final Map<Onnx.Node, String> scopeOf = new java.util.IdentityHashMap<>();

    Translator(Onnx.Model model, Path dir, String loss, String source) {
      if (!model.hasGraph()) throw new InputException(source + ": no graph (expected an ONNX ModelProto with a graph)");
      this.graph = model.getGraph();
      this.dir = dir;
      this.loss = loss;
      this.source = source;
    }

    Imported run() {
      attentionScopes();
      unsupportedOps();
      for (Onnx.Tensor t : graph.getInitializerList()) {
        if (t.getName().isEmpty()) throw new InputException("an initializer has no name");
        if (initializers.put(t.getName(), t) != null) throw new InputException("initializer '" + excerpt(t.getName()) + "' appears twice");
        OnnxTensors.shape(t, "initializer '" + excerpt(t.getName()) + "'");
      }
      String input = graphInput();
      checkOrder(input);
      nodeOf.put(input, "input");
      names.add("input");
      for (Onnx.Node n : graph.getNodeList()) {
        for (String v : n.getInputList()) consumers.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
      }
      // constants first: a pattern may read one listed after its first node (GELU's 1 and 0.5)
      for (Onnx.Node n : graph.getNodeList()) if (n.getOpType().equals("Constant") && !scopeOf.containsKey(n)) constant(n);
      shapes = new ShapeArithmetic(graph.getNodeList().stream().filter(n -> !scopeOf.containsKey(n)).toList(), constants,
          constantShapes, initializers, this::initValues, (v, reader) -> shapeOf(computed(v, reader)));
      for (Onnx.Node n : graph.getNodeList()) {
        if (scopeOf.containsKey(n) && !absorbed.contains(n)) attention(scopeOf.get(n));
        else if (!absorbed.contains(n) && !n.getOpType().equals("Constant") && !shapes.owns(n)) translate(n);
      }
      if (graph.getOutputCount() != 1) {
        throw new InputException("the graph has " + graph.getOutputCount() + " outputs; expected 1 (the model's output)");
      }
      String out = nodeOf.get(graph.getOutput(0).getName());
      if (out == null || out.equals("input")) {
        throw new InputException("graph output '" + excerpt(graph.getOutput(0).getName()) + "' is not computed by a node");
      }
      refuseSoftmaxOutput(out);
      Map<String, Object> extra = new LinkedHashMap<>();
      if (inputShape.length > 1) extra.put("input_shape", Arrays.stream(inputShape).boxed().toList());
      if (!out.equals(nodes.get(nodes.size() - 1).extra().get("name"))) extra.put("output", out);
      ModelSpec spec = new ModelSpec(product(inputShape), loss, nodes, extra, true);
      return new Imported(spec, tensors, source, List.copyOf(notes));
    }

    /** Every op outside the supported set, in one line, before anything else is looked at. */
    void unsupportedOps() {
      List<String> bad = new ArrayList<>();
      for (Onnx.Node n : graph.getNodeList()) {
        boolean standard = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
        if (!scopeOf.containsKey(n) && (!standard || !SUPPORTED_OPS.contains(n.getOpType()))) {
          bad.add("node '" + excerpt(n.getName()) + "' (" + excerpt((standard ? "" : n.getDomain() + ":") + n.getOpType()) + ")");
        }
      }
      if (!bad.isEmpty()) {
        String list = bad.size() > 20 ? String.join(", ", bad.subList(0, 20)) + " and " + (bad.size() - 20) + " more"
            : String.join(", ", bad);
        throw new InputException("unsupported ONNX ops: " + list + "; supported: " + new TreeSet<>(SUPPORTED_OPS));
      }
    }

    /** The one graph input that is not an initializer: its sample shape (the batch axis dropped). */
    String graphInput() {
      List<Onnx.ValueInfo> data = new ArrayList<>();
      for (Onnx.ValueInfo v : graph.getInputList()) if (!initializers.containsKey(v.getName())) data.add(v);
      if (data.size() != 1) throw new InputException("the graph has " + data.size() + " data inputs; expected 1");
      Onnx.ValueInfo v = data.get(0);
      String where = "graph input '" + excerpt(v.getName()) + "'";
      if (v.getName().isEmpty()) throw new InputException(where + ": no name");
      if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
        throw new InputException(where + ": no tensor shape; expected [batch, ...] with fixed sample dimensions");
      }
      Onnx.Shape s = v.getType().getTensorType().getShape();
      if (s.getDimCount() < 2) throw new InputException(where + ": rank " + s.getDimCount() + "; expected [batch, features...]");
      declaredBatch = s.getDim(0).hasDimValue() ? s.getDim(0).getDimValue() : null;
      inputShape = new int[s.getDimCount() - 1];
      for (int i = 1; i < s.getDimCount(); i++) {
        Onnx.Shape.Dimension d = s.getDim(i);
        if (!d.hasDimValue() || d.getDimValue() < 1 || d.getDimValue() > OnnxTensors.MAX_ELEMENTS) {
          throw new InputException(where + ": dimension " + i + " is " + (d.hasDimValue() ? d.getDimValue() : "'" + excerpt(d.getDimParam()) + "'")
              + "; expected a fixed size between 1 and " + OnnxTensors.MAX_ELEMENTS);
        }
        inputShape[i - 1] = (int) d.getDimValue();
      }
      product(inputShape);
      return v.getName();
    }

    /** Nodes must be in topological order and read only defined values (ONNX's own rule). */
    void checkOrder(String input) {
      Set<String> defined = new HashSet<>(initializers.keySet());
      defined.add(input);
      defined.add(""); // an omitted optional input
      Set<String> produced = new HashSet<>();
      for (Onnx.Node n : graph.getNodeList()) produced.addAll(n.getOutputList());
      for (Onnx.Node n : graph.getNodeList()) {
        if (n.getOutputCount() == 0) throw new InputException(where(n) + ": no output");
        int[] arity = ARITY.get(n.getOpType());
        if (!scopeOf.containsKey(n) && arity != null && (n.getInputCount() < arity[0] || n.getInputCount() > arity[1])) {
          throw new InputException(where(n) + ": " + n.getInputCount() + " inputs; expected " + arity[0]
              + (arity[1] == arity[0] ? "" : arity[1] == Integer.MAX_VALUE ? " or more" : " to " + arity[1]));
        }
        for (String v : n.getInputList()) {
          if (!defined.contains(v)) {
            throw new InputException(where(n) + ": input '" + excerpt(v) + "' "
                + (produced.contains(v) ? "is computed by this node or a later one (a cycle, or nodes not in topological order)"
                    : "is neither the graph input, an initializer nor a node's output (a missing initializer?)"));
          }
        }
        for (String v : n.getOutputList()) {
          if (!v.isEmpty() && !defined.add(v)) throw new InputException(where(n) + ": output '" + excerpt(v) + "' is defined twice");
        }
      }
    }

    void translate(Onnx.Node n) {
      String op = n.getOpType();
      switch (op) {
        case "Identity", "Dropout" -> {
          unusedExtraOutputs(n, 1);
          // constant folding writes a tied weight's Wᵀ once and hands the second reader Identity(Wᵀ)
          if (n.getOpType().equals("Identity") && initializers.containsKey(n.getInput(0))) initializerCopy.put(out(n), n.getInput(0));
          else nodeOf.put(out(n), data(n, 0));
        }
        case "Pad" -> {
          // nn.AvgPool2d exports a zero-width Pad before AveragePool; real padding exists only inside Conv
          double[] pads = n.getInputCount() > 1 ? constants.get(n.getInput(1)) : null;
          if (pads == null || Arrays.stream(pads).anyMatch(p -> p != 0)) {
            throw new InputException(where(n) + ": expected constant pads of 0 (padding is supported inside Conv only)");
          }
          nodeOf.put(out(n), data(n, 0));
        }
        case "Gemm" -> gemm(n);
        case "MatMul" -> matmul(n);
        case "Transpose" -> transpose(n);
        case "Conv" -> conv(n);
        case "BatchNormalization" -> batchnorm(n);
        case "LayerNormalization" -> layernorm(n);
        case "Relu" -> emit(n, "relu", null, Map.of(), data(n, 0));
        case "Tanh" -> emit(n, "tanh", null, Map.of(), data(n, 0));
        case "Sigmoid" -> emit(n, "sigmoid", null, Map.of(), data(n, 0));
        case "Softplus" -> emit(n, "softplus", null, Map.of(), data(n, 0));
        case "LeakyRelu" -> {
          requireFloat(n, "alpha", 0.01f, 0.01);
          emit(n, "leaky_relu", null, Map.of(), data(n, 0));
        }
        case "Elu" -> {
          requireFloat(n, "alpha", 1f, 1.0);
          emit(n, "elu", null, Map.of(), data(n, 0));
        }
        case "Gelu" -> {
          String approx = attr(n, "approximate") == null ? "none" : attr(n, "approximate").getS().toStringUtf8();
          if (!approx.equals("none")) throw new InputException(where(n) + ": approximate='" + excerpt(approx) + "'; expected 'none' (exact erf GELU)");
          emit(n, "gelu", null, Map.of(), data(n, 0));
        }
        case "Div" -> geluPattern(n);
        case "ReduceMean" -> reduceMean(n);
        case "Softmax" -> emit(n, "softmax", null, Map.of("axis", sampleAxis(n, intAttr(n, "axis", -1))), data(n, 0));
        case "MaxPool", "AveragePool" -> pool(n);
        case "GlobalAveragePool" -> {
          String x = data(n, 0);
          int[] s = shapeOf(x);
          if (s.length != 3 || s[1] != s[2]) {
            throw new InputException(where(n) + ": input shape " + Arrays.toString(s) + "; expected square images [C, H, H]");
          }
          emit(n, "avgpool2d", null, Map.of("kernel", s[1]), x);
        }
        case "Flatten" -> {
          if (intAttr(n, "axis", 1) != 1) throw new InputException(where(n) + ": axis " + intAttr(n, "axis", 1) + "; expected 1 (keep the batch axis)");
          emit(n, "flatten", null, Map.of(), data(n, 0));
        }
        case "Reshape" -> reshape(n);
        case "Concat" -> {
          List<String> ins = new ArrayList<>();
          for (int i = 0; i < n.getInputCount(); i++) ins.add(data(n, i));
          emit(n, "concat", null, Map.of("axis", sampleAxis(n, intAttr(n, "axis", Integer.MIN_VALUE))), ins.toArray(String[]::new));
        }
        case "Add" -> add(n);
        case "Mul" -> emit(n, "mul", null, Map.of(), data(n, 0), data(n, 1));
        case "LogSoftmax" -> logSoftmax(n);
        default -> throw new InputException(where(n) + ": only supported inside a pattern (dense: Transpose/MatMul + Add; "
            + "GELU: Div, Erf, Add, Mul, Mul; LayerNorm: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) "
            + "or on integer shape values (" + String.join(", ", new TreeSet<>(ShapeArithmetic.OPS)) + ")");
      }
    }

    // ------------------------------------------------------------------ ops

    /**
     * nn.MultiheadAttention exports as ~80 nodes of shape arithmetic (Shape, Gather, Slice, Unsqueeze, ...) named in
     * its module's scope ("/enc/self_attn/..."), found from the node reading its {@code in_proj_weight}; the whole
     * scope becomes one attention node (checked in {@link #attention}).
     */
    void attentionScopes() {
      for (Onnx.Tensor t : graph.getInitializerList()) {
        String name = t.getName();
        if (!name.equals("in_proj_weight") && !name.endsWith(".in_proj_weight")) continue;
        String prefix = name.substring(0, name.length() - "in_proj_weight".length());
        for (Onnx.Node n : graph.getNodeList()) {
          if (!n.getInputList().contains(name)) continue;
          int slash = n.getName().lastIndexOf('/');
          if (slash <= 0) break;
          String scope = n.getName().substring(0, slash + 1);
          for (Onnx.Node m : graph.getNodeList()) if (m.getName().startsWith(scope)) scopeOf.put(m, prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1));
          break;
        }
      }
    }

    /** One nn.MultiheadAttention(D, heads, batch_first=True) scope, self-attention without masks, as an attention node. */
    void attention(String prefix) {
      List<Onnx.Node> region = new ArrayList<>();
      for (Onnx.Node n : graph.getNodeList()) if (prefix.equals(scopeOf.get(n))) region.add(n);
      String where = "nn.MultiheadAttention '" + excerpt(prefix) + "' (nodes " + excerpt(region.get(0).getName()) + " ...)";
      Set<String> produced = new HashSet<>();
      for (Onnx.Node n : region) produced.addAll(n.getOutputList());
      Set<String> dataIn = new java.util.LinkedHashSet<>(), params = new TreeSet<>(), used = new java.util.LinkedHashSet<>();
      for (Onnx.Node n : region) {
        for (String v : n.getInputList()) {
          if (v.isEmpty() || produced.contains(v)) continue;
          Onnx.Tensor init = initializers.get(v);
          if (init != null && (init.getDataType() == OnnxTensors.FLOAT || init.getDataType() == OnnxTensors.DOUBLE)) params.add(v);
          else if (init != null) continue; // integer initializers: the export's shape arithmetic (Unsqueeze axes, ...)
          else if (!constants.containsKey(v)) dataIn.add(v);
        }
      }
      for (Onnx.Node n : graph.getNodeList()) {
        if (prefix.equals(scopeOf.get(n))) continue;
        for (String v : n.getInputList()) if (produced.contains(v)) used.add(v);
      }
      for (Onnx.ValueInfo o : graph.getOutputList()) if (produced.contains(o.getName())) used.add(o.getName());
      String p = prefix.isEmpty() ? "" : prefix + ".";
      Set<String> expected = new TreeSet<>(List.of(p + "in_proj_weight", p + "in_proj_bias", p + "out_proj.weight", p + "out_proj.bias"));
      if (dataIn.size() != 1 || used.size() != 1 || !params.equals(expected)) {
        throw new InputException(where + ": reads " + dataIn.size() + " computed values and " + params + ", and " + used.size()
            + " of its values are used outside; expected self-attention m(x, x, x) without masks: one input, one output, " + expected);
      }
      String x = dataIn.iterator().next(), y = used.iterator().next();
      // batch_first=True: the scope starts and ends by swapping the batch and token axes
      Onnx.Node first = region.stream().filter(n -> n.getInputList().contains(x)).findFirst().orElseThrow();
      Onnx.Node last = region.stream().filter(n -> n.getOutputList().contains(y)).findFirst().orElseThrow();
      for (Onnx.Node t : List.of(first, last)) {
        if (!t.getOpType().equals("Transpose") || !List.of(1L, 0L, 2L).equals(ints(t, "perm"))) {
          throw new InputException(where + ": expected batch_first=True (Transpose perm [1, 0, 2] at its input and output)");
        }
      }
      long[] w = initShape(first, p + "in_proj_weight", 2);
      long d = w[1];
      if (w[0] != 3 * d) throw new InputException(where + ": in_proj_weight " + Arrays.toString(w) + "; expected [3D, D]");
      // the heads: the scores are divided by √head_dim just before their MatMul
      int heads = -1;
      for (Onnx.Node n : region) {
        if (!n.getOpType().equals("Div") || n.getInputCount() != 2 || n.getOutputCount() == 0) continue;
        Onnx.Node c = region.stream().filter(m -> m.getOpType().equals("Constant") && m.getOutputList().contains(n.getInput(1))).findFirst().orElse(null);
        Onnx.Node next = consumer(n.getOutput(0), "MatMul");
        if (c == null || next == null || attr(c, "value") == null) continue;
        double[] v = OnnxTensors.values(attr(c, "value").getT(), dir, where(c) + " value");
        if (v.length != 1 || !(v[0] > 0)) continue;
        long hd = Math.round(v[0] * v[0]);
        if (hd >= 1 && Math.abs(v[0] * v[0] - hd) <= 1e-6 * hd && d % hd == 0) heads = (int) (d / hd);
      }
      if (heads < 1) throw new InputException(where + ": no division by √head_dim before the scores' MatMul found; expected PyTorch's export");
      String[] local = {"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"};
      for (String l : local) {
        long[] s = initShape(first, p + l, -1);
        tensors.put(prefix + "." + l, Tensor.f64(prefix + "." + l, s, initValues(p + l)));
      }
      absorbed.addAll(region);
      String xNode = nodeOf.get(x);
      if (xNode == null) throw new InputException(where + ": its input '" + excerpt(x) + "' is not computed by a supported node");
      if (prefix.isEmpty()) throw new InputException(where + ": expected its initializers under a module name (m.in_proj_weight)");
      emitNamed(last, prefix, "attention", null, Map.of("heads", heads), xNode);
      nodeOf.put(y, prefix);
    }

    void constant(Onnx.Node n) {
      Onnx.Attribute a = attr(n, "value");
      if (a == null || !a.hasT()) throw new InputException(where(n) + ": expected a tensor attribute 'value'");
      String w = where(n) + " value";
      constantShapes.put(out(n), OnnxTensors.shape(a.getT(), w));
      constants.put(out(n), OnnxTensors.values(a.getT(), dir, w));
    }

    void gemm(Onnx.Node n) {
      if (intAttr(n, "transA", 0) != 0 || intAttr(n, "transB", 0) != 1 || floatAttr(n, "alpha", 1) != 1 || floatAttr(n, "beta", 1) != 1) {
        throw new InputException(where(n) + ": expected transA=0, transB=1, alpha=1, beta=1 (nn.Linear)");
      }
      if (n.getInputCount() != 3 || n.getInput(2).isEmpty()) throw new InputException(where(n) + ": no bias; expected nn.Linear with bias");
      String x = data(n, 0);
      dense(n, x, initializerCopy.getOrDefault(n.getInput(1), n.getInput(1)), false, n.getInput(2), n);
    }

    /** MatMul(x, Transpose(W)) + Add(b), or MatMul(x, Wt) + Add(b) with a constant-folded transposed weight. */
    void matmul(Onnx.Node n) {
      String wv = initializerCopy.getOrDefault(n.getInput(1), n.getInput(1));
      if (nodeOf.containsKey(wv)) { // a product of two computed values (attention scores, weighted values)
        emit(n, "matmul", null, Map.of(), data(n, 0), data(n, 1));
        return;
      }
      boolean folded = initializers.containsKey(wv);
      String w = folded ? wv : transposedWeight.get(wv);
      Onnx.Node addNode = only(out(n), "Add");
      if (w == null || addNode == null) {
        throw new InputException(where(n) + ": expected MatMul(x, weightᵀ) followed by Add(bias) (nn.Linear), or a product of two computed values");
      }
      String b = addNode.getInput(0).equals(out(n)) ? addNode.getInput(1) : addNode.getInput(0);
      absorbed.add(addNode);
      dense(n, data(n, 0), w, folded, b, addNode);
    }

    void dense(Onnx.Node n, String x, String wName, boolean transposed, String bName, Onnx.Node last) {
      long[] ws = initShape(n, wName, 2);
      long out = transposed ? ws[1] : ws[0], in = transposed ? ws[0] : ws[1];
      long[] bs = initShape(n, bName, 1);
      if (bs[0] != out) throw new InputException(where(n) + ": bias '" + excerpt(bName) + "' has " + bs[0] + " values; expected " + out);
      boolean shared = readBy.containsKey(wName);
      String name = transposed || shared ? layerName(n, bName, "bias") : layerName(n, wName, "weight");
      Map<String, String> share = new java.util.TreeMap<>();
      param(n, name, "weight", wName, transposed, share, () -> {
        double[] wv = initValues(wName);
        return Tensor.f64(name + ".weight", new long[] {out, in}, transposed ? transpose2d(wv, (int) in, (int) out) : wv);
      });
      param(n, name, "bias", bName, false, share, () -> Tensor.f64(name + ".bias", bs, initValues(bName)));
      emitNamed(last, name, "dense", (int) out, share.isEmpty() ? Map.of() : Map.of("share", share), x);
    }

    /**
     * A layer's tensor {@code layer.local} from initializer {@code init}; an initializer an earlier node already read
     * (PyTorch's tied parameters, {@code h2.weight = h1.weight}: one initializer read twice) becomes
     * {@code share: {local: owner's tensor}} instead of a second, untied copy. Read in another orientation (once as W,
     * once as a constant-folded Wᵀ) it is refused rather than guessed.
     */
    void param(Onnx.Node n, String layer, String local, String init, boolean transposed, Map<String, String> share,
        java.util.function.Supplier<Tensor> tensor) {
      Read owner = readBy.get(init);
      if (owner == null) {
        readBy.put(init, new Read(layer + "." + local, transposed));
        tensors.put(layer + "." + local, tensor.get());
      } else if (owner.transposed() == transposed) {
        share.put(local, owner.tensor());
      } else {
        throw new InputException(where(n) + ": initializer '" + excerpt(init) + "' is read by tensor '" + excerpt(owner.tensor())
            + "' and, transposed, by '" + excerpt(layer + "." + local) + "'; expected one orientation (a tied weight read as W by both layers)");
      }
    }

    void transpose(Onnx.Node n) {
      List<Long> perm = ints(n, "perm");
      if (initializers.containsKey(n.getInput(0))) {
        // a weight transposed for MatMul: only a 2-D swap, read by the MatMul pattern
        initShape(n, n.getInput(0), 2);
        if (perm != null && !perm.equals(List.of(1L, 0L))) {
          throw new InputException(where(n) + ": perm " + perm + " of a weight; expected [1, 0]");
        }
        transposedWeight.put(out(n), n.getInput(0));
        return;
      }
      if (perm == null || perm.isEmpty() || perm.get(0) != 0) {
        throw new InputException(where(n) + ": perm " + perm + "; expected the batch axis first (perm[0] = 0)");
      }
      List<Integer> sample = new ArrayList<>();
      for (int i = 1; i < perm.size(); i++) sample.add((int) (perm.get(i) - 1));
      emit(n, "transpose", null, Map.of("perm", sample), data(n, 0));
    }

    void conv(Onnx.Node n) {
      long[] ws = initShape(n, n.getInput(1), 4);
      if (n.getInputCount() < 3 || n.getInput(2).isEmpty()) throw new InputException(where(n) + ": no bias; expected nn.Conv2d with bias");
      long[] bs = initShape(n, n.getInput(2), 1);
      if (bs[0] != ws[0]) throw new InputException(where(n) + ": bias has " + bs[0] + " values; expected " + ws[0]);
      if (ws[2] != ws[3]) throw new InputException(where(n) + ": kernel " + ws[2] + "x" + ws[3] + "; expected a square kernel");
      if (intAttr(n, "group", 1) != 1) throw new InputException(where(n) + ": group " + intAttr(n, "group", 1) + "; expected 1");
      requireAll(n, "dilations", 1);
      String autoPad = attr(n, "auto_pad") == null ? "NOTSET" : attr(n, "auto_pad").getS().toStringUtf8();
      if (!autoPad.equals("NOTSET")) throw new InputException(where(n) + ": auto_pad " + excerpt(autoPad) + "; expected explicit pads");
      int stride = same(n, "strides", 1), pad = same(n, "pads", 0);
      String w = n.getInput(1), b = n.getInput(2);
      String name = readBy.containsKey(w) ? layerName(n, b, "bias") : layerName(n, w, "weight");
      Map<String, Object> fields = new LinkedHashMap<>(Map.of("out_channels", (int) ws[0], "kernel", (int) ws[2], "stride", stride, "padding", pad));
      Map<String, String> share = new java.util.TreeMap<>();
      param(n, name, "weight", w, false, share, () -> Tensor.f64(name + ".weight", ws, initValues(w)));
      param(n, name, "bias", b, false, share, () -> Tensor.f64(name + ".bias", bs, initValues(b)));
      if (!share.isEmpty()) fields.put("share", share);
      emitNamed(n, name, "conv2d", null, fields, data(n, 0));
    }

    void batchnorm(Onnx.Node n) {
      if (n.getInputCount() != 5) throw new InputException(where(n) + ": " + n.getInputCount() + " inputs; expected x, scale, bias, mean, var");
      unusedExtraOutputs(n, 1); // training-mode exports add the updated running statistics
      String name = layerName(n, n.getInput(1), "weight");
      String[] local = {"weight", "bias", "running_mean", "running_var"};
      long c = initShape(n, n.getInput(1), 1)[0];
      for (int i = 0; i < 4; i++) {
        long[] s = initShape(n, n.getInput(i + 1), 1);
        if (s[0] != c) throw new InputException(where(n) + ": '" + excerpt(n.getInput(i + 1)) + "' has " + s[0] + " values; expected " + c);
        tensors.put(name + "." + local[i], Tensor.f64(name + "." + local[i], s, initValues(n.getInput(i + 1))));
      }
      double momentum = Math.round((1 - floatAttr(n, "momentum", 0.9)) * 1e7) / 1e7; // ONNX keeps 1 - PyTorch's
      emitNamed(n, name, "batchnorm", null, Map.of("eps", floatAttr(n, "epsilon", 1e-5), "momentum", momentum), data(n, 0));
    }

    void layernorm(Onnx.Node n) {
      unusedExtraOutputs(n, 1);
      if (n.getInputCount() < 3 || n.getInput(2).isEmpty()) throw new InputException(where(n) + ": no bias; expected nn.LayerNorm with bias");
      long[] s = initShape(n, n.getInput(1), -1);
      long axis = intAttr(n, "axis", -1);
      if (axis != -s.length) throw new InputException(where(n) + ": axis " + axis + " with a weight of rank " + s.length + "; expected axis = -" + s.length);
      layernormNode(n, n, data(n, 0), n.getInput(1), n.getInput(2), floatAttr(n, "epsilon", 1e-5));
    }

    void layernormNode(Onnx.Node n, Onnx.Node last, String x, String w, String b, double eps) {
      long[] s = initShape(n, w, -1);
      if (!Arrays.equals(initShape(n, b, -1), s)) throw new InputException(where(n) + ": bias shape differs from weight shape " + Arrays.toString(s));
      String name = layerName(n, w, "weight");
      tensors.put(name + ".weight", Tensor.f64(name + ".weight", s, initValues(w)));
      tensors.put(name + ".bias", Tensor.f64(name + ".bias", s, initValues(b)));
      emitNamed(last, name, "layernorm", null, Map.of("eps", eps, "normalized_shape", Arrays.stream(s).mapToInt(v -> (int) v).boxed().toList()), x);
    }

    /** LayerNorm below opset 17: ReduceMean, Sub, Pow(2), ReduceMean, Add(eps), Sqrt, Div, Mul(weight), Add(bias). */
    void layernormPattern(Onnx.Node mean) {
      String x = mean.getInput(0);
      Onnx.Node sub = only(out(mean), "Sub");
      Onnx.Node pow = sub == null || !sub.getInput(0).equals(x) ? null : consumer(out(sub), "Pow");
      Onnx.Node var = pow == null || !isConstant(pow.getInput(1), 2.0) ? null : only(out(pow), "ReduceMean");
      Onnx.Node addEps = var == null ? null : only(out(var), "Add");
      Onnx.Node sqrt = addEps == null ? null : only(out(addEps), "Sqrt");
      Onnx.Node div = sqrt == null ? null : only(out(sqrt), "Div");
      Onnx.Node mul = div == null || !div.getInput(0).equals(out(sub)) ? null : only(out(div), "Mul");
      Onnx.Node addB = mul == null ? null : only(out(mul), "Add");
      if (addB == null || consumers.get(out(sub)).size() != 2) {
        throw new InputException(where(mean) + ": not the LayerNorm pattern (ReduceMean, Sub, Pow(2), ReduceMean, Add(eps), Sqrt, Div, Mul(weight), Add(bias))");
      }
      String epsValue = other(addEps, out(var));
      double[] eps = constants.get(epsValue);
      if (eps == null || eps.length != 1) throw new InputException(where(addEps) + ": expected a constant epsilon");
      List<Long> axes = reduceAxes(mean), axes2 = reduceAxes(var);
      String w = other(mul, out(div)), b = other(addB, out(mul));
      long[] ws = initShape(mul, w, -1);
      List<Long> expected = new ArrayList<>();
      for (int i = ws.length; i >= 1; i--) expected.add((long) -i);
      if (!expected.equals(axes) || !expected.equals(axes2)) {
        throw new InputException(where(mean) + ": axes " + axes + " and " + axes2 + " with a weight of rank " + ws.length + "; expected " + expected);
      }
      for (Onnx.Node p : List.of(sub, pow, var, addEps, sqrt, div, mul, addB)) absorbed.add(p);
      layernormNode(mean, addB, data(mean, 0), w, b, eps[0]);
    }

    List<Long> reduceAxes(Onnx.Node r) {
      if (intAttr(r, "keepdims", 1) != 1) throw new InputException(where(r) + ": keepdims 0; expected 1");
      List<Long> axes = ints(r, "axes");
      if (axes == null && r.getInputCount() > 1 && constants.containsKey(r.getInput(1))) {
        axes = new ArrayList<>();
        for (double d : constants.get(r.getInput(1))) axes.add((long) d);
      }
      if (axes == null) throw new InputException(where(r) + ": no axes; expected the trailing axes");
      return axes;
    }

    /** GELU as exported below opset 20: Div(x, √2), Erf, Add(1), Mul(x, ·), Mul(·, 0.5). */
    void geluPattern(Onnx.Node div) {
      String x = div.getInput(0);
      Onnx.Node erf = isConstant(div.getInput(1), Math.sqrt(2)) ? only(out(div), "Erf") : null;
      Onnx.Node add1 = erf == null ? null : only(out(erf), "Add");
      Onnx.Node mulX = add1 == null || !isConstant(other(add1, out(erf)), 1.0) ? null : only(out(add1), "Mul");
      Onnx.Node half = mulX == null || !other(mulX, out(add1)).equals(x) ? null : only(out(mulX), "Mul");
      if (half == null || !isConstant(other(half, out(mulX)), 0.5)) {
        throw new InputException(where(div) + ": not the GELU pattern (Div(x, √2), Erf, Add(1), Mul(x, ·), Mul(·, 0.5))");
      }
      for (Onnx.Node p : List.of(erf, add1, mulX, half)) absorbed.add(p);
      emit(half, "gelu", null, Map.of(), data(div, 0));
    }

    void pool(Onnx.Node n) {
      unusedExtraOutputs(n, 1);
      List<Long> k = ints(n, "kernel_shape");
      if (k == null || k.size() != 2 || !k.get(0).equals(k.get(1)) || k.get(0) < 1 || k.get(0) > Integer.MAX_VALUE) {
        throw new InputException(where(n) + ": kernel_shape " + k + "; expected a square 2-D kernel");
      }
      if (intAttr(n, "ceil_mode", 0) != 0) throw new InputException(where(n) + ": ceil_mode 1; expected 0");
      if (same(n, "pads", 0) != 0) throw new InputException(where(n) + ": padding; expected none");
      requireAll(n, "dilations", 1);
      int stride = same(n, "strides", 1);
      emit(n, n.getOpType().equals("MaxPool") ? "maxpool2d" : "avgpool2d", null,
          Map.of("kernel", k.get(0).intValue(), "stride", stride), data(n, 0));
    }

    /**
     * Reshape to [batch, d1, ...]: the target is evaluated by {@link ShapeArithmetic}; its first entry must be the batch
     * size (x.size(0), 0 = copy, the declared batch of a fixed-batch export, or -1 when the rest holds one sample
     * exactly) and the others constants. Anything else mixes samples and is refused.
     */
    void reshape(Onnx.Node n) {
      String x = data(n, 0);
      List<ShapeArithmetic.Dim> target = shapes.value(n.getInput(1), where(n)).values();
      if (target.size() < 2) throw new InputException(where(n) + ": target shape " + target + "; expected [batch, ...] of rank 2 or more");
      if (intAttr(n, "allowzero", 0) != 0) throw new InputException(where(n) + ": allowzero 1; expected 0");
      int[] in = shapeOf(x);
      long inCount = product(in);
      for (int i = 1; i < target.size(); i++) {
        if (!target.get(i).isConstant()) {
          throw new InputException(where(n) + ": target shape " + target + " has " + target.get(i) + " at axis " + i
              + ", which mixes the batch with the sample axes; expected the batch size at axis 0 only");
        }
      }
      ShapeArithmetic.Dim b = target.get(0);
      boolean batch = b.equals(ShapeArithmetic.Dim.BATCH) || b.equals(ShapeArithmetic.Dim.of(0))
          || (declaredBatch != null && b.equals(ShapeArithmetic.Dim.of(declaredBatch)));
      if (b.equals(ShapeArithmetic.Dim.of(-1))) {
        long rest = 1; // -1 at axis 0 is the batch when the other entries hold exactly one sample
        for (ShapeArithmetic.Dim d : target.subList(1, target.size())) {
          if (d.offset() < 1 || d.offset() > inCount || (rest *= d.offset()) > inCount) {
            rest = -1;
            break;
          }
        }
        batch = rest == inCount;
      }
      if (!batch) {
        throw new InputException(where(n) + ": target shape " + target + " for samples of shape " + Arrays.toString(in)
            + " does not keep the batch axis (x.size(0), 0, -1 with " + inCount + " elements after it"
            + (declaredBatch != null ? ", or the exported batch " + declaredBatch : "") + ")"
            + (declaredBatch == null && b.offset() > 0 ? "; a fixed " + b + " in a dynamic-batch export is the trace's batch"
                + " (len(x) or a Python int): write x.size(0) or -1" : ""));
      }
      List<Integer> sample = new ArrayList<>();
      int unknown = -1;
      long known = 1;
      for (int i = 1; i < target.size(); i++) {
        long d = target.get(i).offset();
        if (d == 0) {
          if (i - 1 >= in.length) throw new InputException(where(n) + ": 0 (copy) at axis " + i + " past the input's rank");
          d = in[i - 1];
        }
        if (d == -1) {
          if (unknown >= 0) throw new InputException(where(n) + ": more than one -1 in the target shape");
          unknown = sample.size();
          sample.add(-1);
          continue;
        }
        if (d < 1 || d > OnnxTensors.MAX_ELEMENTS) throw new InputException(where(n) + ": dimension " + d + " in the target shape");
        known *= d;
        if (known > OnnxTensors.MAX_ELEMENTS) throw new InputException(where(n) + ": target shape too large");
        sample.add((int) d);
      }
      if (unknown >= 0) {
        if (inCount % known != 0) throw new InputException(where(n) + ": " + inCount + " elements do not fit the target shape");
        sample.set(unknown, (int) (inCount / known));
        known = inCount;
      }
      if (known != inCount) throw new InputException(where(n) + ": target sample shape " + sample + " has " + known + " elements; the input has " + inCount);
      if (sample.size() == 1) emit(n, "flatten", null, Map.of(), x);
      else emit(n, "reshape", null, Map.of("shape", sample), x);
    }

    /**
     * x.mean(dim=...) over sample axes: the tokens of [T, D] (dim=1: token_mean), the last axis of [C, L] (transpose,
     * token_mean), the spatial axes of square images [C, H, H] (global average pooling, flattened unless keepdims);
     * a ReduceMean read by a Sub starts LayerNorm's decomposed form.
     */
    void reduceMean(Onnx.Node n) {
      List<Long> axes = ints(n, "axes");
      if (axes != null && axes.contains(0L)) {
        throw new InputException(where(n) + ": axes " + axes + "; expected sample axes (a mean over the batch axis 0 mixes samples)");
      }
      if (axes == null || only(out(n), "Sub") != null) {
        layernormPattern(n);
        return;
      }
      String x = data(n, 0);
      int[] s = shapeOf(x);
      boolean keep = intAttr(n, "keepdims", 1) != 0;
      TreeSet<Long> sample = new TreeSet<>();
      for (long a : axes) sample.add((a < 0 ? a + s.length + 1 : a) - 1);
      if (!keep && s.length == 2 && sample.equals(Set.of(0L))) {
        emit(n, "token_mean", null, Map.of(), x);
      } else if (!keep && s.length == 2 && sample.equals(Set.of(1L))) {
        emit(n, "token_mean", null, Map.of(), emitPart(n, "transpose", "transpose", Map.of("perm", List.of(1, 0)), x));
      } else if (s.length == 3 && s[1] == s[2] && sample.equals(Set.of(1L, 2L))) {
        if (keep) emit(n, "avgpool2d", null, Map.of("kernel", s[1]), x);
        else emit(n, "flatten", null, Map.of(), emitPart(n, "pool", "avgpool2d", Map.of("kernel", s[1]), x));
      } else {
        throw new InputException(where(n) + ": mean over axes " + axes + (keep ? " (keepdims)" : "") + " of samples " + Arrays.toString(s)
            + "; expected the tokens of [T, D] (dim=1), the last axis of [C, L] (dim=-1), the spatial axes of square images"
            + " [C, H, H] (dim=(2, 3)), or LayerNorm's ReduceMean, Sub, Pow, ... form");
      }
    }

    /** The first of two graph nodes one ONNX node becomes: named after it plus {@code part}; returns its name. */
    String emitPart(Onnx.Node n, String part, String type, Map<String, Object> fields, String... inputs) {
      String base = (n.getName().isEmpty() ? n.getOpType() + ":" + out(n) : n.getName()) + "/" + part;
      String name = base;
      for (int i = 1; names.contains(name); i++) name = base + "#" + i;
      emitNamed(n, name, type, null, fields, inputs);
      return name;
    }

    /**
     * A trailing LogSoftmax under cross-entropy is dropped: log_softmax is idempotent (its log-sum-exp is 0), so
     * cross_entropy(log_softmax(z)) = cross_entropy(z) = nll(log_softmax(z)) -- loss, gradients and Hessians are those
     * of the logits z. Anywhere else (mid-graph, under mse) Hesse has no log-softmax node and refuses it.
     */
    void logSoftmax(Onnx.Node n) {
      String x = data(n, 0);
      boolean last = isGraphOutput(out(n)) && !consumers.containsKey(out(n));
      if (!last) throw new InputException(where(n) + ": LogSoftmax inside the graph; expected it only as the model's last op (dropped under --loss cross_entropy)");
      if (!loss.equals("cross_entropy")) {
        throw new InputException(where(n) + ": a trailing LogSoftmax under --loss " + loss + "; expected --loss cross_entropy "
            + "(where it leaves the loss unchanged and is dropped), or export the model without it");
      }
      int[] s = shapeOf(x);
      long axis = intAttr(n, "axis", -1);
      if (s.length != 1 || (axis != 1 && axis != -1)) {
        throw new InputException(where(n) + ": LogSoftmax over axis " + axis + " of outputs " + Arrays.toString(s) + "; expected the class axis of [batch, classes]");
      }
      notes.add("hesse: note: " + source + ": " + where(n) + " dropped: a trailing LogSoftmax leaves the cross-entropy loss, "
          + "its gradient and Hessian unchanged (log_softmax is idempotent); the model's outputs are its logits");
      nodeOf.put(out(n), x);
    }

    /** Cross-entropy takes logits (as PyTorch's CrossEntropyLoss does): a model whose output is a Softmax is refused. */
    void refuseSoftmaxOutput(String out) {
      if (!loss.equals("cross_entropy")) return;
      for (LayerSpec l : nodes) {
        if (out.equals(l.extra().get("name")) && l.type().equals("softmax")) {
          throw new InputException("the model's output is Softmax node '" + excerpt(out) + "' and --loss cross_entropy applies "
              + "log-softmax itself (PyTorch's CrossEntropyLoss takes logits); expected the logits: export the model without "
              + "its final Softmax (or with LogSoftmax, which is dropped), or use --loss mse on the probabilities");
        }
      }
    }

    void add(Onnx.Node n) {
      boolean p0 = initializers.containsKey(n.getInput(0)), p1 = initializers.containsKey(n.getInput(1));
      if (p0 || p1) {
        // x + weight: a learned positional embedding (reference module PosEmbed)
        String w = p0 ? n.getInput(0) : n.getInput(1);
        String x = data(n, p0 ? 1 : 0);
        long[] s = initShape(n, w, -1);
        String name = layerName(n, w, "weight");
        tensors.put(name + ".weight", Tensor.f64(name + ".weight", s, initValues(w)));
        emitNamed(n, name, "positional", null, Map.of(), x);
        return;
      }
      emit(n, "add", null, Map.of(), data(n, 0), data(n, 1));
    }

    // ------------------------------------------------------------------ helpers

    /** A parameter-free node, named after its ONNX node (unique, never a layer's state-dict name). */
    void emit(Onnx.Node n, String type, Integer out, Map<String, Object> fields, String... inputs) {
      String base = n.getName().isEmpty() ? n.getOpType() + ":" + out(n) : n.getName();
      String name = base;
      for (int i = 1; names.contains(name); i++) name = base + "#" + i;
      emitNamed(n, name, type, out, fields, inputs);
    }

    void emitNamed(Onnx.Node n, String name, String type, Integer out, Map<String, Object> fields, String... inputs) {
      if (!names.add(name)) throw new InputException(where(n) + ": a second layer named '" + excerpt(name) + "' (its initializers share a prefix)");
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("name", name);
      extra.put("inputs", List.of(inputs));
      extra.putAll(new java.util.TreeMap<>(fields));
      nodes.add(new LayerSpec(type, out, extra));
      nodeOf.put(out(n), name);
    }

    /** The layer named by an initializer: its state-dict prefix ("0.weight" -> "0"), else the ONNX node's name. */
    String layerName(Onnx.Node n, String init, String local) {
      if (init.endsWith("." + local) && init.length() > local.length() + 1) return init.substring(0, init.length() - local.length() - 1);
      if (!n.getName().isEmpty()) return n.getName();
      return n.getOpType() + ":" + out(n);
    }

    /** A computed input (the graph input or a node's output), as the name of the node computing it. */
    String data(Onnx.Node n, int i) {
      if (i >= n.getInputCount()) throw new InputException(where(n) + ": " + n.getInputCount() + " inputs; expected at least " + (i + 1));
      String v = n.getInput(i);
      String node = nodeOf.get(v);
      if (node == null) {
        throw new InputException(where(n) + ": input '" + excerpt(v) + "' is "
            + (initializers.containsKey(v) || constants.containsKey(v) ? "a constant where a computed value was expected"
                : "not computed by a supported node"));
      }
      return node;
    }

    /** A computed value (read by {@code reader}) as the name of the node computing it. */
    String computed(String v, String reader) {
      String node = nodeOf.get(v);
      if (node == null) throw new InputException(reader + ": input '" + excerpt(v) + "' is not computed by a supported node");
      return node;
    }

    long[] initShape(Onnx.Node n, String v, int rank) {
      Onnx.Tensor t = initializers.get(v);
      if (t == null) throw new InputException(where(n) + ": '" + excerpt(v) + "' is not an initializer; expected a weight tensor");
      long[] s = OnnxTensors.shape(t, "initializer '" + excerpt(v) + "'");
      if (rank >= 0 && s.length != rank) throw new InputException(where(n) + ": initializer '" + excerpt(v) + "' has rank " + s.length + "; expected " + rank);
      if (s.length == 0) throw new InputException(where(n) + ": initializer '" + excerpt(v) + "' is a scalar; expected a tensor");
      return s;
    }

    double[] initValues(String v) {
      return OnnxTensors.values(initializers.get(v), dir, "initializer '" + excerpt(v) + "'");
    }

    /** The sample shape of a node's output, from the graph built so far (one loader decides shapes). */
    int[] shapeOf(String node) {
      if (node.equals("input")) return inputShape.clone();
      Map<String, Object> extra = new LinkedHashMap<>();
      if (inputShape.length > 1) extra.put("input_shape", Arrays.stream(inputShape).boxed().toList());
      extra.put("output", node);
      Network net = ModelFiles.network(new ModelSpec(product(inputShape), loss, nodes, extra, true), source);
      return net.activationShape(net.outputActivation());
    }

    /** ONNX's axis (batch axis 0) as a sample axis (negative ones count from the end as before). */
    int sampleAxis(Onnx.Node n, long axis) {
      if (axis == Integer.MIN_VALUE) throw new InputException(where(n) + ": no axis attribute");
      if (axis == 0) throw new InputException(where(n) + ": axis 0 is the batch axis; expected a sample axis");
      if (axis < -64 || axis > 64) throw new InputException(where(n) + ": axis " + axis + " out of range");
      return (int) (axis > 0 ? axis - 1 : axis);
    }

    void unusedExtraOutputs(Onnx.Node n, int used) {
      for (int i = used; i < n.getOutputCount(); i++) {
        String v = n.getOutput(i);
        boolean isOutput = graph.getOutputList().stream().anyMatch(o -> o.getName().equals(v));
        if (!v.isEmpty() && (consumers.containsKey(v) || isOutput)) {
          throw new InputException(where(n) + ": output " + i + " ('" + excerpt(v) + "') is used; expected only the first output to be read");
        }
      }
    }

    Onnx.Node only(String v, String op) {
      List<Onnx.Node> c = consumers.get(v);
      return c != null && c.size() == 1 && c.get(0).getOpType().equals(op) && !isGraphOutput(v) ? c.get(0) : null;
    }

    Onnx.Node consumer(String v, String op) {
      List<Onnx.Node> c = consumers.get(v);
      if (c == null) return null;
      for (Onnx.Node n : c) if (n.getOpType().equals(op)) return n;
      return null;
    }

    boolean isGraphOutput(String v) {
      return graph.getOutputList().stream().anyMatch(o -> o.getName().equals(v));
    }

    /** The input of a two-input node that is not {@code v}. */
    String other(Onnx.Node n, String v) {
      if (n.getInputCount() != 2) throw new InputException(where(n) + ": " + n.getInputCount() + " inputs; expected 2");
      return n.getInput(0).equals(v) ? n.getInput(1) : n.getInput(0);
    }

    boolean isConstant(String v, double value) {
      double[] c = constants.get(v);
      return c != null && c.length == 1 && Math.abs(c[0] - value) <= 1e-6 * Math.abs(value);
    }

    Onnx.Attribute attr(Onnx.Node n, String name) {
      for (Onnx.Attribute a : n.getAttributeList()) if (a.getName().equals(name)) return a;
      return null;
    }

    long intAttr(Onnx.Node n, String name, long dflt) {
      Onnx.Attribute a = attr(n, name);
      if (a == null) return dflt;
      if (a.getType() != Onnx.Attribute.Type.INT) throw new InputException(where(n) + ": attribute " + name + " is " + a.getType() + "; expected INT");
      return a.getI();
    }

    /** A float attribute as the decimal it was written from (1e-5f -> 1e-5). */
    double floatAttr(Onnx.Node n, String name, double dflt) {
      Onnx.Attribute a = attr(n, name);
      if (a == null) return dflt;
      if (a.getType() != Onnx.Attribute.Type.FLOAT) throw new InputException(where(n) + ": attribute " + name + " is " + a.getType() + "; expected FLOAT");
      return Double.parseDouble(Float.toString(a.getF()));
    }

    void requireFloat(Onnx.Node n, String name, float expected, double dflt) {
      double v = floatAttr(n, name, dflt);
      if (v != Double.parseDouble(Float.toString(expected))) {
        throw new InputException(where(n) + ": " + name + " " + v + "; expected " + expected + " (PyTorch's default, the one Hesse implements)");
      }
    }

    List<Long> ints(Onnx.Node n, String name) {
      Onnx.Attribute a = attr(n, name);
      if (a == null) return null;
      if (a.getType() != Onnx.Attribute.Type.INTS) throw new InputException(where(n) + ": attribute " + name + " is " + a.getType() + "; expected INTS");
      return a.getIntsList();
    }

    /** An INTS attribute whose entries are all equal (square strides, pads): that value. */
    int same(Onnx.Node n, String name, int dflt) {
      List<Long> v = ints(n, name);
      if (v == null || v.isEmpty()) return dflt;
      for (long x : v) {
        if (x != v.get(0) || x < 0 || x > Integer.MAX_VALUE) throw new InputException(where(n) + ": " + name + " " + v + "; expected equal values >= 0");
      }
      return v.get(0).intValue();
    }

    void requireAll(Onnx.Node n, String name, long value) {
      List<Long> v = ints(n, name);
      if (v != null) for (long x : v) if (x != value) throw new InputException(where(n) + ": " + name + " " + v + "; expected all " + value);
    }

    static String out(Onnx.Node n) {
      if (n.getOutputCount() == 0 || n.getOutput(0).isEmpty()) throw new InputException(where(n) + ": no output");
      return n.getOutput(0);
    }

    static int product(int[] shape) {
      return org.hesse.nn.Sizes.product(shape, "input shape " + Arrays.toString(shape));
    }

    static double[] transpose2d(double[] a, int rows, int cols) {
      double[] t = new double[a.length];
      for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
      return t;
    }
  }

  static String excerpt(String s) {
    return InputException.excerpt(s);
  }

  /** A node as errors name it: its name and op type. */
  static String where(Onnx.Node n) {
    return "node '" + excerpt(n.getName()) + "' (" + excerpt(n.getOpType()) + ")";
  }
}
