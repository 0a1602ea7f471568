package org.hesse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Graph descriptions ("nodes"): names, inputs, defaults, round trip, and every refusal naming the node. */
class GraphModelFilesTest {
  static final String CONCAT = """
      {"input": 4, "loss": "mse", "nodes": [
        {"name": "stem", "type": "dense", "out": 5},
        {"name": "act", "type": "tanh"},
        {"name": "a", "type": "dense", "out": 3},
        {"name": "b", "type": "dense", "inputs": ["act"], "out": 2},
        {"name": "cat", "type": "concat", "inputs": ["a", "b"]},
        {"name": "head", "type": "dense", "out": 2}]}""";

  @Test
  void namesInputsAndTensors() {
    Network net = ModelFiles.network(ModelSpec.parse(CONCAT));
    assertEquals(List.of("stem.weight", "stem.bias", "a.weight", "a.bias", "b.weight", "b.bias", "head.weight", "head.bias"),
        List.copyOf(net.tensors().keySet()));
    assertEquals(6, net.depth());
    assertEquals("cat", net.layerName(4));
    assertArrayEquals(new int[] {3, 4}, net.node(4).inputs());  // the outputs of a and b (activations 3 and 4)
    assertEquals(List.of(0, 2, 3, 5), net.parametrisedLayers());
    assertEquals(3, net.layerIndex("b"));
    assertFalse(net.layerList());
  }

  @Test
  void unnamedNodesAreNumberedAndChained() {
    Network net = ModelFiles.network(ModelSpec.parse(
        "{\"input_shape\": [2, 3], \"loss\": \"mse\", \"nodes\": [{\"type\": \"dense\", \"out\": 4}, {\"type\": \"token_mean\"}]}"));
    assertEquals(List.of("0.weight", "0.bias"), List.copyOf(net.tensors().keySet()));
    assertArrayEquals(new int[] {2, 4}, net.activationShape(1));  // token-wise on [T, D]
    assertEquals(4, net.outputSize());
  }

  @Test
  void roundTripsThroughItsDescription() {
    Network net = ModelFiles.network(ModelSpec.parse(CONCAT));
    ModelSpec again = ModelFiles.spec(net);
    assertTrue(again.graph());
    Network rebuilt = ModelFiles.network(ModelSpec.parse(again.toJson()));
    assertEquals(net.tensors().keySet(), rebuilt.tensors().keySet());
    for (int j = 0; j < net.nodeCount(); j++) assertArrayEquals(net.node(j).inputs(), rebuilt.node(j).inputs());
  }

  static Stream<Arguments> badGraphs() {
    String head = "{\"input\": 3, \"loss\": \"mse\", \"nodes\": [";
    return Stream.of(
        Arguments.of("cycle", head + "{\"name\": \"a\", \"type\": \"dense\", \"out\": 3, \"inputs\": [\"b\"]},"
            + "{\"name\": \"b\", \"type\": \"dense\", \"out\": 3, \"inputs\": [\"a\"]}]}",
            "node 'a' (dense): input 'b' is this node or a later one (a cycle or forward reference"),
        Arguments.of("self loop", head + "{\"name\": \"a\", \"type\": \"tanh\", \"inputs\": [\"a\"]}]}",
            "node 'a' (tanh): input 'a' is this node or a later one"),
        Arguments.of("dangling input", head + "{\"name\": \"a\", \"type\": \"dense\", \"out\": 3, \"inputs\": [\"nowhere\"]}]}",
            "node 'a' (dense): input 'nowhere' names no node (expected 'input' or an earlier node's name)"),
        Arguments.of("duplicate name", head + "{\"name\": \"a\", \"type\": \"tanh\"}, {\"name\": \"a\", \"type\": \"relu\"}]}",
            "node 'a' (relu): duplicate name"),
        Arguments.of("fan-in shape mismatch", head + "{\"name\": \"a\", \"type\": \"dense\", \"out\": 4},"
            + "{\"name\": \"s\", \"type\": \"add\", \"inputs\": [\"input\", \"a\"]}]}",
            "node 's' (add): input 1 has shape [4], expected [3]"),
        Arguments.of("concat mismatch", "{\"input_shape\": [2, 3], \"loss\": \"mse\", \"nodes\": ["
            + "{\"name\": \"a\", \"type\": \"dense\", \"out\": 4},"
            + "{\"name\": \"c\", \"type\": \"concat\", \"axis\": 0, \"inputs\": [\"input\", \"a\"]}]}",
            "node 'c' (concat): concat: input 1 has shape [2, 4], expected [2, 3] except on axis 0"),
        Arguments.of("unknown op", head + "{\"name\": \"z\", \"type\": \"conv9\"}]}",
            "node 'z' (conv9): unknown op, expected one of ["),
        Arguments.of("matmul shapes", "{\"input_shape\": [2, 3], \"loss\": \"mse\", \"nodes\": ["
            + "{\"name\": \"m\", \"type\": \"matmul\", \"inputs\": [\"input\", \"input\"]}]}",
            "node 'm' (matmul): matmul: expected inputs [T, K] and [K, S], got [2, 3] and [2, 3]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badGraphs")
  void refusedInOneLineNamingTheNode(String what, String json, String expected) {
    InputException e = assertThrows(InputException.class, () -> ModelFiles.network(ModelSpec.parse(json), "model description m.json"));
    assertTrue(e.getMessage().startsWith("model description m.json: " + expected), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
