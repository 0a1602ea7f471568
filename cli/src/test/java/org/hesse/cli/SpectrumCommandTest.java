package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.io.ModelFiles;
import org.hesse.linalg.Linalg;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Objective;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netlib.util.intW;

/**
 * {@code hesse spectrum} end to end on generated models and data, against independent dense computations:
 * the Hessian block from central differences of the gradient, the GGN block from finite-difference Jacobians
 * of the network output, the back-matching block from the closed form C = (1/N) Σ [x;1][x;1]ᵀ; LAPACK
 * eigenvalues of each, compared to 1e-6 relative to the largest |λ|.
 */
class SpectrumCommandTest {
  @TempDir Path dir;
  static final int N = 12;

  record Case(Network net, double[] theta, double[] x, double[] y, Path model, Path weights, Path data, String target) {}

  Case write(Activation act, String loss) throws IOException {
    Network net = Network.builder(3).dense(4).activation(act).dense(3).build(loss);
    double[] theta = Init.PYTORCH.init(net, 7);
    double[] x = Nets.features(N, 3, 1.0, 8);
    double[] y = Nets.targets(net, N, 9);
    Path m = dir.resolve(loss + ".json");
    Path w = dir.resolve(loss + ".safetensors");
    Path d = dir.resolve(loss + ".csv");
    ModelFiles.spec(net).write(m);
    ModelFiles.writeParameters(net, theta, w);
    Dataset ds;
    if ("cross_entropy".equals(loss)) {
      int[] labels = new int[N];
      for (int i = 0; i < N; i++) labels[i] = (int) y[i];
      ds = Dataset.classification(x, N, 3, labels, 3, null, "label", null);
    } else {
      ds = Dataset.regression(x, N, 3, y, 3, null, java.util.List.of("y0", "y1", "y2"));
    }
    Csv.write(d, ds);
    return new Case(net, theta, x, y, m, w, d, "cross_entropy".equals(loss) ? "label" : "y0,y1,y2");
  }

  static final class Result {
    int code;
    String out;
    String err;
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Result r = new Result();
    r.code = HesseCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    r.out = out.toString();
    r.err = err.toString();
    return r;
  }

  JsonNode spectrum(Case c, String curvature, String... extra) throws IOException {
    Path out = dir.resolve("report-" + curvature + ".json");
    String[] base = {"spectrum", "--model", c.model.toString(), "--weights", c.weights.toString(), "--data",
        c.data.toString(), "--target", c.target, "--curvature", curvature, "--out", out.toString()};
    String[] args = Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    Result r = run(args);
    assertEquals(0, r.code, r.err);
    return new ObjectMapper().readTree(out.toFile());
  }

  /** Hessian block of layer l by central differences of the exact gradient, symmetrised. */
  static double[] fdHessian(Case c, int l) {
    Objective obj = new Objective(c.net, c.x, c.y, N);
    int off = c.net.offset(l);
    int p = c.net.layer(l).paramCount();
    double[] h = new double[p * p];
    double eps = 1e-5;
    for (int j = 0; j < p; j++) {
      double[] tp = c.theta.clone();
      double[] tm = c.theta.clone();
      tp[off + j] += eps;
      tm[off + j] -= eps;
      double[] gp = new double[tp.length];
      double[] gm = new double[tm.length];
      obj.lossAndGradient(tp, gp);
      obj.lossAndGradient(tm, gm);
      for (int i = 0; i < p; i++) h[i * p + j] = (gp[off + i] - gm[off + i]) / (2 * eps);
    }
    return symmetrise(h, p);
  }

  /** (1/N) Σ_n J_nᵀ ∇²ℓ_n J_n with J_n (outputs × p) from central differences of the forward pass. */
  static double[] fdGgn(Case c, int l) {
    Network net = c.net;
    int off = net.offset(l);
    int p = net.layer(l).paramCount();
    int k = net.outputSize();
    double eps = 1e-6;
    double[] jac = new double[N * k * p];
    Workspace ws = net.newWorkspace(N);
    for (int j = 0; j < p; j++) {
      double[] zp = outputs(net, ws, c, off + j, eps);
      double[] zm = outputs(net, ws, c, off + j, -eps);
      for (int i = 0; i < N * k; i++) jac[i * p + j] = (zp[i] - zm[i]) / (2 * eps);
    }
    double[] z = outputs(net, ws, c, 0, 0);
    double[] g = new double[p * p];
    double[] m = new double[k * k];
    for (int n = 0; n < N; n++) {
      net.loss().outputHessian(z, c.y, n, k, m);
      for (int a = 0; a < p; a++) {
        for (int b = 0; b < p; b++) {
          double s = 0;
          for (int i = 0; i < k; i++) {
            for (int i2 = 0; i2 < k; i2++) s += jac[(n * k + i) * p + a] * m[i * k + i2] * jac[(n * k + i2) * p + b];
          }
          g[a * p + b] += s / N;
        }
      }
    }
    return g;
  }

