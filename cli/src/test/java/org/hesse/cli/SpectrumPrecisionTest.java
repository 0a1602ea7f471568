package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.io.ModelFiles;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spectrum --precision}: the default follows the weights' dtype, f32 and f64 give the same top eigenvalues and
 * traces to 1e-5 relative (float32 storage, float64 reductions: see Float32CurvatureTest for the bound), also on a
 * graph with fan-out and batch norm, and a model without a float32 path (an external op) is refused in f32 with one
 * line.
 */
class SpectrumPrecisionTest {
  @TempDir Path dir;
  static final int N = 40;
  double[] theta;

  /** A model with float32 weights (θ rounded to float, stored as F32; buffers too) and cross-entropy data. */
  String[] write(Network net) throws IOException {
    return write(net, N);
  }

  /** As above with n samples. */
  String[] write(Network net, int n) throws IOException {
    theta = Init.PYTORCH.init(net, 7);
    List<Tensor> f32 = new ArrayList<>();
    var tensors = net.bufferCount() > 0 ? ModelFiles.tensors(net, theta, net.initialBuffers()) : ModelFiles.tensors(net, theta);
    for (Tensor t : tensors.values()) {
      if (!t.dtype().equals("F64")) {  // BN's num_batches_tracked (I64) as it is
        f32.add(t);
        continue;
      }
      double[] d = t.data().clone();
      for (int i = 0; i < d.length; i++) d[i] = (float) d[i];
      f32.add(new Tensor(t.name(), "F32", t.shape(), d));
    }
    Path m = dir.resolve("model.json");
    Path w = dir.resolve("model.safetensors");
    Path d = dir.resolve("data.csv");
    ModelFiles.spec(net).write(m);
    Safetensors.write(w, f32);
    double[] x = Nets.features(n, net.inputSize(), 1.0, 8);
    double[] y = Nets.targets(net, n, 9);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = (int) y[i];
    Csv.write(d, Dataset.classification(x, n, net.inputSize(), labels, net.outputSize(), null, "label", null));
    return new String[] {"spectrum", "--model", m.toString(), "--weights", w.toString(), "--data", d.toString(),
        "--target", "label", "--top", "3", "--tol", "1e-10"};
  }

  JsonNode run(String[] base, String... extra) throws IOException {
    List<String> a = new ArrayList<>(List.of(base));
    a.addAll(List.of(extra));
    SpectrumCommandTest.Result r = SpectrumCommandTest.run(a.toArray(String[]::new));
    assertEquals(0, r.code, r.err);
    return new ObjectMapper().readTree(r.out);
  }

  @Test
  void defaultFollowsTheWeightsAndAgreesWithFloat64() throws IOException {
    String[] base = write(Network.builder(3).dense(6).activation(Activation.TANH).dense(3).build("cross_entropy"));
    JsonNode f32 = run(base);
    JsonNode f64 = run(base, "--precision", "f64");
    assertEquals("f32", f32.get("provenance").get("precision").asText());
    assertEquals("weights dtype F32", f32.get("provenance").get("precision_source").asText());
    assertEquals("f64", f64.get("provenance").get("precision").asText());
    assertEquals("--precision", f64.get("provenance").get("precision_source").asText());
    assertAgree(f32, f64);
    // float64 weights: f64 by default
    Network net = org.hesse.io.ModelFiles.readNetwork(Path.of(base[2]));
    ModelFiles.writeParameters(net, theta, Path.of(base[4]));
    JsonNode d64 = run(base);
    assertEquals("f64", d64.get("provenance").get("precision").asText());
    assertEquals("weights dtype F64", d64.get("provenance").get("precision_source").asText());
  }

  /** Loss, top 3 and trace of every layer of an f32 report against the f64 one, 1e-5 relative. */
  static void assertAgree(JsonNode f32, JsonNode f64) {
    assertEquals(f64.get("loss").asDouble(), f32.get("loss").asDouble(), 1e-5 * f64.get("loss").asDouble());
    assertEquals(f64.get("layers").size(), f32.get("layers").size());
    for (int l = 0; l < f64.get("layers").size(); l++) {
      JsonNode a = f32.get("layers").get(l);
      JsonNode b = f64.get("layers").get(l);
      double scale = Math.abs(b.get("top").get(0).asDouble());
      for (int i = 0; i < 3; i++) {
        assertEquals(b.get("top").get(i).asDouble(), a.get("top").get(i).asDouble(), 1e-5 * scale, "layer " + l + " top " + i);
      }
      assertEquals(b.get("trace").asDouble(), a.get("trace").asDouble(), 1e-5 * Math.abs(b.get("trace").asDouble()), "trace " + l);
    }
  }

