package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.hesse.eigen.TraceEstimate;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The per-sample trace of dense blocks against the diagonal of the block built column by column (network-pass
 * products), the estimate against its analytic mean and variance, and the exact path against PyTorch's traces.
 */
class DenseLayerTraceTest {
  static double denseTrace(CurvatureOperator op) {
    double[][] a = CurvatureTest.dense(op);
    double t = 0;
    for (int i = 0; i < a.length; i++) t += a[i][i];
    return t;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("org.hesse.hvp.curvature.CurvatureTest#cases")
  void exactPathEqualsTheTraceOfTheBlock(Activation act, String loss) {
    CurvatureTest.Setup s = new CurvatureTest.Setup(act, loss, 4);  // 9 samples: a partial last batch
    for (Kind kind : Kind.values()) {
      for (int l : s.net.parametrisedLayers()) {
        double ref = denseTrace(s.curv.block(kind, l));
        TraceEstimate t = DenseLayerTrace.of(s.curv, kind, l, 1);  // 6, 5, 3 outputs: the exact path
        assertEquals(DenseLayerTrace.EXACT, t.method());
        assertEquals(0.0, t.standardError());
        assertEquals(ref, t.estimate(), 1e-12 * Math.max(1, Math.abs(ref)), act + " " + loss + " " + kind + " layer " + l);
      }
    }
  }

  /**
   * Over many seeds: the mean of the estimates within 4 standard errors of the exact trace, their variance and the
   * mean of the reported squared standard errors within 4 of their own standard errors of the analytic variance
   * {@code Σ_n w_n² · 2 Σ_{i≠j} M_n[i,j]² / P} (M_n and w_n from {@link DenseLayerBlock}'s factors and the inputs).
   */
  @Test
  void estimateIsUnbiasedWithTheAnalyticVariance() {
    int n = 30;
    Network net = Nets.mlp(5, 24, 7, 4, Activation.TANH, "cross_entropy");  // layer 0: 24 outputs, tanh residuals
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 3), Nets.features(n, 5, 1.2, 4), Nets.targets(net, n, 5), 8);
    int probes = 3;
    int runs = 400;
    for (Kind kind : Kind.values()) {
      for (int l : new int[] {0, 2}) {
        int out = net.layer(l).outputSize();
        int in = net.layer(l).inputSize();
        double[] m = DenseLayerBlock.of(c, kind, l).outputHessians();
        double[] x = new double[c.batchSize() * in];
        double exact = 0;
        double variance = 0;
        for (int b = 0, row = 0; b < c.batches(); b++) {
          int rows = c.layerInput(l, b, x);
          for (int s = 0; s < rows; s++, row++) {
            double w = 1;
            for (int j = 0; j < in; j++) w += x[s * in + j] * x[s * in + j];
            double off = 0;
            for (int i = 0; i < out; i++) {
              exact += w * m[(row * out + i) * out + i];
              for (int j = 0; j < out; j++) if (i != j) off += m[(row * out + i) * out + j] * m[(row * out + i) * out + j];
            }
            variance += w * w * 2 * off / probes;
          }
        }
        assertEquals(denseTrace(c.block(kind, l)), exact, 1e-12 * Math.abs(exact), "the factors' trace");
        double sum = 0;
        double sumSq = 0;
        double[] se2 = new double[runs];
        for (int r = 0; r < runs; r++) {
          TraceEstimate t = DenseLayerTrace.estimate(c, kind, l, probes, 100 + r);
          assertEquals(DenseLayerTrace.ESTIMATE, t.method());
          assertEquals(n * probes, t.samples());
          sum += t.estimate();
          sumSq += t.estimate() * t.estimate();
          se2[r] = t.standardError() * t.standardError();
        }
        double mean = sum / runs;
        double sampleVar = (sumSq - runs * mean * mean) / (runs - 1);
        String what = kind + " layer " + l;
        assertTrue(variance > 0, what);
        assertEquals(exact, mean, 4 * Math.sqrt(variance / runs), what + ": mean of the estimates");
        // (R−1)S²/V is near χ²(R−1) (a sum of many independent terms): relative s.d. √(2/(R−1))
        assertEquals(1.0, sampleVar / variance, 4 * Math.sqrt(2.0 / (runs - 1)), what + ": variance of the estimates");
        double seMean = 0;
        for (double v : se2) seMean += v / runs;
        double seVar = 0;
        for (double v : se2) seVar += (v - seMean) * (v - seMean) / (runs - 1);
        assertEquals(variance, seMean, 4 * Math.sqrt(seVar / runs), what + ": reported squared standard errors");
      }
    }
  }

  @Test
  void ofChoosesTheEstimateAboveTheExactThresholdAndIsDeterministic() {
    Network net = Nets.mlp(3, DenseLayerTrace.EXACT_MAX_OUTPUTS + 1, 4, 2, Activation.GELU, "mse");
    int n = 200;  // enough samples for a stable spread
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 1), Nets.features(n, 3, 1.0, 2), Nets.targets(net, n, 3), 5);
    TraceEstimate a = DenseLayerTrace.of(c, Kind.HESSIAN, 0, 9);
    assertEquals(DenseLayerTrace.ESTIMATE, a.method());
    assertEquals(DenseLayerTrace.PROBES_PER_SAMPLE, a.applications());
    assertEquals(a, DenseLayerTrace.of(c, Kind.HESSIAN, 0, 9), "same seed, same bits");
    assertTrue(a.standardError() > 0);
    double ref = denseTrace(c.block(Kind.HESSIAN, 0));
    assertEquals(ref, a.estimate(), 5 * a.standardError(), "within 5 reported standard errors");
    assertEquals(DenseLayerTrace.EXACT, DenseLayerTrace.of(c, Kind.HESSIAN, 2, 9).method());
  }

  /**
   * The exact trace from the output side (M_n = J_nᵀ Λ_n J_n, C = 3 outputs below the layers' 24 and 7): ReLU and
   * leaky-ReLU nets, cross-entropy and MSE, Hessian and GGN, against the trace of the block built column by column
   * (network-pass products) to 1e-12 relative; float32's against float64's to 1e-5 relative (float rounding, the
   * tolerance of Float32CurvatureTest).
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"RELU, cross_entropy", "RELU, mse", "LEAKY_RELU, cross_entropy", "LEAKY_RELU, mse"})
  void outputSideExactEqualsTheTraceOfTheBlock(Activation act, String loss) {
    Network net = Nets.mlp(5, 24, 7, 3, act, loss);
    int n = 11;  // batches of 4: a partial last batch
    double[] theta = Init.PYTORCH.init(net, 2);
    double[] x = Nets.features(n, 5, 1.3, 3);
    double[] y = Nets.targets(net, n, 4);
    Curvature c = Curvature.of(net, theta, x, y, 4);
    Float32Curvature c32 = Float32Curvature.of(net, theta, x, y, 4);
    for (Kind kind : Kind.values()) {
      for (int l : new int[] {0, 2}) {
        String what = act + " " + loss + " " + kind + " layer " + l;
        double ref = denseTrace(c.block(kind, l));
        TraceEstimate t = DenseLayerTrace.of(c, kind, l, 1);
        assertEquals(DenseLayerTrace.EXACT, t.method(), what);
        assertEquals(3, t.applications(), what + ": C directions per sample");
        assertEquals(0.0, t.standardError(), what);
        assertEquals(ref, t.estimate(), 1e-12 * Math.abs(ref), what);
        TraceEstimate t32 = DenseLayerTrace.of(c32, kind, l, 1);
        assertEquals(DenseLayerTrace.EXACT, t32.method(), what);
        assertEquals(3, t32.applications(), what);
        assertEquals(t.estimate(), t32.estimate(), 1e-5 * Math.abs(ref), what + " float32");
        // from the J an OutputJacobianBlock keeps (built by the trace, before any product): the same rows
        OutputJacobianBlock j = OutputJacobianBlock.of(c, kind, l);
        TraceEstimate kept = DenseLayerTrace.of(c, kind, l, 1, j);
        assertTrue(j.keptUnits()[0] > 0, what + ": J built and read");
        assertEquals(DenseLayerTrace.EXACT, kept.method(), what);
        assertEquals(t.estimate(), kept.estimate(), 0.0, what + " from the kept J");
      }
    }
  }

  /**
   * The spectra engine's source hands the layer's OutputJacobianBlock to the trace, which reads (and builds) its J
   * before any product: the same value as the backward-pass route; a block of another kind is not read.
   */
  @Test
  void theSourceHandsItsBlockToTheTrace() {
    // layer 0: 24 outputs, C = 3; the layers above (24·64 + 64 + 64·3 + 3) cost more than 4× its J mat-vecs: routed
    Network net = Nets.mlp(5, 24, 64, 3, Activation.RELU, "cross_entropy");
    int n = 11;
    double[] theta = Init.PYTORCH.init(net, 2);
    Curvature c = Curvature.of(net, theta, Nets.features(n, 5, 1.3, 3), Nets.targets(net, n, 4), 4);
    org.hesse.hvp.spectra.CurvatureSource src = org.hesse.hvp.spectra.CurvatureSource.of(c);
    org.hesse.hvp.spectra.CurvatureKind hessian = org.hesse.hvp.spectra.CurvatureKind.HESSIAN;
    org.hesse.eigen.LinearOperator op = src.block(hessian, 0);
    assertTrue(op instanceof OutputJacobianBlock, "layer 0 routed to the output-Jacobian form");
    double ref = DenseLayerTrace.of(c, Kind.HESSIAN, 0, 1).estimate();
    assertEquals(ref, src.structureTrace(hessian, 0, 1).value(), 0.0);
    assertTrue(((OutputJacobianBlock) op).keptUnits()[0] > 0, "J built by the trace and read");
    OutputJacobianBlock other = (OutputJacobianBlock) src.block(org.hesse.hvp.spectra.CurvatureKind.GGN, 0);
    assertEquals(ref, src.structureTrace(hessian, 0, 1).value(), 0.0);
    assertEquals(0, other.keptUnits()[0], "a GGN block is not read (nor built) for the Hessian's trace");
  }

  /**
   * Where M_n is not J_nᵀ Λ_n J_n (the tanh Hessian: σ''·g terms above the layer) or the output side has no fewer
   * directions (a layer with fewer outputs than the network), the former routes; the tanh GGN takes the output side.
   * Each against the trace of the block column by column.
   */
  @Test
  void outputSideOnlyWhereTheStructureGivesIt() {
    Network net = Nets.mlp(5, 24, 2, 3, Activation.TANH, "cross_entropy");
    int n = 40;
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 5), Nets.features(n, 5, 1.2, 6), Nets.targets(net, n, 7), 8);
    TraceEstimate hessian = DenseLayerTrace.of(c, Kind.HESSIAN, 0, 3);
    assertEquals(DenseLayerTrace.ESTIMATE, hessian.method(), "tanh Hessian, 24 outputs");
    assertEquals(DenseLayerTrace.PROBES_PER_SAMPLE, hessian.applications());
    double refH = denseTrace(c.block(Kind.HESSIAN, 0));
    assertEquals(refH, hessian.estimate(), 5 * hessian.standardError(), "within 5 reported standard errors");
    TraceEstimate ggn = DenseLayerTrace.of(c, Kind.GGN, 0, 3);
    assertEquals(DenseLayerTrace.EXACT, ggn.method(), "tanh GGN: J^T Λ J");
    assertEquals(3, ggn.applications());
    double refG = denseTrace(c.block(Kind.GGN, 0));
    assertEquals(refG, ggn.estimate(), 1e-12 * Math.abs(refG));
    Network relu = Nets.mlp(5, 24, 2, 3, Activation.RELU, "mse");
    Curvature r = Curvature.of(relu, Init.PYTORCH.init(relu, 5), Nets.features(n, 5, 1.2, 6), Nets.targets(relu, n, 7), 8);
    TraceEstimate narrow = DenseLayerTrace.of(r, Kind.HESSIAN, 2, 3);
    assertEquals(DenseLayerTrace.EXACT, narrow.method(), "2 outputs below C = 3");
    assertEquals(2, narrow.applications(), "the layer's own unit directions");
    double refN = denseTrace(r.block(Kind.HESSIAN, 2));
    assertEquals(refN, narrow.estimate(), 1e-12 * Math.abs(refN));
  }

  /**
   * The data set split into three parts (7, 1 and 12 rows), each part's terms from its own curvature (its own mean,
   * its own batches) with probes by the whole set's sample index, scaled to the whole mean and added: the trace and
   * standard error of the whole set, to 1e-12 relative (the passes' 1/n_p weights and the order of the sums differ;
   * the probes are the same). Also with other batches for the whole set: the probes do not depend on them.
   */
  @Test
  void partsOfTheDataAddUpToTheWholeTrace() {
    Network net = Nets.mlp(3, DenseLayerTrace.EXACT_MAX_OUTPUTS + 2, 4, 3, Activation.TANH, "cross_entropy");
    int n = 20;
    double[] theta = Init.PYTORCH.init(net, 4);
    double[] x = Nets.features(n, 3, 1.0, 5);
    double[] y = Nets.targets(net, n, 6);
    int[] cuts = {0, 7, 8, 20};
    for (Kind kind : Kind.values()) {
      // the tanh Hessian: layer 0 (18 outputs) estimated, layer 2 (4) exact; the GGN: exact from the output side (3)
      for (int l : new int[] {0, 2}) {
        for (int batch : new int[] {3, 20}) {
          TraceEstimate whole = DenseLayerTrace.of(Curvature.of(net, theta, x, y, batch), kind, l, 11);
          DenseLayerTrace.Part sum = null;
          for (int p = 0; p + 1 < cuts.length; p++) {
            int a = cuts[p];
            int b = cuts[p + 1];
            Curvature part = Curvature.of(net, theta, java.util.Arrays.copyOfRange(x, a * 3, b * 3),
                java.util.Arrays.copyOfRange(y, a, b), 4);
            DenseLayerTrace.Part t = DenseLayerTrace.part(part, kind, l, 11, a).scaled((double) (b - a) / n);
            sum = sum == null ? t : sum.plus(t);
          }
          TraceEstimate parts = sum.estimate();
          String what = kind + " layer " + l + " batch " + batch;
          boolean estimated = l == 0 && kind == Kind.HESSIAN;
          assertEquals(estimated ? DenseLayerTrace.ESTIMATE : DenseLayerTrace.EXACT, whole.method(), what);
          assertEquals(estimated ? DenseLayerTrace.PROBES_PER_SAMPLE : kind == Kind.GGN ? 3 : 4, whole.applications(), what);
          assertEquals(whole.method(), parts.method(), what);
          assertEquals(whole.samples(), parts.samples(), what);
          assertEquals(whole.applications(), parts.applications(), what);
          assertEquals(whole.estimate(), parts.estimate(), 1e-12 * Math.abs(whole.estimate()), what);
          assertEquals(whole.standardError(), parts.standardError(), 1e-12 * whole.standardError(), what);
          if (estimated) assertTrue(whole.standardError() > 0, what);
        }
      }
    }
  }

  @Test
  void refusedWhereTheStructureDoesNotHold() {
    Network net = Nets.mlp(3, 4, 4, 2, Activation.TANH, "mse");
    int n = 6;
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 1), Nets.features(n, 3, 1.0, 2), Nets.targets(net, n, 3), 5);
    assertFalse(DenseLayerTrace.applies(c, 1), "an activation layer");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DenseLayerTrace.of(c, Kind.GGN, 1, 0));
    assertEquals("layer 1: expected a dense layer on flat samples with its own tensors and samples not coupled by "
        + "batch statistics, for the per-sample trace", e.getMessage());
  }

  /** PyTorch's float64 block traces, for every dense layer of the fixtures where the structure holds. */
  @Test
  void exactPathMatchesPyTorch() throws Exception {
    int checked = 0;
    for (Path dir : (Iterable<Path>) PyTorchFixtureTest.cases()::iterator) checked += checkFixture(dir);
    assertTrue(checked >= 4, "dense layers checked: " + checked);
    // graphs: dense nodes reading a concatenation, a gate's product, or an earlier activation than the previous node's
    int graph = 0;
    for (String name : new String[] {"graph-concat", "graph-gated-mlp"}) {
      graph += checkFixture(Path.of(DenseLayerTraceTest.class.getResource("/fixtures/" + name).toURI()));
    }
    assertTrue(graph >= 4, "graph dense nodes checked: " + graph);
  }

  private static int checkFixture(Path dir) throws IOException {
    int checked = 0;
    ModelSpec spec = ModelSpec.read(dir.resolve("model.json"));
    Network net = ModelFiles.network(spec);
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    int n = data[0].length / net.inputSize();
    Curvature c = Curvature.of(net, theta, ModelFiles.readBuffers(net, dir.resolve("model.safetensors")), Mode.ANALYSIS,
        data[0], data[1], net.batchCoupled() ? n : 7);
    for (JsonNode layer : ref.get("layers")) {
      int l = net.layerIndex(layer.get("name").asText());
      if (!DenseLayerTrace.applies(c, l)) continue;
      for (Kind kind : Kind.values()) {
        String prefix = kind == Kind.HESSIAN ? "" : "ggn_";
        double expected = layer.get(prefix + "trace").asDouble();
        JsonNode eig = layer.get(prefix + "eigenvalues");
        double scale = Math.max(Math.abs(eig.get(0).asDouble()), Math.abs(eig.get(eig.size() - 1).asDouble()));
        double t = DenseLayerTrace.exact(c, kind, l).estimate();
        assertEquals(expected, t, 1e-10 * scale * eig.size(), dir.getFileName() + " " + kind + " layer " + l);
        checked++;
      }
    }
    return checked;
  }
}
