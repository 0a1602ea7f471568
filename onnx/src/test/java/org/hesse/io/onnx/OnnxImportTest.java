package org.hesse.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.hesse.io.InputException;
import org.hesse.io.onnx.proto.Onnx;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer's structure and its refusals, on a real export (mlp.onnx: Gemm, Tanh, Gemm, Relu, Gemm from
 * torch.onnx.export) and mutations of it. The numbers of imported models are checked against PyTorch float64 in the
 * cli module's OnnxSpectrumTest.
 */
class OnnxImportTest {
  static final Path FIXTURES = Path.of("src", "test", "resources", "org", "hesse", "io", "onnx");

  @TempDir Path dir;

  static Onnx.Model mlp() throws IOException {
    return Onnx.Model.parseFrom(Files.readAllBytes(FIXTURES.resolve("mlp.onnx")));
  }

  static OnnxImport.Imported decode(Onnx.Model m) {
    return OnnxImport.decode(m.toByteArray(), null, "cross_entropy", "ONNX model m.onnx");
  }

  /** A mutation of the graph must be refused with one line naming the file and containing {@code what}. */
  static void refused(UnaryOperator<Onnx.Graph.Builder> mutate, String what) throws IOException {
    Onnx.Model.Builder m = mlp().toBuilder();
    m.setGraph(mutate.apply(m.getGraph().toBuilder()));
    InputException e = assertThrows(InputException.class, () -> {
      OnnxImport.Imported imp = decode(m.build());
      Network net = imp.network();
      imp.parameters(net);
    });
    assertTrue(e.getMessage().startsWith("ONNX model m.onnx: "), e.getMessage());
    assertTrue(e.getMessage().contains(what), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  static int initializer(Onnx.Graph.Builder g, String name) {
    for (int i = 0; i < g.getInitializerCount(); i++) if (g.getInitializer(i).getName().equals(name)) return i;
    throw new AssertionError(name);
  }

  @Test
  void mlpBecomesStateDictNamedNodes() throws IOException {
    OnnxImport.Imported imp = decode(mlp());
    Network net = imp.network();
    assertEquals(java.util.List.of(0, 2, 4), net.parametrisedLayers());
    assertEquals("0", net.layerName(0));
    assertEquals(java.util.List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"), java.util.List.copyOf(net.tensors().keySet()));
    // the weights are the initializers' float64 values, unchanged
    Onnx.Tensor w = mlp().getGraph().getInitializer(0);
    double[] theta = imp.parameters(net);
    java.nio.ByteBuffer raw = w.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 35; i++) assertEquals(raw.getDouble(), theta[net.tensors().get(w.getName()).offset + i]);
  }

  @Test
  void externalDataReadsTheSameWeights() throws IOException {
    Onnx.Model m = mlp();
    Onnx.Graph.Builder g = m.getGraph().toBuilder();
    int k = initializer(g, "2.weight");
    byte[] bytes = g.getInitializer(k).getRawData().toByteArray();
    byte[] padded = new byte[bytes.length + 16];
    System.arraycopy(bytes, 0, padded, 16, bytes.length);
    Files.write(dir.resolve("weights.bin"), padded);
    g.setInitializer(k, g.getInitializer(k).toBuilder().clearRawData().setDataLocation(Onnx.Tensor.DataLocation.EXTERNAL)
        .addExternalData(Onnx.StringStringEntry.newBuilder().setKey("location").setValue("weights.bin"))
        .addExternalData(Onnx.StringStringEntry.newBuilder().setKey("offset").setValue("16"))
        .addExternalData(Onnx.StringStringEntry.newBuilder().setKey("length").setValue(Integer.toString(bytes.length))));
    Path file = dir.resolve("ext.onnx");
    Files.write(file, m.toBuilder().setGraph(g).build().toByteArray());
    OnnxImport.Imported ext = OnnxImport.read(file, "cross_entropy"), plain = decode(m);
    Network net = plain.network();
    assertArrayEquals(plain.parameters(net), ext.parameters(ext.network()));

    // a location outside the model's folder, a missing file and a short file are refused
    for (String[] bad : new String[][] {{"../weights.bin", "leaves the model's folder"}, {"nope.bin", "does not exist"}}) {
      Onnx.Graph.Builder h = g.clone();
      h.setInitializer(k, h.getInitializer(k).toBuilder().setExternalData(0, Onnx.StringStringEntry.newBuilder().setKey("location").setValue(bad[0])));
      Files.write(file, m.toBuilder().setGraph(h).build().toByteArray());
      InputException e = assertThrows(InputException.class, () -> OnnxImport.read(file, "cross_entropy"));
      assertTrue(e.getMessage().contains(bad[1]) && e.getMessage().contains("2.weight"), e.getMessage());
    }
    Files.write(dir.resolve("weights.bin"), new byte[20]);
    Files.write(file, m.toBuilder().setGraph(g).build().toByteArray());
    InputException e = assertThrows(InputException.class, () -> OnnxImport.read(file, "cross_entropy"));
    assertTrue(e.getMessage().contains("has 20 bytes"), e.getMessage());
  }

  @Test
  void unsupportedOpsAreListedInOneLine() throws IOException {
    refused(g -> g.setNode(1, g.getNode(1).toBuilder().setOpType("LSTM"))
        .setNode(3, g.getNode(3).toBuilder().setOpType("Foo").setDomain("com.example")),
        "unsupported ONNX ops: node '/1/Tanh' (LSTM), node '/3/Relu' (com.example:Foo); supported: [");
  }

  @Test
  void malformedModelsAreRefused() throws IOException {
    byte[] bytes = mlp().toByteArray();
    InputException e = assertThrows(InputException.class,
        () -> OnnxImport.decode(java.util.Arrays.copyOf(bytes, bytes.length / 2), null, "mse", "ONNX model m.onnx"));
    assertTrue(e.getMessage().startsWith("ONNX model m.onnx: not a readable ONNX model (protobuf: "), e.getMessage());
    assertThrows(InputException.class, () -> OnnxImport.decode(bytes, null, "hinge", "m"));

    refused(g -> g.removeInitializer(initializer(g, "2.weight")), "input '2.weight' is neither the graph input, an initializer nor a node's output (a missing initializer?)");
    refused(g -> g.setInitializer(0, g.getInitializer(0).toBuilder().setDataType(8)), "initializer '0.weight': data type 8 is not supported");
    refused(g -> g.setInitializer(0, g.getInitializer(0).toBuilder().setRawData(ByteString.copyFrom(new byte[12]))), "raw_data has 12 bytes; expected 35 elements");
    // a cycle: the first Gemm reads the last node's output
    refused(g -> g.setNode(0, g.getNode(0).toBuilder().setInput(0, g.getNode(g.getNodeCount() - 1).getOutput(0))), "a cycle, or nodes not in topological order");
    // shapes: a bias of the wrong length; a weight whose input width does not match the data
    refused(g -> g.setInitializer(initializer(g, "0.bias"), g.getInitializer(initializer(g, "0.bias")).toBuilder().setDims(0, 5)
        .setRawData(ByteString.copyFrom(new byte[40]))), "bias '0.bias' has 5 values; expected 7");
    refused(g -> g.setInitializer(0, g.getInitializer(0).toBuilder().setDims(1, 4).setRawData(ByteString.copyFrom(new byte[7 * 4 * 8]))), "0.weight");
    // huge declared sizes: checked before anything is allocated
    refused(g -> g.setInitializer(0, g.getInitializer(0).toBuilder().setDims(0, 1L << 40).setDims(1, 1L << 40)), "exceed");
    refused(g -> g.setInput(0, g.getInput(0).toBuilder().setType(g.getInput(0).getType().toBuilder()
        .setTensorType(g.getInput(0).getType().getTensorType().toBuilder().setShape(Onnx.Shape.newBuilder()
            .addDim(Onnx.Shape.Dimension.newBuilder().setDimValue(12)).addDim(Onnx.Shape.Dimension.newBuilder().setDimValue(1L << 40)))))),
        "expected a fixed size between 1 and");
    // wrong attribute types and settings Hesse does not have
    refused(g -> g.setNode(0, g.getNode(0).toBuilder().clearAttribute().addAttribute(Onnx.Attribute.newBuilder().setName("transB")
        .setType(Onnx.Attribute.Type.FLOAT).setF(1))), "attribute transB is FLOAT; expected INT");
    refused(g -> g.setNode(0, g.getNode(0).toBuilder().clearAttribute()), "expected transA=0, transB=1");
    refused(g -> g.clearOutput(), "0 outputs; expected 1");
  }

  /** nn.MultiheadAttention's scope must be self-attention with one input and one output. */
  @Test
  void attentionScopeWithASecondInputIsRefused() throws IOException {
    Onnx.Model m = Onnx.Model.parseFrom(Files.readAllBytes(FIXTURES.resolve("torch_encoder.onnx")));
    Onnx.Graph.Builder g = m.getGraph().toBuilder();
    int shape = -1;
    for (int i = 0; i < g.getNodeCount(); i++) if (g.getNode(i).getName().equals("/layer/self_attn/Shape")) shape = i;
    assertTrue(shape >= 0, "the export has its Shape node");
    g.setNode(shape, g.getNode(shape).toBuilder().setInput(0, "input"));
    InputException e = assertThrows(InputException.class, () -> decode(m.toBuilder().setGraph(g).build()));
    assertTrue(e.getMessage().contains("nn.MultiheadAttention 'layer.self_attn'") && e.getMessage().contains("reads 2 computed values"), e.getMessage());
    // unchanged, it imports as one attention layer with PyTorch's four tensors
    Network net = decode(m).network();
    int k = net.layerIndex("layer.self_attn");
    assertEquals(java.util.List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
        net.layer(k).paramTensors().stream().map(t -> t.name).toList());
  }

  /**
   * h2.weight = h1.weight exports as one initializer read by both Linears (Gemm; MatMul(x, Transpose(W)); with
   * constant folding one Wᵀ, the second read through an Identity): h2 shares h1's tensor, which is read once. Read
   * as W by one node and as a folded Wᵀ by the other is refused, not guessed. Numbers: OnnxSpectrumTest.
   */
  @Test
  void anInitializerReadTwiceIsOneSharedTensor() throws IOException {
    for (String name : java.util.List.of("tied_mlp", "tied_tokens", "tied_tokens_folded")) {
      OnnxImport.Imported imp = decode(fixture(name));
      Network net = imp.network();
      assertEquals(java.util.Map.of("h2.weight", "h1.weight"), net.tiedTensors(), name);
      assertEquals(java.util.Set.of("h1.weight", "h1.bias", "h2.bias", "head.weight", "head.bias"), imp.tensors().keySet(), name);
      assertEquals(20 + 4 + 15, imp.parameters(net).length, name);
    }
    refusedIn("tied_tokens", "cross_entropy", g -> {
      int k = node(g, "/h2/MatMul");
      return g.setNode(k, g.getNode(k).toBuilder().setInput(1, "h1.weight"));
    }, "initializer 'h1.weight' is read by tensor 'h1.weight' and, transposed, by 'h2.weight'");
  }

  static Onnx.Model fixture(String name) throws IOException {
    return Onnx.Model.parseFrom(Files.readAllBytes(FIXTURES.resolve(name + ".onnx")));
  }

  /** The fixture {@code name}, mutated, imported under {@code loss}: refused in one line naming the file and {@code what}. */
  static void refusedIn(String name, String loss, UnaryOperator<Onnx.Graph.Builder> mutate, String what) throws IOException {
    Onnx.Model.Builder m = fixture(name).toBuilder();
    m.setGraph(mutate.apply(m.getGraph().toBuilder()));
    InputException e = assertThrows(InputException.class, () -> {
      OnnxImport.Imported imp = OnnxImport.decode(m.build().toByteArray(), null, loss, "ONNX model m.onnx");
      imp.parameters(imp.network());
    });
    assertTrue(e.getMessage().startsWith("ONNX model m.onnx: "), e.getMessage());
    assertTrue(e.getMessage().contains(what), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  static int node(Onnx.Graph.Builder g, String name) {
    for (int i = 0; i < g.getNodeCount(); i++) if (g.getNode(i).getName().equals(name)) return i;
    throw new AssertionError(name);
  }

  /** g with Constant node {@code name} holding the int64 {@code values} (a scalar when {@code scalar}). */
  static Onnx.Graph.Builder setConstant(Onnx.Graph.Builder g, String name, boolean scalar, long... values) {
    Onnx.Tensor.Builder t = Onnx.Tensor.newBuilder().setDataType(7);
    if (!scalar) t.addDims(values.length);
    for (long v : values) t.addInt64Data(v);
    int k = node(g, name);
    return g.setNode(k, g.getNode(k).toBuilder().clearAttribute().addAttribute(Onnx.Attribute.newBuilder().setName("value")
        .setType(Onnx.Attribute.Type.TENSOR).setT(t)));
  }

  static java.util.List<String> types(OnnxImport.Imported imp) {
    return imp.spec().layers().stream().map(org.hesse.io.LayerSpec::type).toList();
  }

  /**
   * The reshape idioms, exported with a fixed batch (12) and with dynamic_axes, become the graph engine's per-sample
   * flatten / reshape (their numbers against PyTorch: OnnxSpectrumTest).
   */
  @Test
  void shapeIdiomsBecomePerSampleNodes() throws IOException {
    for (String idiom : new String[] {"view", "reshape", "flatten", "view_m1"}) {
      for (String name : new String[] {"idiom_" + idiom, "idiom_" + idiom + "_dyn"}) {
        assertEquals(java.util.List.of("conv2d", "relu", "flatten", "dense"), types(decode(fixture(name))), name);
      }
    }
    for (String name : new String[] {"idiom_tokens", "idiom_tokens_dyn"}) {
      OnnxImport.Imported imp = decode(fixture(name));
      assertEquals(java.util.List.of("conv2d", "relu", "reshape", "transpose", "dense", "tanh", "token_mean", "dense"), types(imp), name);
      assertEquals(java.util.List.of(3, 16), imp.spec().layers().get(2).extra().get("shape"), name);
      assertTrue(imp.notes().isEmpty(), name);
    }
    // x.mean(dim=(2, 3)) is global average pooling; the trailing LogSoftmax is dropped under cross-entropy, with a note
    OnnxImport.Imported gap = decode(fixture("idiom_gap_dyn"));
    assertEquals(java.util.List.of("conv2d", "relu", "avgpool2d", "flatten", "dense"), types(gap));
    assertEquals(1, gap.notes().size(), gap.notes().toString());
    assertTrue(gap.notes().get(0).contains("node '/LogSoftmax' (LogSoftmax) dropped"), gap.notes().get(0));
    // x.view(b, c, -1).mean(-1): the mean over the last axis of [C, L]
    assertEquals(java.util.List.of("conv2d", "relu", "reshape", "transpose", "token_mean", "dense"), types(decode(fixture("idiom_mean_last_dyn"))));
  }

  /** A reshape target that lets the batch mix with the sample axes is refused in one line naming the node. */
  @Test
  void batchMixingReshapesAreRefused() throws IOException {
    // x.view(x.size(1), -1): axis 0 is no longer the batch
    refusedIn("idiom_view_dyn", "cross_entropy", g -> setConstant(g, "/Constant", true, 1),
        "node '/Reshape' (Reshape): target shape [3, -1] for samples of shape [3, 4, 4] does not keep the batch axis");
    // x.view(b, b): the batch at a sample axis
    refusedIn("idiom_view_dyn", "cross_entropy", g -> g.setNode(node(g, "/Unsqueeze_1"), g.getNode(node(g, "/Unsqueeze_1")).toBuilder()
        .setInput(0, "/Gather_output_0")), "target shape [batch, batch] has batch at axis 1, which mixes the batch with the sample axes");
    // h*w computed as b*b
    refusedIn("idiom_tokens_dyn", "cross_entropy", g -> g.setNode(node(g, "/Mul"), g.getNode(node(g, "/Mul")).toBuilder()
        .setInput(0, "/Gather_output_0").setInput(1, "/Gather_output_0")), "node '/Mul' (Mul): batch × batch multiplies the batch size by itself");
    // a fixed-batch export (12) reshaped to 6 rows
    refusedIn("idiom_view", "cross_entropy", g -> setConstant(g, "/Constant", true, 6),
        "target shape [6, -1] for samples of shape [3, 4, 4] does not keep the batch axis (x.size(0), 0, -1 with 48 elements after it, or the exported batch 12)");
    // the same with the batch declared dynamic: 12 is the trace's batch (as len(x) exports)
    refusedIn("idiom_view", "cross_entropy", g -> g.setInput(0, g.getInput(0).toBuilder().setType(g.getInput(0).getType().toBuilder()
        .setTensorType(g.getInput(0).getType().getTensorType().toBuilder().setShape(g.getInput(0).getType().getTensorType().getShape()
            .toBuilder().setDim(0, Onnx.Shape.Dimension.newBuilder().setDimParam("batch")))))),
        "target shape [12, -1] for samples of shape [3, 4, 4] does not keep the batch axis (x.size(0), 0, -1 with 48 elements after it); "
            + "a fixed 12 in a dynamic-batch export is the trace's batch (len(x) or a Python int): write x.size(0) or -1");
    // x.view(-1, 24): two rows per sample
    refusedIn("idiom_view_m1_dyn", "cross_entropy", g -> setConstant(g, "/Constant", false, -1, 24), "target shape [-1, 24]");
    // a target computed from the data
    refusedIn("idiom_view_dyn", "cross_entropy", g -> g.setNode(node(g, "/Reshape"), g.getNode(node(g, "/Reshape")).toBuilder()
        .setInput(1, "/Relu_output_0")), "node '/Reshape' (Reshape): '/Relu_output_0' is not an integer value computed from shapes and constants");
    // x.mean(dim=0): a mean over the batch
    refusedIn("idiom_gap", "cross_entropy", g -> g.setNode(node(g, "/ReduceMean"), g.getNode(node(g, "/ReduceMean")).toBuilder()
        .clearAttribute().addAttribute(Onnx.Attribute.newBuilder().setName("axes").setType(Onnx.Attribute.Type.INTS).addInts(0))),
        "node '/ReduceMean' (ReduceMean): axes [0]; expected sample axes (a mean over the batch axis 0 mixes samples)");
    // a mean over the channels of [C, H, W]
    refusedIn("idiom_gap", "cross_entropy", g -> g.setNode(node(g, "/ReduceMean"), g.getNode(node(g, "/ReduceMean")).toBuilder()
        .clearAttribute().addAttribute(Onnx.Attribute.newBuilder().setName("axes").setType(Onnx.Attribute.Type.INTS).addInts(1))
        .addAttribute(Onnx.Attribute.newBuilder().setName("keepdims").setType(Onnx.Attribute.Type.INT).setI(0))),
        "node '/ReduceMean' (ReduceMean): mean over axes [1] of samples [3, 4, 4]; expected the tokens of [T, D] (dim=1)");
    // shape arithmetic on data is not read
    refusedIn("idiom_view_dyn", "cross_entropy", g -> g.setNode(node(g, "/Gather"), g.getNode(node(g, "/Gather")).toBuilder()
        .setInput(0, "/Relu_output_0")), "node '/Gather' (Gather): only supported inside a pattern");
  }

  /** LogSoftmax only as the last op under cross-entropy; a model ending in Softmax is refused under cross-entropy. */
  @Test
  void logSoftmaxAndSoftmaxOutputs() throws IOException {
    refusedIn("idiom_gap", "mse", g -> g, "node '/LogSoftmax' (LogSoftmax): a trailing LogSoftmax under --loss mse");
    refusedIn("idiom_gap", "cross_entropy", g -> {
      int k = node(g, "/LogSoftmax");
      g.setNode(k, g.getNode(k).toBuilder().setOutput(0, "logp"));
      return g.addNode(Onnx.Node.newBuilder().setName("/Relu2").setOpType("Relu").addInput("logp").addOutput("output"));
    }, "node '/LogSoftmax' (LogSoftmax): LogSoftmax inside the graph");
    UnaryOperator<Onnx.Graph.Builder> softmax = g -> g.setNode(node(g, "/LogSoftmax"), g.getNode(node(g, "/LogSoftmax")).toBuilder().setOpType("Softmax"));
    refusedIn("idiom_gap", "cross_entropy", softmax, "the model's output is Softmax node '/LogSoftmax' and --loss cross_entropy applies log-softmax itself");
    Onnx.Model.Builder m = fixture("idiom_gap").toBuilder();
    m.setGraph(softmax.apply(m.getGraph().toBuilder()));
    OnnxImport.Imported probabilities = OnnxImport.decode(m.build().toByteArray(), null, "mse", "m");
    assertEquals(java.util.List.of("conv2d", "relu", "avgpool2d", "flatten", "dense", "softmax"), types(probabilities));
  }

  /**
   * Mutations of real exports (every truncation length in steps, seeded byte flips): each is imported, or refused
   * with a one-line InputException; any other exception fails. The long run is the Jazzer target OnnxFuzzTest (-Pfuzz).
   */
  @Test
  void mutationsGiveOnlyInputErrors() throws IOException {
    for (String name : new String[] {"mlp.onnx", "conv_bn.onnx", "torch_encoder.onnx", "idiom_tokens_dyn.onnx", "idiom_gap.onnx"}) {
      byte[] bytes = Files.readAllBytes(FIXTURES.resolve(name));
      for (int len = 0; len < bytes.length; len += 7) onlyInputErrors(java.util.Arrays.copyOf(bytes, len));
      java.util.Random r = new java.util.Random(12);
      for (int t = 0; t < 1500; t++) {
        byte[] b = bytes.clone();
        int flips = 1 + r.nextInt(3);
        for (int f = 0; f < flips; f++) b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
        onlyInputErrors(b);
      }
    }
  }

  /**
   * Structured mutations of the shape arithmetic of a real export (x.view(b, c, h*w) in idiom_tokens_dyn): integer
   * constants set to edge values, a node's input rewired to another value, an op type swapped for another shape op;
   * each is imported or refused with a one-line InputException.
   */
  @Test
  void shapeArithmeticMutationsGiveOnlyInputErrors() throws IOException {
    Onnx.Graph base = fixture("idiom_tokens_dyn").getGraph();
    java.util.List<String> values = new java.util.ArrayList<>(java.util.List.of("input", ""));
    for (Onnx.Node n : base.getNodeList()) values.addAll(n.getOutputList());
    long[] edge = {Long.MIN_VALUE, -9, -2, -1, 0, 1, 2, 3, 16, 48, 1L << 31, Long.MAX_VALUE};
    String[] ops = ShapeArithmetic.OPS.toArray(String[]::new);
    java.util.Random r = new java.util.Random(7);
    for (int t = 0; t < 500; t++) {
      Onnx.Graph.Builder g = base.toBuilder();
      for (int f = 0, flips = 1 + r.nextInt(3); f < flips; f++) {
        int k = r.nextInt(g.getNodeCount());
        Onnx.Node.Builder n = g.getNode(k).toBuilder();
        switch (r.nextInt(3)) {
          case 0 -> {
            if (n.getOpType().equals("Constant")) {
              Onnx.Tensor.Builder v = Onnx.Tensor.newBuilder().setDataType(OnnxTensors.INT64);
              int len = r.nextInt(3);
              if (len > 0 || r.nextBoolean()) v.addDims(len);
              for (int i = 0; i < Math.max(len, 1); i++) v.addInt64Data(edge[r.nextInt(edge.length)]);
              if (len == 0 && v.getDimsCount() > 0) v.clearInt64Data();
              n.clearAttribute().addAttribute(Onnx.Attribute.newBuilder().setName("value").setType(Onnx.Attribute.Type.TENSOR).setT(v));
            }
          }
          case 1 -> {
            if (n.getInputCount() > 0) n.setInput(r.nextInt(n.getInputCount()), values.get(r.nextInt(values.size())));
          }
          default -> {
            if (ShapeArithmetic.OPS.contains(n.getOpType())) n.setOpType(ops[r.nextInt(ops.length)]);
          }
        }
        g.setNode(k, n);
      }
      onlyInputErrors(fixture("idiom_tokens_dyn").toBuilder().setGraph(g).build().toByteArray());
    }
  }

  static void onlyInputErrors(byte[] bytes) {
    try {
      OnnxImport.Imported imp = OnnxImport.decode(bytes, null, "cross_entropy", "ONNX model m.onnx");
      Network net = imp.network();
      imp.parameters(net);
      imp.buffers(net);
    } catch (InputException e) {
      assertFalse(e.getMessage() == null || e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