  /**
   * A graph with fan-out (a residual add around batch norm and tanh) runs in f32 by default (F32 weights) and agrees
   * with f64, with batch statistics and in eval mode.
   */
  @Test
  void graphWithFanOutAndBatchNormRunsInFloat32() throws IOException {
    Network net = new Network(new int[] {3}, org.hesse.nn.Loss.byName("cross_entropy"), g -> {
      int h = g.add("fc1", new org.hesse.nn.Dense(3, 6), 0);
      int b = g.add("bn", new org.hesse.nn.BatchNorm(new int[] {6}), h);
      int t = g.add("act", new org.hesse.nn.ActivationLayer(Activation.TANH, new int[] {6}), b);
      int s = g.add("add", new org.hesse.nn.Add(new int[] {6}, 1.0, 1.0), h, t);
      return g.add("head", new org.hesse.nn.Dense(6, 3), s);
    });
    String[] base = write(net);
    JsonNode f32 = run(base);
    JsonNode f64 = run(base, "--precision", "f64");
    assertEquals("f32", f32.get("provenance").get("precision").asText());
    assertEquals("weights dtype F32", f32.get("provenance").get("precision_source").asText());
    assertEquals("f64", f64.get("provenance").get("precision").asText());
    assertAgree(f32, f64);
    // eval mode: the running statistics (the buffers, float64 in both precisions)
    JsonNode e32 = run(base, "--mode", "eval");
    JsonNode e64 = run(base, "--mode", "eval", "--precision", "f64");
    assertEquals("f32", e32.get("provenance").get("precision").asText());
    assertAgree(e32, e64);
    assertTrue(Math.abs(e32.get("loss").asDouble() - f32.get("loss").asDouble()) > 1e-6, "eval differs from analysis");
  }

  /**
   * A dense layer above the dense-matrix size (> 128 parameters) with > 16 outputs takes its trace from the per-sample
   * estimate in both precisions: 8 → 20 → tanh → 3, layer 0 (180 parameters). Same seed, same probes: f32 agrees
   * with f64 to 1e-5 relative (of |trace| + its standard error, as Float32CurvatureTest); every layer reports the
   * same trace source in both.
   */
  @Test
  void float32TakesTheSamePerSampleTraceAsFloat64() throws IOException {
    String[] base = write(Network.builder(8).dense(20).activation(Activation.TANH).dense(3).build("cross_entropy"));
    JsonNode f32 = run(base, "--precision", "f32");
    JsonNode f64 = run(base, "--precision", "f64");
    assertEquals("f32", f32.get("provenance").get("precision").asText());
    assertEquals("per-sample", f64.get("layers").get(0).get("trace_source").asText());
    assertTrue(f64.get("layers").get(0).get("trace_standard_error").asDouble() > 0, "the estimate has a spread");
    for (int l = 0; l < f64.get("layers").size(); l++) {
      JsonNode a = f32.get("layers").get(l);
      JsonNode b = f64.get("layers").get(l);
      assertEquals(b.get("trace_source").asText(), a.get("trace_source").asText(), "trace source " + l);
      double se = b.has("trace_standard_error") ? b.get("trace_standard_error").asDouble() : 0;
      double scale = Math.abs(b.get("trace").asDouble()) + se;
      assertEquals(b.get("trace").asDouble(), a.get("trace").asDouble(), 1e-5 * scale, "trace " + l);
      if (se > 0) assertEquals(se, a.get("trace_standard_error").asDouble(), 1e-5 * scale, "standard error " + l);
    }
  }

