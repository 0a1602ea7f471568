package org.hesse.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hesse.io.InputException;
import org.hesse.io.onnx.ShapeArithmetic.Dim;
import org.hesse.io.onnx.proto.Onnx;
import org.junit.jupiter.api.Test;

/**
 * The shape ops torch.onnx.export's fixtures do not all use (Slice with negative steps, Squeeze, Cast, Div,
 * ConstantOfShape, Shape's start), on a hand-built graph over a value of sample shape [3, 4, 5]; the expected values
 * are ONNX's operator definitions worked by hand. The exported idioms themselves: OnnxImportTest, OnnxSpectrumTest.
 */
class ShapeArithmeticTest {
  final List<Onnx.Node> nodes = new ArrayList<>();
  final Map<String, Onnx.Tensor> inits = new HashMap<>();

  static final Dim B = Dim.BATCH;

  static Dim c(long v) {
    return Dim.of(v);
  }

  void init(String name, long... values) {
    Onnx.Tensor.Builder t = Onnx.Tensor.newBuilder().setName(name).setDataType(OnnxTensors.INT64).addDims(values.length);
    for (long v : values) t.addInt64Data(v);
    inits.put(name, t.build());
  }

  void scalar(String name, long value) {
    inits.put(name, Onnx.Tensor.newBuilder().setName(name).setDataType(OnnxTensors.INT64).addInt64Data(value).build());
  }

  Onnx.Node.Builder node(String op, String out, String... in) {
    Onnx.Node.Builder n = Onnx.Node.newBuilder().setName("/" + out).setOpType(op).addOutput(out);
    for (String i : in) n.addInput(i);
    return n;
  }

  void add(Onnx.Node.Builder n) {
    nodes.add(n.build());
  }

  static Onnx.Attribute intAttr(String name, long v) {
    return Onnx.Attribute.newBuilder().setName(name).setType(Onnx.Attribute.Type.INT).setI(v).build();
  }

  ShapeArithmetic shapes() {
    return new ShapeArithmetic(nodes, Map.of(), Map.of(), inits, v -> OnnxTensors.values(inits.get(v), null, v), (v, reader) -> {
      if (!v.equals("x")) throw new InputException(reader + ": '" + v + "' is not computed");
      return new int[] {3, 4, 5};
    });
  }

  List<Dim> value(String v) {
    return shapes().value(v, "test").values();
  }

  @Test
  void shapeOpsEvaluateWithTheBatchAsASymbol() {
    scalar("zero", 0);
    scalar("last", -1);
    init("axes0", 0);
    init("from2", 2);
    init("toEnd", Long.MAX_VALUE);
    init("from1", 1);
    scalar("two", 2);
    add(node("Shape", "s", "x"));
    add(node("Slice", "hw", "s", "from2", "toEnd")); // [4, 5]
    add(node("Gather", "h", "hw", "zero"));
    add(node("Gather", "w", "hw", "last"));
    add(node("Mul", "hTimesW", "h", "w")); // 20
    add(node("Slice", "cVec", "s", "from1", "from2")); // [3]
    add(node("Squeeze", "ch", "cVec", "axes0")); // 3
    add(node("Gather", "b", "s", "zero"));
    add(node("Cast", "b32", "b").addAttribute(intAttr("to", 6)));
    add(node("Mul", "twoB", "b32", "two"));
    add(node("Div", "bAgain", "twoB", "two")); // (2·batch) / 2
    add(node("Sub", "bMinus1", "b", "two").setInput(1, "from1")); // batch - 1 (a vector: broadcast)
    add(node("Unsqueeze", "bVec", "bAgain", "axes0"));
    add(node("Unsqueeze", "cV", "ch", "axes0"));
    add(node("Unsqueeze", "hwV", "hTimesW", "axes0"));
    add(node("Concat", "target", "bVec", "cV", "hwV").addAttribute(intAttr("axis", 0)));
    add(node("ConstantOfShape", "minusOnes", "from2").addAttribute(Onnx.Attribute.newBuilder().setName("value")
        .setType(Onnx.Attribute.Type.TENSOR).setT(Onnx.Tensor.newBuilder().setDataType(OnnxTensors.INT64).addDims(1).addInt64Data(-1))));
    init("minus1", -1);
    init("minus9", -9);
    add(node("Slice", "reversed", "s", "minus1", "minus9", "axes0", "minus1")); // steps -1, ends clamped to before 0
    add(node("Shape", "sampleOnly", "x").addAttribute(intAttr("start", 1)));

    assertEquals(List.of(B, c(3), c(20)), value("target"));
    assertEquals(new ShapeArithmetic.Ints(true, List.of(c(20))), shapes().value("hTimesW", "test"));
    assertEquals(List.of(new Dim(1, -1)), value("bMinus1"));
    assertEquals(List.of(c(-1), c(-1)), value("minusOnes"));
    assertEquals(List.of(c(5), c(4), c(3), B), value("reversed"));
    assertEquals(List.of(c(3), c(4), c(5)), value("sampleOnly"));
    assertEquals("batch-1", new Dim(1, -1).toString());
    assertEquals("2·batch", new Dim(2, 0).toString());
  }

  /** Arithmetic that leaves k·batch + c, indices out of range and rank-2 results are refused, naming the node. */
  @Test
  void refusals() {
    scalar("zero", 0);
    scalar("two", 2);
    scalar("nine", 9);
    init("axes0", 0);
    add(node("Shape", "s", "x"));
    add(node("Gather", "b", "s", "zero"));
    add(node("Mul", "bb", "b", "b"));
    add(node("Div", "half", "b", "two"));
    add(node("Div", "byZero", "two", "zero").setInput(1, "zero"));
    add(node("Gather", "far", "s", "nine"));
    add(node("Unsqueeze", "matrix", "s", "axes0"));
    add(node("Shape", "ofShape", "s"));
    String[][] cases = {
        {"bb", "node '/bb' (Mul): batch × batch multiplies the batch size by itself"},
        {"half", "node '/half' (Div): batch / 2 is not a whole multiple of the batch size"},
        {"byZero", "node '/byZero' (Div): 2 / 0; expected a division by a non-zero constant"},
        {"far", "node '/far' (Gather): index 9 into 4 entries"},
        {"matrix", "node '/matrix' (Unsqueeze): Unsqueeze of a vector along [0]"},
        {"ofShape", "node '/ofShape' (Shape): 's' is not computed"},
        {"x", "test: 'x' is not an integer value computed from shapes and constants"},
    };
    for (String[] k : cases) {
      InputException e = assertThrows(InputException.class, () -> shapes().value(k[0], "test"), k[0]);
      assertTrue(e.getMessage().startsWith(k[1]), e.getMessage());
    }
  }
}
