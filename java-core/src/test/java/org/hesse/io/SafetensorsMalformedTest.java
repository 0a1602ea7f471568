package org.hesse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Malformed safetensors files (issue 11): each ends in {@link InputException} naming the file and what was
 * expected; non-finite weights are refused by tensor name when loaded into a network. Files are built by hand
 * (length, header bytes, data), independently of the writer.
 */
class SafetensorsMalformedTest {
  @TempDir Path dir;

  static byte[] file(byte[] header, double... f64) {
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + 8 * f64.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header);
    for (double v : f64) b.putDouble(v);
    return b.array();
  }

  static byte[] file(String header, double... f64) {
    return file(header.getBytes(StandardCharsets.UTF_8), f64);
  }

  static final String ONE = "{\"t\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";

  static Stream<Arguments> malformed() {
    byte[] latin1 = "{\"t\u00e9\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}".getBytes(StandardCharsets.ISO_8859_1);
    byte[] huge = new byte[16];
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
    return Stream.of(
        Arguments.of("trailing garbage after the header", file(ONE + "xyz", 1, 2), "header is not valid JSON"),
        Arguments.of("second object in the header", file(ONE + "{}", 1, 2), "header is not valid JSON"),
        Arguments.of("non-UTF-8 header", file(latin1, 1, 2), "header byte 3 (file offset 11) is not UTF-8"),
        Arguments.of("header length 2^64-1", huge, "header length 18446744073709551615 exceeds the file"),
        Arguments.of("fewer than 8 bytes", new byte[5], "truncated: 5 bytes"),
        Arguments.of("offsets past the data", file(ONE, 1), "out of range"),
        Arguments.of("shape and span disagree", file("{\"t\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,16]}}", 1, 2),
            "needs 24"),
        Arguments.of("shape overflows", file("{\"t\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", 1, 2),
            "overflows"),
        Arguments.of("unknown dtype", file("{\"t\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,16]}}", 1, 2),
            "unknown dtype 'Q7'"),
        Arguments.of("deep header nesting", file("[".repeat(500) + "]".repeat(500)), "nested deeper than 100 levels"),
        Arguments.of("header an array", file("[]"), "expected a JSON object"),
        Arguments.of("overlap", file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", 1, 2), "overlap"),
        Arguments.of("long tensor name", file("{\"" + "n".repeat(3000) + "\":{\"dtype\":\"Q\",\"shape\":[2],\"data_offsets\":[0,16]}}", 1, 2),
            "(3000 characters)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusedNamingTheFile(String name, byte[] content, String expected) throws IOException {
    Path p = dir.resolve("w.safetensors");
    Files.write(p, content);
    InputException e = assertThrows(InputException.class, () -> Safetensors.read(p));
    String m = e.getMessage();
    assertTrue(m.startsWith("safetensors " + p + ": "), m);
    assertTrue(m.contains(expected), m);
    assertFalse(m.contains("\n"), m);
    assertTrue(m.length() < 400, m.length() + ": " + m);
  }

  static Network dense() {
    return ModelFiles.network(ModelSpec.parse("{\"input\": 2, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": 1}]}"));
  }

  static Stream<Arguments> nonFinite() {
    return Stream.of(Arguments.of(Double.NaN, "NaN"), Arguments.of(Double.POSITIVE_INFINITY, "Infinity"),
        Arguments.of(Double.NEGATIVE_INFINITY, "-Infinity"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("nonFinite")
  void nonFiniteWeightsAreRefusedByTensor(double bad, String shown) throws IOException {
    Path p = dir.resolve("nan.safetensors");
    Safetensors.write(p, List.of(Tensor.f64("0.weight", new long[] {1, 2}, new double[] {0.5, bad}),
        Tensor.f64("0.bias", new long[] {1}, new double[] {0})));
    InputException e = assertThrows(InputException.class, () -> ModelFiles.readParameters(dense(), p));
    assertEquals("weights " + p + ": tensor '0.weight': element 1 (flat, row-major) is " + shown
        + "; expected finite weights", e.getMessage());
  }

  @Test
  void aTensorTheModelDoesNotHaveIsRefused() throws IOException {
    // as PyTorch's strict load_state_dict: an unexpected name means the weights belong to another model
    Path p = dir.resolve("extra.safetensors");
    Safetensors.write(p, List.of(Tensor.f64("0.weight", new long[] {1, 2}, new double[] {0.5, -0.25}),
        Tensor.f64("0.bias", new long[] {1}, new double[] {3}), Tensor.f64("9.weight", new long[] {1}, new double[] {1})));
    InputException e = assertThrows(InputException.class, () -> ModelFiles.readParameters(dense(), p));
    assertEquals("weights " + p + ": unexpected tensor '9.weight': the model has no such parameter or buffer (expected the "
        + "state-dict names of this model: 0.weight, 0.bias)", e.getMessage());
  }

  @Test
  void validEdgeCases() throws IOException {
    // header padded with spaces (as the reference writer aligns it), then the values
    Map<String, Tensor> t = Safetensors.decode(file(ONE + "      ", 1.5, -2), "(mem)").tensors();
    assertArrayEquals(new double[] {1.5, -2}, t.get("t").data(), 0.0);
    // an empty tensor and a scalar
    Map<String, Tensor> e = Safetensors.decode(file("{\"e\":{\"dtype\":\"F64\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
        + "\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}", 7), "(mem)").tensors();
    assertEquals(0, e.get("e").numel());
    assertArrayEquals(new double[] {7}, e.get("s").data(), 0.0);
    // finite weights load into the network unchanged
    Path p = dir.resolve("ok.safetensors");
    Safetensors.write(p, List.of(Tensor.f64("0.weight", new long[] {1, 2}, new double[] {0.5, -0.25}),
        Tensor.f64("0.bias", new long[] {1}, new double[] {3})));
    assertArrayEquals(new double[] {0.5, -0.25, 3}, ModelFiles.readParameters(dense(), p), 0.0);
  }
}