  @Test
  void refusesALayerWithoutFloat32PathOnlyWhenAskedFor() throws IOException {
    // an external op (a layer type registered by the user, without float32 twins): element-wise sin
    org.hesse.hvp.external.ExternalOp sin = new org.hesse.hvp.external.ExternalOp() {
      @Override public String name() { return "cli_f32_sin"; }
      @Override public int[] outputShape(int[] in) { return in; }
      @Override public double[] forward(double[] x, int rows) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.sin(x[i]);
        return y;
      }
      @Override public double[] jvp(double[] x, double[] dx, int rows) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.cos(x[i]) * dx[i];
        return y;
      }
      @Override public double[] vjp(double[] x, double[] gy, int rows) { return jvp(x, gy, rows); }
    };
    org.hesse.hvp.external.ExternalLayer.register(sin);
    Network net = new Network(new int[] {3}, org.hesse.nn.Loss.byName("cross_entropy"), g -> {
      int a = g.add("fc1", new org.hesse.nn.Dense(3, 5), 0);
      a = org.hesse.hvp.external.ExternalLayer.add(g, "ext", sin, a);
      return g.add("head", new org.hesse.nn.Dense(5, 3), a);
    });
    String[] base = write(net);
    List<String> a = new ArrayList<>(List.of(base));
    a.addAll(List.of("--precision", "f32"));
    SpectrumCommandTest.Result r = SpectrumCommandTest.run(a.toArray(String[]::new));
    assertEquals(2, r.code, r.err);
    assertTrue(r.err.contains("precision f32: layer type 'cli_f32_sin' has no float32 path yet; use --precision f64"), r.err);
    // by default (F32 weights) such a model runs in f64, and the provenance says why
    JsonNode d = run(base);
    assertEquals("f64", d.get("provenance").get("precision").asText());
    assertTrue(d.get("provenance").get("precision_source").asText().contains("'cli_f32_sin' has no float32 path"),
        d.get("provenance").get("precision_source").asText());
    SpectrumCommandTest.Result bad = SpectrumCommandTest.run(base[0], base[1], base[2], "--precision", "f16");
    assertEquals(2, bad.code);
    assertTrue(bad.err.contains("--precision: expected f32 or f64, got 'f16'"), bad.err);
  }

  /**
   * f32 streams as f64 does: {@code --curvature-cache none} and auto under a memory budget that fits one of the four
   * batches (the float32 plan's bytes, set as -Dhesse.memory.budget would; 2,000 samples, so that the cache rather
   * than the eigen-solver's workspace meets the budget) give the report of the cached run, bit for bit (the same
   * batches through the same float arithmetic, Float32StreamingTest), and the provenance says what ran.
   */
  @Test
  void float32StreamsAndCachesPartiallyWithTheSameReport() throws IOException {
    Network net = Network.builder(3).dense(6).activation(Activation.TANH).dense(3).build("cross_entropy");
    int n = 2000;
    String[] base = write(net, n);
    JsonNode all = run(base, "--precision", "f32", "--batch", "500", "--curvature-cache", "all");
    JsonNode none = run(base, "--precision", "f32", "--batch", "500", "--curvature-cache", "none");
    JsonNode partial;
    org.hesse.runtime.MemoryBudget saved = org.hesse.runtime.MemoryBudget.current();
    try {
      org.hesse.runtime.MemoryBudget.install(org.hesse.runtime.MemoryBudget.of(org.hesse.hvp.curvature.Curvature.planBytes(
          net, n, 500, 1, org.hesse.runtime.ThreadPolicy.current().javaWorkers(), org.hesse.precision.Precision.F32)));
      partial = run(base, "--batch", "500");  // F32 weights: f32 by default, also when the cache does not fit
    } finally {
      org.hesse.runtime.MemoryBudget.install(saved);
    }
    long bytesAll = org.hesse.hvp.curvature.Float32Curvature.cacheBytes(net, n);
    assertEquals("{\"option\":\"all\",\"ran\":\"all\",\"cached_batches\":4,\"batches\":4,\"estimated_bytes_all\":"
        + bytesAll + "}", all.get("provenance").get("curvature_cache").toString());
    assertEquals("{\"option\":\"none\",\"ran\":\"none\",\"cached_batches\":0,\"batches\":4,\"estimated_bytes_all\":"
        + bytesAll + "}", none.get("provenance").get("curvature_cache").toString());
    assertEquals("{\"option\":\"auto\",\"ran\":\"partial\",\"cached_batches\":1,\"batches\":4,"
        + "\"estimated_bytes_all\":" + bytesAll + "}", partial.get("provenance").get("curvature_cache").toString());
    for (JsonNode other : new JsonNode[] {none, partial}) {
      assertEquals("f32", other.get("provenance").get("precision").asText());
      assertEquals(all.get("loss"), other.get("loss"));
      for (int i = 0; i < all.get("layers").size(); i++) {
        for (String key : new String[] {"top", "trace"}) {
          assertEquals(all.get("layers").get(i).get(key), other.get("layers").get(i).get(key), "layer " + i + " " + key);
        }
      }
    }
  }
}
