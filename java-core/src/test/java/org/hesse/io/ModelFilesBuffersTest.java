package org.hesse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Dropout;
import org.hesse.nn.LayerNorm;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model JSON of the normalisation and dropout layers, and BN buffers in safetensors (PyTorch state-dict names). */
class ModelFilesBuffersTest {
  @TempDir
  Path dir;

  static final String JSON = "{\"input\": 12, \"input_shape\": [3, 2, 2], \"loss\": \"cross_entropy\", \"layers\": ["
      + "{\"type\": \"batchnorm\"}, {\"type\": \"layernorm\", \"eps\": 1e-3}, {\"type\": \"dense\", \"out\": 4},"
      + "{\"type\": \"batchnorm\", \"eps\": 0.001, \"momentum\": 0.2}, {\"type\": \"relu\"},"
      + "{\"type\": \"dropout\", \"p\": 0.25}, {\"type\": \"dense\", \"out\": 2}]}";

  @Test
  void modelJsonBuildsTheLayersWithPyTorchDefaultsAndWritesThemBack() {
    Network net = ModelFiles.network(ModelSpec.parse(JSON));
    BatchNorm bn2d = assertInstanceOf(BatchNorm.class, net.layer(0));
    assertEquals(3, bn2d.channels());
    assertEquals(4, bn2d.spatial());
    assertEquals(1e-5, bn2d.eps());
    assertEquals(0.1, bn2d.momentum());
    assertEquals(1e-3, assertInstanceOf(LayerNorm.class, net.layer(1)).eps());
    BatchNorm bn1d = assertInstanceOf(BatchNorm.class, net.layer(3));
    assertEquals(4, bn1d.channels());
    assertEquals(1, bn1d.spatial());
    assertEquals(0.2, bn1d.momentum());
    assertEquals(0.25, assertInstanceOf(Dropout.class, net.layer(5)).p());
    assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias",
        "6.weight", "6.bias"), new ArrayList<>(net.tensors().keySet()));
    assertArrayEquals(new int[] {3, 2, 2}, net.tensors().get("1.weight").shape, "LayerNorm weight has the sample shape");
    assertEquals(List.of("0.running_mean", "0.running_var", "0.num_batches_tracked", "3.running_mean",
        "3.running_var", "3.num_batches_tracked"), new ArrayList<>(net.bufferTensors().keySet()));
    assertEquals(0, net.bufferTensors().get("0.num_batches_tracked").shape.length, "a scalar, as in PyTorch");
    ModelSpec back = ModelFiles.spec(net);
    assertEquals(ModelFiles.spec(ModelFiles.network(back)), back, "describe → build → describe is stable");
    assertEquals(0.25, back.layers().get(5).doubleParam("p", -1));
    assertEquals(1e-5, back.layers().get(0).doubleParam("eps", -1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(
        "{\"input\": 2, \"loss\": \"mse\", \"layers\": [{\"type\": \"dropout\", \"p\": 2}]}")));
    assertTrue(e.getMessage().contains("layer 0 (dropout)") && e.getMessage().contains("'p'"), e.getMessage());
  }

  @Test
  void buffersRoundTripWithNumBatchesTrackedAsI64() throws IOException {
    Network net = ModelFiles.network(ModelSpec.parse(JSON));
    double[] theta = org.hesse.nn.Nets.gaussian(net.paramCount(), 1.0, 3);
    double[] buffers = org.hesse.nn.Nets.gaussian(net.bufferCount(), 1.0, 4);
    for (ParamTensor t : net.bufferTensors().values()) {
      if (t.name.endsWith("running_var")) for (int i = 0; i < t.size(); i++) buffers[t.offset + i] = 1 + i;
      if (t.name.endsWith("num_batches_tracked")) buffers[t.offset] = 1234;
    }
    Path f = dir.resolve("m.safetensors");
    ModelFiles.writeParameters(net, theta, buffers, f);
    Map<String, Tensor> read = Safetensors.read(f);
    assertEquals(List.of("0.weight", "0.bias", "0.running_mean", "0.running_var", "0.num_batches_tracked", "1.weight",
        "1.bias", "2.weight", "2.bias", "3.weight", "3.bias", "3.running_mean", "3.running_var",
        "3.num_batches_tracked", "6.weight", "6.bias"), new ArrayList<>(read.keySet()), "state-dict order");
    assertEquals("I64", read.get("3.num_batches_tracked").dtype());
    assertEquals("F64", read.get("3.running_var").dtype());
    assertArrayEquals(theta, ModelFiles.readParameters(net, f), 0.0);
    assertArrayEquals(buffers, ModelFiles.readBuffers(net, f), 0.0);
    // one read gives both, and the parameters' dtype (the buffers' I64 is not a parameter's)
    ModelFiles.Weights w = ModelFiles.readWeights(net, f);
    assertArrayEquals(theta, w.parameters(), 0.0);
    assertArrayEquals(buffers, w.buffers(), 0.0);
    assertEquals(java.util.Set.of("F64"), w.parameterDtypes());
  }

  @Test
  void readWeightsRefusesAsTheSeparateReadersDo() throws IOException {
    Network net = ModelFiles.network(ModelSpec.parse(JSON));
    double[] theta = org.hesse.nn.Nets.gaussian(net.paramCount(), 1.0, 6);
    Map<String, Tensor> tensors = new java.util.LinkedHashMap<>(ModelFiles.tensors(net, theta));
    tensors.put("0.running_var", Tensor.f64("0.running_var", new long[] {2}, new double[] {1, 2}));
    Path f = dir.resolve("bad-buffer.safetensors");
    Safetensors.write(f, tensors.values());
    InputException separate = assertThrows(InputException.class, () -> ModelFiles.readBuffers(net, f));
    InputException once = assertThrows(InputException.class, () -> ModelFiles.readWeights(net, f));
    assertEquals(separate.getMessage(), once.getMessage());
    tensors.remove("2.bias");
    Path g = dir.resolve("missing-parameter.safetensors");
    Safetensors.write(g, tensors.values());
    assertEquals(assertThrows(InputException.class, () -> ModelFiles.readParameters(net, g)).getMessage(),
        assertThrows(InputException.class, () -> ModelFiles.readWeights(net, g)).getMessage());
  }

  @Test
  void absentBuffersTakeTheirDefaults() throws IOException {
    Network net = ModelFiles.network(ModelSpec.parse(JSON));
    double[] theta = org.hesse.nn.Nets.gaussian(net.paramCount(), 1.0, 5);
    Path f = dir.resolve("params-only.safetensors");
    Safetensors.write(f, ModelFiles.tensors(net, theta).values());
    double[] b = ModelFiles.readBuffers(net, f);
    // running_mean 0, running_var 1, num_batches_tracked 0 for both BN layers (3 and 4 channels)
    assertArrayEquals(new double[] {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0}, b, 0.0);
    // one buffer given, the others default; a wrong shape is named
    Map<String, Tensor> partial = new java.util.LinkedHashMap<>(ModelFiles.tensors(net, theta));
    partial.put("3.running_mean", Tensor.f64("3.running_mean", new long[] {4}, new double[] {1, 2, 3, 4}));
    assertArrayEquals(new double[] {0, 0, 0, 1, 1, 1, 0, 1, 2, 3, 4, 1, 1, 1, 1, 0}, ModelFiles.buffers(net, partial), 0.0);
    partial.put("0.running_var", Tensor.f64("0.running_var", new long[] {2}, new double[] {1, 2}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.buffers(net, partial));
    assertTrue(e.getMessage().contains("0.running_var") && e.getMessage().contains("[3]"), e.getMessage());
    // the 3-argument writer stores the initial buffers, so the file is complete
    Path g = dir.resolve("defaults.safetensors");
    ModelFiles.writeParameters(net, theta, g);
    assertEquals(net.paramCount() + net.bufferCount(),
        Safetensors.read(g).values().stream().mapToInt(t -> t.data().length).sum());
    assertArrayEquals(net.initialBuffers(), ModelFiles.readBuffers(net, g), 0.0);
  }
}
