package org.hesse.io.onnx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.hesse.io.InputException;
import org.hesse.io.onnx.proto.Onnx;

/**
 * The integer side of a {@code torch.onnx.export}: {@code x.view(x.size(0), -1)} exports as Shape, Gather, Unsqueeze,
 * Concat, ... feeding a Reshape. These values are evaluated at import time from the sample shapes the graph engine
 * knows, with the batch size as a symbol: every integer is {@code k·batch + c} ({@link Dim}). Integer tensors of rank
 * 0 and 1 only (shapes and their entries); anything else, or arithmetic that leaves that form (batch × batch, a
 * division that is not exact), is refused in one line naming the node.
 */
final class ShapeArithmetic {
  /** The ops read on integer values (Shape reads a computed value's shape only). */
  static final Set<String> OPS = Set.of("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast",
      "Constant", "ConstantOfShape", "Identity", "Add", "Sub", "Mul", "Div");

  /** Longest integer vector evaluated (a shape has a few entries; this bounds ConstantOfShape and Concat). */
  static final int MAX_LENGTH = 64;

  /** ONNX's integer element types (Cast's {@code to}, ConstantOfShape's value). */
  static final Set<Integer> INT_TYPES = Set.of(2, 3, 4, 5, 6, 7, 12, 13);

  /** One integer, {@code batch·k + c}: a constant when k is 0, the batch size itself when k is 1 and c is 0. */
  record Dim(long batch, long offset) {
    static final Dim BATCH = new Dim(1, 0);

    static Dim of(long c) {
      return new Dim(0, c);
    }

    boolean isConstant() {
      return batch == 0;
    }

    @Override public String toString() {
      if (batch == 0) return Long.toString(offset);
      String b = batch == 1 ? "batch" : batch + "·batch";
      return offset == 0 ? b : b + (offset > 0 ? "+" : "") + offset;
    }
  }

  /** An integer tensor of rank 0 ({@code scalar}, one value) or rank 1. */
  record Ints(boolean scalar, List<Dim> values) {}

  private final Map<String, Onnx.Node> producer = new HashMap<>();
  private final Map<Onnx.Node, Integer> order = new java.util.IdentityHashMap<>();
  private final Set<String> integerValues = new HashSet<>();
  private final Map<String, Ints> known = new HashMap<>();
  private final Map<String, double[]> constants;
  private final Map<String, long[]> constantShapes;
  private final Map<String, Onnx.Tensor> initializers;
  private final Function<String, double[]> initializerValues;
  private final BiFunction<String, String, int[]> sampleShape;

  /**
   * @param nodes the graph's nodes in topological order, without those another reader owns (attention scopes)
   * @param constants the Constant nodes' values and shapes, by output
   * @param initializers the graph's initializers (integer ones are shape values), read by {@code initializerValues}
   * @param sampleShape a computed value's sample shape (batch axis dropped), given the reader for errors
   */
  ShapeArithmetic(List<Onnx.Node> nodes, Map<String, double[]> constants, Map<String, long[]> constantShapes,
                  Map<String, Onnx.Tensor> initializers, Function<String, double[]> initializerValues,
                  BiFunction<String, String, int[]> sampleShape) {
    this.constants = constants;
    this.constantShapes = constantShapes;
    this.initializers = initializers;
    this.initializerValues = initializerValues;
    this.sampleShape = sampleShape;
    for (Onnx.Tensor t : initializers.values()) if (INT_TYPES.contains(t.getDataType())) integerValues.add(t.getName());
    for (Onnx.Node n : nodes) {
      order.put(n, order.size());
      for (String v : n.getOutputList()) producer.put(v, n);
      if (isIntegerNode(n)) integerValues.addAll(n.getOutputList());
    }
  }