  static double[] outputs(Network net, Workspace ws, Case c, int index, double delta) {
    double[] t = c.theta.clone();
    t[index] += delta;
    System.arraycopy(c.x, 0, ws.input(), 0, c.x.length);
    net.forward(t, ws, N);
    return Arrays.copyOf(ws.output(), N * net.outputSize());
  }

  /** eig(C) each out times, C from the layer inputs computed here by a forward pass. */
  static double[] backMatchingSpectrum(Case c, int l) {
    Workspace ws = c.net.newWorkspace(N);
    System.arraycopy(c.x, 0, ws.input(), 0, c.x.length);
    c.net.forward(c.theta, ws, N);
    int in = c.net.layer(l).inputSize();
    int q = in + 1;
    double[] cov = new double[q * q];
    for (int n = 0; n < N; n++) {
      for (int a = 0; a < q; a++) {
        for (int b = 0; b < q; b++) {
          double xa = a < in ? ws.act(l)[n * in + a] : 1.0;
          double xb = b < in ? ws.act(l)[n * in + b] : 1.0;
          cov[a * q + b] += xa * xb / N;
        }
      }
    }
    double[] e = eig(cov, q);
    int out = c.net.layer(l).outputSize();
    double[] all = new double[q * out];
    for (int i = 0; i < q; i++) Arrays.fill(all, i * out, (i + 1) * out, e[i]);
    return all;
  }

  static double[] symmetrise(double[] a, int p) {
    for (int i = 0; i < p; i++) {
      for (int j = i + 1; j < p; j++) {
        double s = 0.5 * (a[i * p + j] + a[j * p + i]);
        a[i * p + j] = s;
        a[j * p + i] = s;
      }
    }
    return a;
  }

  static double[] eig(double[] a, int p) {
    double[] m = a.clone();
    double[] w = new double[p];
    double[] work = new double[3 * p];
    intW info = new intW(0);
    Linalg.lapack().dsyev("N", "U", p, m, p, w, work, work.length, info);
    assertEquals(0, info.val);
    return w;
  }

