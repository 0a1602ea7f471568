package org.hesse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed model descriptions (issue 11's battery): each read from a file and built into a network must end in
 * {@link InputException}, one line naming the file and saying what was expected; valid edge cases build.
 */
class ModelSpecMalformedTest {
  @TempDir Path dir;

  static final String DENSE = "{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": 2}]}";

  /** {@code depth} residual blocks inside each other around a tanh. */
  static String nestedResiduals(int depth) {
    StringBuilder b = new StringBuilder("{\"input\": 3, \"loss\": \"mse\", \"layers\": [");
    for (int i = 0; i < depth; i++) b.append("{\"type\": \"residual\", \"layers\": [");
    b.append("{\"type\": \"tanh\"}");
    for (int i = 0; i < depth; i++) b.append("]}");
    return b.append("]}").toString();
  }

  static String mlp(long input, long... outs) {
    StringBuilder b = new StringBuilder("{\"input\": " + input + ", \"loss\": \"cross_entropy\", \"layers\": [");
    for (int i = 0; i < outs.length; i++) b.append(i > 0 ? ", " : "").append("{\"type\": \"dense\", \"out\": ").append(outs[i]).append("}");
    return b.append("]}").toString();
  }

  static Stream<Arguments> malformed() {
    byte[] weights = Safetensors.encode(List.of(Tensor.f64("0.weight", new long[] {2, 4}, new double[8])), Map.of());
    return Stream.of(
        Arguments.of("trailing garbage", bytes(DENSE + " xyz"), "not valid JSON"),
        Arguments.of("second object", bytes(DENSE + DENSE), "not valid JSON"),
        Arguments.of("safetensors given as description", weights, "binary data (byte 1 is 0x00); expected UTF-8 JSON text (is it the weights file?)"),
        Arguments.of("latin-1 byte", bytes("{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"d\u00e9nse\"}]}", "ISO-8859-1"), "not UTF-8 text"),
        Arguments.of("empty file", new byte[0], "expected a JSON object"),
        Arguments.of("array", bytes("[1, 2]"), "expected a JSON object"),
        Arguments.of("2000 nested residual blocks", bytes(nestedResiduals(2000)), "nested deeper than 100 levels"),
        Arguments.of("nested 40 residual blocks", bytes(nestedResiduals(40)), "layer lists nested deeper than 32 levels"),
        Arguments.of("dense width 10^9", bytes(mlp(4, 1_000_000_000L)), "more than one Java array holds"),
        Arguments.of("input 10^9", bytes(mlp(1_000_000_000L, 16)), "more than one Java array holds"),
        Arguments.of("layer 10^5 x 10^5", bytes(mlp(100_000, 100_000)), "more than one Java array holds"),
        Arguments.of("width 10^10", bytes(mlp(4, 10_000_000_000L)), "field 'out' must be a positive integer"),
        Arguments.of("parameter vector over the budget", bytes(mlp(40_000, 40_000)), "memory budget"),
        Arguments.of("conv huge padding", bytes("{\"input\": 4, \"loss\": \"mse\", \"input_shape\": [1, 2, 2], \"layers\": "
            + "[{\"type\": \"conv2d\", \"out_channels\": 2, \"kernel\": 1, \"padding\": 2000000000}]}"), "conv2d"),
        Arguments.of("conv huge channels", bytes("{\"input\": 784, \"loss\": \"mse\", \"input_shape\": [1, 28, 28], \"layers\": "
            + "[{\"type\": \"conv2d\", \"out_channels\": 100000000, \"kernel\": 3}]}"), "more than one Java array holds"),
        Arguments.of("unknown activation", bytes("{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"relux\"}]}"),
            "layer 0 (relux): unknown layer type, expected one of"),
        Arguments.of("NaN literal", bytes("{\"input\": NaN, \"loss\": \"mse\", \"layers\": []}"), "not valid JSON"),
        Arguments.of("huge string type", bytes("{\"input\": 4, \"loss\": \"mse\", \"layers\": [{\"type\": \"" + "q".repeat(5000) + "\"}]}"),
            "(5000 characters)"),
        Arguments.of("loss not known", bytes("{\"input\": 4, \"loss\": \"hinge\", \"layers\": [{\"type\": \"dense\", \"out\": 1}]}"),
            "field 'loss': expected one of [cross_entropy, mse]"),
        Arguments.of("duplicate key", bytes("{\"input\": 4, \"input\": 4, \"loss\": \"mse\", \"layers\": []}"), "Duplicate field"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusedNamingTheFile(String name, byte[] content, String expected) throws IOException {
    Path file = dir.resolve("model.json");
    Files.write(file, content);
    InputException e = assertThrows(InputException.class, () -> ModelFiles.readNetwork(file));
    String m = e.getMessage();
    assertTrue(m.contains(expected), m);
    assertFalse(m.contains("\n"), m);
    assertTrue(m.length() < 400, m.length() + ": " + m);
    assertTrue(m.startsWith("model description " + file + ": "), m);
  }

  @Test
  void parseErrorsNameTheFile() throws IOException {
    Path file = dir.resolve("m.json");
    Files.writeString(file, nestedResiduals(2000));
    InputException e = assertThrows(InputException.class, () -> ModelSpec.read(file));
    assertTrue(e.getMessage().startsWith("model description " + file + ": not valid JSON: nested deeper than 100 levels"),
        e.getMessage());
  }

  @Test
  void jacksonErrorsWithoutALocationAreStillOneLine() {
    // Jackson's nesting-depth error carries no location; an unknown location (NA) has line -1: neither is printed
    String depth = ModelSpec.jsonProblem(new com.fasterxml.jackson.core.exc.StreamConstraintsException("depth (101) exceeds"));
    assertEquals("nested deeper than 100 levels; expected at most 100 levels of objects and arrays", depth);
    String na = ModelSpec.jsonProblem(new com.fasterxml.jackson.core.JsonParseException(null, "Unexpected character",
        com.fasterxml.jackson.core.JsonLocation.NA));
    assertEquals("Unexpected character", na);
    String none = ModelSpec.jsonProblem(new com.fasterxml.jackson.core.JsonParseException(null, (String) null));
    assertEquals("JsonParseException", none);
  }

  @Test
  void validEdgeCasesBuild() throws IOException {
    // trailing whitespace and a final newline are not content
    Network n = ModelFiles.network(ModelSpec.parse(DENSE + " \n\t\n"));
    assertEquals(4 * 2 + 2, n.paramCount());
    // residual blocks nested 20 deep are within both limits; one tanh inside, no parameters
    Network deep = ModelFiles.network(ModelSpec.parse(nestedResiduals(20)));
    assertEquals(0, deep.paramCount());
    assertEquals(3, deep.outputSize());
    // a wide but budgeted layer: sizes in long arithmetic give the exact count
    Network wide = ModelFiles.network(ModelSpec.parse(mlp(3, 50_000)));
    assertEquals(3L * 50_000 + 50_000, wide.paramCount());
    assertArrayEquals(new int[] {3}, wide.inputShape());
  }

  @Test
  void nestingBeyondTheBuilderLimitIsRefusedWithoutJson() {
    // built directly (no JSON limit in the way): the builder's own limit
    LayerSpec inner = LayerSpec.of("tanh");
    for (int i = 0; i < ModelFiles.MAX_LAYER_NESTING + 2; i++) {
      inner = new LayerSpec("residual", null, Map.of("layers", List.of(Map.of("type", inner.type(), "layers",
          inner.extra().getOrDefault("layers", List.of())))));
    }
    LayerSpec top = inner;
    InputException e = assertThrows(InputException.class,
        () -> ModelFiles.network(new ModelSpec(3, "mse", List.of(top))));
    assertTrue(e.getMessage().contains("nested deeper than " + ModelFiles.MAX_LAYER_NESTING), e.getMessage());
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(String s, String charset) {
    return s.getBytes(java.nio.charset.Charset.forName(charset));
  }
}