  /** Whether n computes integers only: Shape, an integer Constant, or a shape op on integer values alone. */
  private boolean isIntegerNode(Onnx.Node n) {
    String op = n.getOpType();
    if (!OPS.contains(op) || !(n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))) return false;
    switch (op) {
      case "Shape": return true;
      case "Constant": {
        Onnx.Attribute a = attr(n, "value");
        return a != null && a.hasT() && INT_TYPES.contains(a.getT().getDataType());
      }
      case "Cast": {
        Onnx.Attribute to = attr(n, "to");
        if (to == null || !INT_TYPES.contains((int) to.getI())) return false;
        break;
      }
      case "ConstantOfShape": {
        Onnx.Attribute a = attr(n, "value"); // absent: float 0, a data value
        if (a == null || !a.hasT() || !INT_TYPES.contains(a.getT().getDataType())) return false;
        break;
      }
      default:
    }
    for (String v : n.getInputList()) if (!v.isEmpty() && !integerValues.contains(v)) return false;
    return n.getInputCount() > 0;
  }

  /** Whether n belongs to the shape arithmetic (its outputs are integer values, read by {@link #value}). */
  boolean owns(Onnx.Node n) {
    return n.getOutputCount() > 0 && integerValues.contains(n.getOutput(0)) && producer.get(n.getOutput(0)) == n;
  }

  /** Whether v is an integer value this class evaluates (an integer initializer, Constant or shape op output). */
  boolean isInteger(String v) {
    return integerValues.contains(v);
  }

  /** The value of v (read by {@code reader}, named in errors); its integer ancestors evaluated in graph order. */
  Ints value(String v, String reader) {
    if (!integerValues.contains(v)) {
      throw new InputException(reader + ": '" + OnnxImport.excerpt(v) + "' is not an integer value computed from shapes"
          + " and constants (a shape computed from data is not supported)");
    }
    // the needed nodes, without recursion (a long chain must not overflow the stack)
    List<Onnx.Node> needed = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(v));
    while (!todo.isEmpty()) {
      String w = todo.pop();
      if (known.containsKey(w) || !seen.add(w)) continue;
      Onnx.Node p = producer.get(w);
      if (p == null) continue; // an initializer
      needed.add(p);
      if (!p.getOpType().equals("Shape")) for (String in : p.getInputList()) if (!in.isEmpty()) todo.push(in);
    }
    needed.sort(java.util.Comparator.comparing(order::get));
    for (Onnx.Node n : needed) if (!known.containsKey(n.getOutput(0))) known.put(n.getOutput(0), evaluate(n));
    return get(v, reader);
  }

  private Ints get(String v, String reader) {
    Ints k = known.get(v);
    if (k != null) return k;
    Onnx.Tensor t = initializers.get(v);
    long[] shape = constantShapes.get(v);
    double[] values = constants.get(v);
    if (t != null) {
      shape = OnnxTensors.shape(t, "initializer '" + OnnxImport.excerpt(v) + "'");
      values = initializerValues.apply(v);
    }
    if (shape == null || values == null) throw new InputException(reader + ": '" + OnnxImport.excerpt(v) + "' has no value");
    if (shape.length > 1 || values.length > MAX_LENGTH) {
      throw new InputException(reader + ": integer value '" + OnnxImport.excerpt(v) + "' of shape " + java.util.Arrays.toString(shape)
          + "; expected a scalar or a vector of at most " + MAX_LENGTH + " entries");
    }
    List<Dim> d = new ArrayList<>();
    for (double x : values) d.add(Dim.of((long) x));
    Ints r = new Ints(shape.length == 0, List.copyOf(d));
    known.put(v, r);
    return r;
  }

  private Ints evaluate(Onnx.Node n) {
    String where = OnnxImport.where(n);
    if (n.getOutputCount() != 1) throw new InputException(where + ": " + n.getOutputCount() + " outputs; expected 1");
    return switch (n.getOpType()) {
      case "Constant" -> get(n.getOutput(0), where);
      case "Shape" -> shape(n, where);
      case "Identity", "Cast" -> in(n, 0, where);
      case "Gather" -> gather(n, where);
      case "Unsqueeze" -> {
        Ints x = in(n, 0, where);
        List<Long> axes = axes(n, where);
        if (!x.scalar() || axes == null || axes.size() != 1 || (axes.get(0) != 0 && axes.get(0) != -1)) {
          throw new InputException(where + ": Unsqueeze of a " + (x.scalar() ? "scalar" : "vector") + " along " + axes
              + "; expected a scalar made a vector (axes [0])");
        }
        yield new Ints(false, x.values());
      }
      case "Squeeze" -> {
        Ints x = in(n, 0, where);
        List<Long> axes = axes(n, where);
        if (x.scalar() || x.values().size() != 1 || (axes != null && !axes.equals(List.of(0L)) && !axes.equals(List.of(-1L)))) {
          throw new InputException(where + ": Squeeze of " + x.values() + " along " + axes + "; expected a vector of one entry");
        }
        yield new Ints(true, x.values());
      }
      case "Concat" -> {
        long axis = intAttr(n, "axis", 0, where);
        List<Dim> all = new ArrayList<>();
        for (int i = 0; i < n.getInputCount(); i++) {
          Ints x = in(n, i, where);
          if (x.scalar() || (axis != 0 && axis != -1)) throw new InputException(where + ": Concat of integer values along axis " + axis + "; expected vectors along axis 0");
          all.addAll(x.values());
          if (all.size() > MAX_LENGTH) throw new InputException(where + ": more than " + MAX_LENGTH + " entries");
        }
        yield new Ints(false, List.copyOf(all));
      }
      case "Slice" -> slice(n, where);
      case "ConstantOfShape" -> {
        Ints s = in(n, 0, where);
        Onnx.Tensor t = attr(n, "value").getT();
        double[] v = OnnxTensors.values(t, null, where + " value");
        if (v.length != 1) throw new InputException(where + ": value has " + v.length + " entries; expected 1");
        if (s.scalar() || s.values().size() > 1) throw new InputException(where + ": shape " + s.values() + "; expected a vector of one entry");
        if (s.values().isEmpty()) yield new Ints(true, List.of(Dim.of((long) v[0])));
        Dim len = s.values().get(0);
        if (!len.isConstant() || len.offset() < 0 || len.offset() > MAX_LENGTH) {
          throw new InputException(where + ": length " + len + "; expected a constant between 0 and " + MAX_LENGTH);
        }
        yield new Ints(false, java.util.Collections.nCopies((int) len.offset(), Dim.of((long) v[0])));
      }
      case "Add", "Sub", "Mul", "Div" -> arithmetic(n, where);
      default -> throw new InputException(where + ": not an op on integer shape values");
    };
  }

  /** Shape(x): [batch, sample shape...], sliced by the start/end attributes (opset 15). */
  private Ints shape(Onnx.Node n, String where) {
    if (n.getInputCount() != 1) throw new InputException(where + ": " + n.getInputCount() + " inputs; expected 1");
    int[] sample = sampleShape.apply(n.getInput(0), where);
    List<Dim> full = new ArrayList<>();
    full.add(Dim.BATCH);
    for (int s : sample) full.add(Dim.of(s));
    int rank = full.size();
    long start = clamp(intAttr(n, "start", 0, where), rank), end = clamp(intAttr(n, "end", rank, where), rank);
    return new Ints(false, List.copyOf(full.subList((int) start, (int) Math.max(start, end))));
  }

  private static long clamp(long i, int rank) {
    if (i < 0) i += rank;
    return Math.max(0, Math.min(rank, i));
  }

  private Ints gather(Onnx.Node n, String where) {
    if (n.getInputCount() != 2) throw new InputException(where + ": " + n.getInputCount() + " inputs; expected 2");
    if (intAttr(n, "axis", 0, where) != 0) throw new InputException(where + ": axis " + intAttr(n, "axis", 0, where) + " on an integer vector; expected 0");
    Ints x = in(n, 0, where), idx = in(n, 1, where);
    if (x.scalar()) throw new InputException(where + ": Gather from a scalar; expected a vector");
    List<Dim> out = new ArrayList<>();
    int len = x.values().size();
    for (Dim i : idx.values()) {
      if (!i.isConstant() || i.offset() < -len || i.offset() >= len) {
        throw new InputException(where + ": index " + i + " into " + len + " entries; expected a constant in [-" + len + ", " + len + ")");
      }
      out.add(x.values().get((int) (i.offset() < 0 ? i.offset() + len : i.offset())));
    }
    return new Ints(idx.scalar(), List.copyOf(out));
  }

  /** ONNX Slice (opset 10 up) on a vector: starts, ends[, axes[, steps]] as constant one-entry vectors. */
  private Ints slice(Onnx.Node n, String where) {
    Ints x = in(n, 0, where);
    if (x.scalar() || n.getInputCount() < 3) throw new InputException(where + ": expected a vector, starts and ends");
    long start = single(n, 1, where), end = single(n, 2, where);
    if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
      long axis = single(n, 3, where);
      if (axis != 0 && axis != -1) throw new InputException(where + ": axis " + axis + " of a vector; expected 0");
    }
    long step = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? single(n, 4, where) : 1;
    if (step == 0) throw new InputException(where + ": step 0; expected a non-zero step");
    long len = x.values().size();
    if (start < 0) start += len;
    if (end < 0) end += len;
    List<Dim> out = new ArrayList<>();
    if (step > 0) {
      start = Math.max(0, Math.min(len, start));
      end = Math.max(0, Math.min(len, end));
      for (long i = start; i < end; i = end - i > step ? i + step : end) out.add(x.values().get((int) i)); // no overflow past end
    } else {
      start = Math.max(-1, Math.min(len - 1, start));
      end = Math.max(-1, Math.min(len - 1, end));
      for (long i = start; i > end; i = i - end > -step ? i + step : end) out.add(x.values().get((int) i));
    }
    return new Ints(false, List.copyOf(out));
  }

  private long single(Onnx.Node n, int i, String where) {
    Ints v = in(n, i, where);
    if (v.values().size() != 1 || !v.values().get(0).isConstant()) {
      throw new InputException(where + ": input " + i + " is " + v.values() + "; expected one constant");
    }
    return v.values().get(0).offset();
  }

  /** Elementwise Add, Sub, Mul, Div with broadcasting of one-entry operands; Div truncates as ONNX's integer Div. */
  private Ints arithmetic(Onnx.Node n, String where) {
    if (n.getInputCount() != 2) throw new InputException(where + ": " + n.getInputCount() + " inputs; expected 2");
    Ints a = in(n, 0, where), b = in(n, 1, where);
    int len = Math.max(a.values().size(), b.values().size());
    if ((a.values().size() != len && a.values().size() != 1) || (b.values().size() != len && b.values().size() != 1)) {
      throw new InputException(where + ": operands of " + a.values().size() + " and " + b.values().size() + " entries do not broadcast");
    }
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < len; i++) {
      Dim x = a.values().get(a.values().size() == 1 ? 0 : i), y = b.values().get(b.values().size() == 1 ? 0 : i);
      out.add(switch (n.getOpType()) {
        case "Add" -> new Dim(x.batch() + y.batch(), x.offset() + y.offset());
        case "Sub" -> new Dim(x.batch() - y.batch(), x.offset() - y.offset());
        case "Mul" -> {
          if (!x.isConstant() && !y.isConstant()) {
            throw new InputException(where + ": " + x + " × " + y + " multiplies the batch size by itself; expected the batch size kept apart from the sample axes");
          }
          yield x.isConstant() ? new Dim(x.offset() * y.batch(), x.offset() * y.offset()) : new Dim(y.offset() * x.batch(), y.offset() * x.offset());
        }
        default -> {
          if (!y.isConstant() || y.offset() == 0) throw new InputException(where + ": " + x + " / " + y + "; expected a division by a non-zero constant");
          if (!x.isConstant() && (x.batch() % y.offset() != 0 || x.offset() % y.offset() != 0)) {
            throw new InputException(where + ": " + x + " / " + y + " is not a whole multiple of the batch size; expected the batch size kept apart from the sample axes");
          }
          yield new Dim(x.batch() / y.offset(), x.offset() / y.offset());
        }
      });
    }
    return new Ints(a.scalar() && b.scalar(), List.copyOf(out));
  }

  private Ints in(Onnx.Node n, int i, String where) {
    if (i >= n.getInputCount() || n.getInput(i).isEmpty()) throw new InputException(where + ": no input " + i);
    return get(n.getInput(i), where);
  }

  /** Unsqueeze/Squeeze axes: the second input (opset 13 up) or the attribute (below); null if neither. */
  private List<Long> axes(Onnx.Node n, String where) {
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      List<Long> a = new ArrayList<>();
      for (Dim d : in(n, 1, where).values()) {
        if (!d.isConstant()) throw new InputException(where + ": axis " + d + "; expected a constant");
        a.add(d.offset());
      }
      return a;
    }
    Onnx.Attribute a = attr(n, "axes");
    return a == null ? null : a.getIntsList();
  }

  private static Onnx.Attribute attr(Onnx.Node n, String name) {
    for (Onnx.Attribute a : n.getAttributeList()) if (a.getName().equals(name)) return a;
    return null;
  }

  private static long intAttr(Onnx.Node n, String name, long dflt, String where) {
    Onnx.Attribute a = attr(n, name);
    if (a == null) return dflt;
    if (a.getType() != Onnx.Attribute.Type.INT) throw new InputException(where + ": attribute " + name + " is " + a.getType() + "; expected INT");
    return a.getI();
  }
}