  static void assertSpectrum(double[] expected, JsonNode actual, String what) {
    assertEquals(expected.length, actual.size(), what);
    double scale = Math.max(Math.abs(expected[0]), Math.abs(expected[expected.length - 1]));
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.get(i).asDouble(), 1e-6 * scale, what + " eigenvalue " + i);
    }
  }

  @Test
  void fullSpectraAgreeWithIndependentDenseComputations() throws IOException {
    for (String loss : new String[] {"cross_entropy", "mse"}) {
      Case c = write(loss.equals("mse") ? Activation.GELU : Activation.TANH, loss);
      JsonNode h = spectrum(c, "hessian", "--full");
      JsonNode g = spectrum(c, "ggn", "--full");
      JsonNode b = spectrum(c, "backmatching", "--full");
      for (int i = 0; i < 2; i++) {
        int l = c.net.parametrisedLayers().get(i);
        int p = c.net.layer(l).paramCount();
        assertSpectrum(eig(fdHessian(c, l), p), h.get("layers").get(i).get("eigenvalues"), loss + " hessian layer " + l);
        assertSpectrum(eig(fdGgn(c, l), p), g.get("layers").get(i).get("eigenvalues"), loss + " ggn layer " + l);
        assertSpectrum(backMatchingSpectrum(c, l), b.get("layers").get(i).get("eigenvalues"), loss + " backmatching layer " + l);
      }
      assertEquals(new Objective(c.net, c.x, c.y, N).loss(c.theta), h.get("loss").asDouble(), 1e-12);
    }
  }

  @Test
  void reportHasTheDocumentedKeysAndTopAndBottomMatchTheFullSpectrum() throws IOException {
    Case c = write(Activation.TANH, "cross_entropy");
    JsonNode full = spectrum(c, "hessian", "--full");
    JsonNode r = spectrum(c, "hessian", "--top", "3", "--bottom", "2");
    for (String key : new String[] {"loss", "samples", "curvature", "layers", "provenance"}) assertTrue(r.has(key), key);
    assertEquals(N, r.get("samples").asInt());
    for (int i = 0; i < r.get("layers").size(); i++) {
      JsonNode l = r.get("layers").get(i);
      for (String key : new String[] {"name", "params", "trace", "top", "bottom", "lambda_max", "lambda_min",
          "condition_number", "effective_rank", "stable_rank", "negative_fraction"}) {
        assertTrue(l.has(key), "layer key " + key);
      }
      JsonNode eig = full.get("layers").get(i).get("eigenvalues");
      double scale = Math.abs(eig.get(eig.size() - 1).asDouble()) + Math.abs(eig.get(0).asDouble());
      for (int j = 0; j < 3; j++) {
        assertEquals(eig.get(eig.size() - 1 - j).asDouble(), l.get("top").get(j).asDouble(), 1e-8 * scale, "top " + j);
      }
      for (int j = 0; j < 2; j++) assertEquals(eig.get(j).asDouble(), l.get("bottom").get(j).asDouble(), 1e-8 * scale, "bottom " + j);
      // blocks below the dense threshold (SpectrumEnds.DENSE_MAX_DIM): top and bottom by dense LAPACK
      assertEquals("dense", l.get("lambda_max_source").asText());
      assertTrue(l.get("bottom_complete").asBoolean());
      assertEquals("dense", l.get("provenance").get("bottom_arpack").get("method").asText());
      // whole-spectrum metrics need --full or --density: null without
      assertTrue(l.get("effective_rank").isNull());
      assertTrue(full.get("layers").get(i).get("effective_rank").isNumber());
    }
  }

  @Test
  void withADensityTheExtremesStillComeFromTopAndBottomAndBackMatchingCoversEveryLayerType() throws IOException {
    Case c = write(Activation.TANH, "cross_entropy");
    JsonNode r = spectrum(c, "hessian", "--top", "2", "--density", "--slq-steps", "8", "--slq-probes", "2");
    for (JsonNode l : r.get("layers")) {
      assertEquals("slq", l.get("metrics_source").asText());
      assertEquals("dense", l.get("lambda_max_source").asText());
      assertEquals(l.get("top").get(0).asDouble(), l.get("lambda_max").asDouble(), 0.0);
    }
    // a batch-norm layer has no eig(C) structure: its back-matching spectrum goes through the generic operator
    Path model = dir.resolve("bn.json");
    Files.writeString(model, "{\"input\": 3, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"dense\", \"out\": 4}, "
        + "{\"type\": \"batchnorm\"}, {\"type\": \"tanh\"}, {\"type\": \"dense\", \"out\": 3}]}");
    Network net = ModelFiles.network(org.hesse.io.ModelSpec.read(model));
    Path weights = dir.resolve("bn.safetensors");
    ModelFiles.writeParameters(net, Init.PYTORCH.init(net, 3), net.initialBuffers(), weights);
    Path out = dir.resolve("bn-report.json");
    Result res = run("spectrum", "--model", model.toString(), "--weights", weights.toString(), "--data", c.data.toString(),
        "--target", "label", "--curvature", "backmatching", "--top", "2", "--out", out.toString());
    assertEquals(0, res.code, res.err);
    JsonNode layers = new ObjectMapper().readTree(out.toFile()).get("layers");
    assertEquals(3, layers.size());
    assertEquals("structure", layers.get(0).get("trace_source").asText());
    assertEquals("batchnorm", layers.get(1).get("type").asText());
    assertTrue(layers.get(1).get("top").get(0).asDouble() > 0);
  }

  @Test
  void spectrumOfATrainedRunSeesTheTrainingFeatures() throws IOException {
    // train on all of iris (standardised), then analyse the saved model with the saved standardisation:
    // the report's loss is the final training loss recorded by the trainer over the same rows
    Path run = dir.resolve("iris-run");
    Result t = run("train", "--dataset", "iris", "--model", "mlp:8", "--epochs", "2", "--validation", "0", "--out", run.toString());
    assertEquals(0, t.code, t.err);
    java.util.List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
    double trainLoss = Double.parseDouble(metrics.get(metrics.size() - 1).split(",")[1]);
    Path out = dir.resolve("iris-spectrum.json");
    Result r = run("spectrum", "--model", run.resolve("model.json").toString(), "--weights",
        run.resolve("model.safetensors").toString(), "--dataset", "iris", "--standardizer",
        run.resolve("standardizer.json").toString(), "--top", "1", "--out", out.toString());
    assertEquals(0, r.code, r.err);
    assertEquals(trainLoss, new ObjectMapper().readTree(out.toFile()).get("loss").asDouble(), 1e-12 * trainLoss);
  }

  @Test
  void badInputsGiveOneLineAndExitCodeTwo() throws IOException {
    Case c = write(Activation.TANH, "cross_entropy");
    String[] common = {"spectrum", "--model", c.model.toString(), "--weights", c.weights.toString(), "--data", c.data.toString()};
    assertBad(concat(common, "--target", "label", "--layers", "1"), "--layers: unknown layer '1'");
    assertBad(concat(common, "--target", "label", "--curvature", "fisher"), "--curvature: unknown curvature 'fisher'");
    assertBad(concat(common, "--target", "nosuch"), "nosuch");
    assertBad(concat(common, "--target", "label", "--bottom", "3", "--ncv", "3"), "--ncv: expected 0 (default) or more than --top and --bottom (5), got 3");
    assertBad(concat(common, "--target", "label", "--max-iterations", "0"), "--max-iterations: expected >= 1, got 0");
    org.hesse.runtime.MemoryBudget saved = org.hesse.runtime.MemoryBudget.current();
    try {
      org.hesse.runtime.MemoryBudget.install(org.hesse.runtime.MemoryBudget.of(100));
      assertBad(concat(common, "--target", "label", "--full"), "bytes");
    } finally {
      org.hesse.runtime.MemoryBudget.install(saved);
    }
  }

  @Test
  void streamingCurvatureGivesTheSameReportAndSaysWhichModeRan() throws IOException {
    Case c = write(Activation.TANH, "cross_entropy");
    // batches of 5 rows over 12 samples: 3 batches, the last partial, recomputed in every product when streaming
    JsonNode all = spectrum(c, "hessian", "--top", "2", "--batch", "5", "--curvature-cache", "all");
    JsonNode none = spectrum(c, "hessian", "--top", "2", "--batch", "5", "--curvature-cache", "none");
    JsonNode auto = spectrum(c, "hessian", "--top", "2", "--batch", "5");
    assertEquals("all", all.get("provenance").get("curvature_cache").get("ran").asText());
    assertEquals("none", none.get("provenance").get("curvature_cache").get("ran").asText());
    assertEquals("auto", auto.get("provenance").get("curvature_cache").get("option").asText());
    assertEquals("all", auto.get("provenance").get("curvature_cache").get("ran").asText(), "a small cache fits the budget");
    // auto under a budget that fits the first batch's cache and the streaming of the other two: what the provenance
    // says (the numbers of a partial cache equal the cached ones bit for bit: StreamingCurvatureTest)
    org.hesse.hvp.curvature.Curvature partial;
    org.hesse.runtime.MemoryBudget saved = org.hesse.runtime.MemoryBudget.current();
    try {
      org.hesse.runtime.MemoryBudget.install(org.hesse.runtime.MemoryBudget.of(org.hesse.hvp.curvature.Curvature.planBytes(
          c.net, N, 5, 1, org.hesse.runtime.ThreadPolicy.current().javaWorkers())));
      partial = org.hesse.hvp.curvature.Curvature.of(c.net, c.theta, null, org.hesse.nn.Mode.ANALYSIS, c.x, c.y, 5,
          org.hesse.hvp.curvature.Curvature.CacheMode.AUTO);
    } finally {
      org.hesse.runtime.MemoryBudget.install(saved);
    }
    assertEquals("{option=auto, ran=partial, cached_batches=1, batches=3, estimated_bytes_all="
        + org.hesse.hvp.curvature.Curvature.cacheBytes(c.net, N) + "}", partial.cacheProvenance("auto").toString());
    assertEquals(all.get("loss"), none.get("loss"));
    for (int i = 0; i < all.get("layers").size(); i++) {
      for (String key : new String[] {"top", "trace"}) {  // the same batches, the same arithmetic: the same bits
        assertEquals(all.get("layers").get(i).get(key), none.get("layers").get(i).get(key), "layer " + i + " " + key);
      }
    }
    String[] common = {"spectrum", "--model", c.model.toString(), "--weights", c.weights.toString(), "--data",
        c.data.toString(), "--target", "label"};
    assertBad(concat(common, "--curvature-cache", "some"),
        "--curvature-cache: unknown curvature cache 'some', expected auto, all or none");
  }

  static void assertBad(String[] args, String mention) {
    Result r = run(args);
    assertEquals(2, r.code, r.err);
    String[] lines = r.err.strip().split("\n");
    assertEquals(1, lines.length, r.err);
    assertTrue(lines[0].startsWith("hesse: error: ") && lines[0].contains(mention), lines[0]);
  }

  static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
