package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.io.Fixtures;
import org.hesse.io.InputException;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.precision.Precision;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float32 engine against the float64 one and PyTorch's float64 answers on the shared MLP fixtures (tanh with
 * cross-entropy, GELU with MSE). Tolerance 1e-5 relative: float32 rounds each stored value with relative error at
 * most 2⁻²⁴ ≈ 6e-8, and a product passes through a handful of layers whose sums have at most a few hundred terms;
 * the accumulated relative error stays well under 1e-6 on these fixtures, so 1e-5 (the bound) holds with a
 * margin and still fails on any term computed wrongly (which shows at 1e-2 or worse).
 */
class Float32CurvatureTest {
  static final double TOL = 1e-5;

  record Case(Network net, double[] theta, double[] x, double[] y, JsonNode ref) {}

  /** A case of java-core's shared fixtures (pytorch-*) or of this module's own (conv-ce, layernorm-mlp-ce). */
  static Case load(String name) throws IOException {
    Path dir;
    try {
      dir = name.startsWith("pytorch-") ? Fixtures.dir(name)
          : Path.of(Float32CurvatureTest.class.getResource("/fixtures/" + name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
    return new Case(net, theta, data[0], data[1], new ObjectMapper().readTree(dir.resolve("reference.json").toFile()));
  }

  static double relErr(double[] a, double[] ref) {
    double d = 0;
    double n = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - ref[i]) * (a[i] - ref[i]);
      n += ref[i] * ref[i];
    }
    return Math.sqrt(d / n);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse", "conv-ce", "layernorm-mlp-ce"})
  void lossGradientAndProductsMatchFloat64(String name) throws IOException {
    Case c = load(name);
    Curvature c64 = Curvature.of(c.net, c.theta, c.x, c.y, 7);
    Float32Curvature c32 = Float32Curvature.of(c.net, c.theta, c.x, c.y, 7);
    double loss = c.ref.get("loss").asDouble();
    assertEquals(loss, c32.loss(), TOL * Math.abs(loss), "loss vs PyTorch");
    assertTrue(relErr(c32.gradient(), c64.gradient()) < TOL, "gradient: relative error " + relErr(c32.gradient(), c64.gradient()));
    double[] v = Nets.gaussian(c.net.paramCount(), 1.0, 3);
    for (Kind kind : Kind.values()) {
      double[] h64 = new double[v.length];
      double[] h32 = new double[v.length];
      c64.full(kind).apply(v, h64);
      c32.full(kind).apply(v, h32);
      assertTrue(relErr(h32, h64) < TOL, kind + " product: relative error " + relErr(h32, h64));
      // three directions at once give the three single products
      double[] v3 = new double[3 * v.length];
      double[] h3 = new double[3 * v.length];
      for (int j = 0; j < 3; j++) System.arraycopy(Nets.gaussian(v.length, 1.0, 10 + j), 0, v3, j * v.length, v.length);
      c32.full(kind).applyMany(v3, h3, 3);
      for (int j = 0; j < 3; j++) {
        double[] vj = java.util.Arrays.copyOfRange(v3, j * v.length, (j + 1) * v.length);
        double[] ref = new double[v.length];
        c64.full(kind).apply(vj, ref);
        assertTrue(relErr(java.util.Arrays.copyOfRange(h3, j * v.length, (j + 1) * v.length), ref) < TOL, kind + " direction " + j);
      }
    }
  }

  /** Dense blocks from float32 products: eigenvalues and traces against PyTorch's float64 ones. */
  @ParameterizedTest
  @ValueSource(strings = {"pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse", "conv-ce", "layernorm-mlp-ce"})
  void blockSpectraMatchPyTorch(String name) throws IOException {
    Case c = load(name);
    Float32Curvature c32 = Float32Curvature.of(c.net, c.theta, c.x, c.y, 7);
    for (JsonNode layer : c.ref.get("layers")) {
      int l = c.net.layerIndex(layer.get("name").asText());
      for (Kind kind : Kind.values()) {
        String prefix = kind == Kind.HESSIAN ? "" : "ggn_";
        double[][] block = dense(c32.block(kind, l));
        double trace = 0;
        for (int i = 0; i < block.length; i++) trace += block[i][i];
        double[] eig = PyTorchFixtureTest.eigenvalues(block);
        JsonNode refEig = layer.get(prefix + "eigenvalues");
        int p = refEig.size();
        double scale = Math.max(Math.abs(refEig.get(0).asDouble()), Math.abs(refEig.get(p - 1).asDouble()));
        double refTrace = layer.get(prefix + "trace").asDouble();
        assertEquals(refTrace, trace, TOL * Math.abs(refTrace), name + " " + kind + " trace " + l);
        for (int i = p - 3; i < p; i++) {  // the top three, relative to the block's largest |λ|
          assertEquals(refEig.get(i).asDouble(), eig[i], TOL * scale, name + " " + kind + " layer " + l + " eigenvalue " + i);
        }
      }
    }
  }

  /**
   * The per-sample trace of dense layers in float32 against float64's: the exact path on the fixtures' layers (≤ 16
   * outputs), and the estimate (the fixtures' layers forced onto it, and an MLP's 24-output layer) on the same probes
   * (same seed), so the two differ by float rounding only; 1e-5 relative for the reason of the class comment. The
   * estimate is compared relative to |T| + its standard error: a Hessian trace may cancel, while each form's
   * rounding is relative to the forms' own size, which the standard error measures.
   */
  @ParameterizedTest
  @ValueSource(strings = {"pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse", "mlp-24"})
  void perSampleTraceMatchesFloat64(String name) throws IOException {
    Case c = name.equals("mlp-24") ? mlp24() : load(name);
    Curvature c64 = Curvature.of(c.net, c.theta, c.x, c.y, 7);
    Float32Curvature c32 = Float32Curvature.of(c.net, c.theta, c.x, c.y, 7);
    int checked = 0;
    boolean spread = false;
    for (int l : c.net.parametrisedLayers()) {
      assertEquals(DenseLayerTrace.applies(c64, l), DenseLayerTrace.applies(c32, l), "applies, layer " + l);
      if (!DenseLayerTrace.applies(c64, l)) continue;
      for (Kind kind : Kind.values()) {
        String at = name + " " + kind + " layer " + l;
        org.hesse.eigen.TraceEstimate a64 = DenseLayerTrace.of(c64, kind, l, 5);
        org.hesse.eigen.TraceEstimate a32 = DenseLayerTrace.of(c32, kind, l, 5);
        assertEquals(a64.method(), a32.method(), at);
        assertEquals(a64.samples(), a32.samples(), at);
        double scale = Math.abs(a64.estimate()) + a64.standardError();
        assertEquals(a64.estimate(), a32.estimate(), TOL * scale, at);
        assertEquals(a64.standardError(), a32.standardError(), TOL * scale, at + " standard error");
        org.hesse.eigen.TraceEstimate e64 = DenseLayerTrace.estimate(c64, kind, l, 2, 9);
        org.hesse.eigen.TraceEstimate e32 = DenseLayerTrace.estimate(c32, kind, l, 2, 9);
        double es = Math.abs(e64.estimate()) + e64.standardError();
        spread |= e64.standardError() > 0;  // not on an MSE output layer, whose M_n is a multiple of I
        assertEquals(e64.estimate(), e32.estimate(), TOL * es, at + " estimate");
        assertEquals(e64.standardError(), e32.standardError(), TOL * es, at + " estimate's standard error");
        checked++;
      }
    }
    assertTrue(checked >= 4, "dense layers checked: " + checked);
    assertTrue(spread, "an estimate with a spread: random probes, not unit vectors");
  }

  /** An MLP 5 → 24 → tanh → 7 → tanh → 4, cross-entropy, 30 samples: layer 0 has more than 16 outputs (the estimate). */
  private static Case mlp24() {
    Network net = Nets.mlp(5, 24, 7, 4, Activation.TANH, "cross_entropy");
    return new Case(net, org.hesse.nn.Init.PYTORCH.init(net, 3), Nets.features(30, 5, 1.2, 4), Nets.targets(net, 30, 5), null);
  }

  /** The library's per-layer spectra (ARPACK top 3, Hutch++ trace, same seed) in float32 and float64. */
  @Test
  void layerSpectraAgreeWithFloat64() throws IOException {
    Case c = load("pytorch-mlp-tanh-ce");
    SpectraOptions d = SpectraOptions.defaults();
    SpectraOptions o = new SpectraOptions(CurvatureKind.HESSIAN, 3, 0, false, false, false, d.slqSteps(), d.slqProbes(),
        d.densityPoints(), d.hutchBudget(), 1e-10, 5);
    LayerSpectraEngine e64 = new LayerSpectraEngine(CurvatureSource.of(c.net, c.theta, c.x, c.y, 7, Precision.F64), o);
    LayerSpectraEngine e32 = new LayerSpectraEngine(CurvatureSource.of(c.net, c.theta, c.x, c.y, 7, Precision.F32), o);
    for (int l : c.net.parametrisedLayers()) {
      LayerSpectra s64 = e64.layer(l);
      LayerSpectra s32 = e32.layer(l);
      double scale = Math.abs(s64.top().values()[0]);
      for (int i = 0; i < 3; i++) {
        assertEquals(s64.top().values()[i], s32.top().values()[i], TOL * scale, "layer " + l + " top " + i);
      }
      assertEquals(s64.trace().value(), s32.trace().value(), TOL * Math.abs(s64.trace().value()), "layer " + l + " trace");
    }
  }

  /**
   * The image layers without a PyTorch fixture of their own (average pooling, dropout in analysis mode) against the
   * float64 engine, whose rules PyTorchFixtureTest and ConvCurvatureTest check: conv 2→3 (3×3, padding 1), relu,
   * avgpool 2, dropout, flatten, dense on 2×6×6 images.
   */
  @Test
  void imageLayersMatchFloat64() {
    int[] in = {2, 6, 6};
    org.hesse.nn.Conv2d conv = new org.hesse.nn.Conv2d(in, 3, 3, 1, 1);
    org.hesse.nn.AvgPool2d pool = new org.hesse.nn.AvgPool2d(conv.outputShape(), 2, 2);
    Network net = new Network(in, List.of(conv, new org.hesse.nn.ActivationLayer(Activation.SOFTPLUS, conv.outputShape()), pool,
        new org.hesse.nn.Dropout(pool.outputShape(), 0.3), new org.hesse.nn.Flatten(pool.outputShape()),
        new org.hesse.nn.Dense(pool.outputSize(), 4)), org.hesse.nn.Loss.byName("cross_entropy"));
    double[] theta = org.hesse.nn.Init.PYTORCH.init(net, 4);
    int n = 10;
    double[] x = Nets.features(n, net.inputSize(), 1.0, 5);
    double[] y = Nets.targets(net, n, 6);
    Curvature c64 = Curvature.of(net, theta, x, y, 4);
    Float32Curvature c32 = Float32Curvature.of(net, theta, x, y, 4);
    assertEquals(c64.loss(), c32.loss(), TOL * c64.loss(), "loss");
    assertTrue(relErr(c32.gradient(), c64.gradient()) < TOL, "gradient");
    double[] v = Nets.gaussian(net.paramCount(), 1.0, 7);
    for (Kind kind : Kind.values()) {
      double[] h64 = new double[v.length];
      double[] h32 = new double[v.length];
      c64.full(kind).apply(v, h64);
      c32.full(kind).apply(v, h32);
      assertTrue(relErr(h32, h64) < TOL, kind + " product: relative error " + relErr(h32, h64));
    }
  }

  /** Softmax inside a network (a graph-only op: a chain of nodes) against the float64 engine. */
  @Test
  void softmaxMatchesFloat64() {
    Network net = new Network(new int[] {4}, org.hesse.nn.Loss.byName("mse"), g -> {
      int a = g.add("fc1", new org.hesse.nn.Dense(4, 5), 0);
      a = g.add("sm", new org.hesse.nn.Softmax(new int[] {5}, 0), a);
      return g.add("fc2", new org.hesse.nn.Dense(5, 3), a);
    });
    double[] theta = Nets.gaussian(net.paramCount(), 1.0, 11);
    double[] x = Nets.features(9, 4, 1.0, 12);
    double[] y = Nets.gaussian(9 * 3, 1.0, 13);
    Curvature c64 = Curvature.of(net, theta, x, y, 4);
    Float32Curvature c32 = Float32Curvature.of(net, theta, x, y, 4);
    assertTrue(relErr(c32.gradient(), c64.gradient()) < TOL, "gradient");
    double[] v = Nets.gaussian(net.paramCount(), 1.0, 14);
    for (Kind kind : Kind.values()) {
      double[] h64 = new double[v.length];
      double[] h32 = new double[v.length];
      c64.full(kind).apply(v, h64);
      c32.full(kind).apply(v, h32);
      assertTrue(relErr(h32, h64) < TOL, kind + " product: relative error " + relErr(h32, h64));
    }
  }

  /** A layer type without float32 twins (here one defined outside the library) is refused, naming the type. */
  @Test
  void refusesALayerTypeWithoutFloat32Twins() {
    org.hesse.nn.Layer square = new org.hesse.nn.Layer() {  // z = x², a type the library does not know
      @Override public String type() { return "square"; }
      @Override public int inputSize() { return 5; }
      @Override public int outputSize() { return 5; }
      @Override public List<org.hesse.nn.ParamTensor> paramTensors() { return List.of(); }
      @Override public void forward(double[] theta, int off, double[] x, double[] z, int batch, org.hesse.nn.LayerContext ctx) {
        for (int i = 0; i < batch * 5; i++) z[i] = x[i] * x[i];
      }
      @Override public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn,
                                     double[] gTheta, int batch, org.hesse.nn.LayerContext ctx) {
        if (gIn != null) for (int i = 0; i < batch * 5; i++) gIn[i] = 2 * x[i] * gOut[i];
      }
    };
    Network net = new Network(4, List.of(new org.hesse.nn.Dense(4, 5), square, new org.hesse.nn.Dense(5, 2)),
        org.hesse.nn.Loss.byName("cross_entropy"));
    double[] theta = Nets.gaussian(net.paramCount(), 0.5, 1);
    InputException e = assertThrows(InputException.class, () -> Float32Curvature.of(net, theta, new double[8], new double[2], 2));
    assertEquals("precision f32: layer type 'square' has no float32 path yet; use --precision f64", e.getMessage());
  }

  static double[][] dense(LinearOperator op) {
    int n = op.dim();
    double[][] m = new double[n][n];
    double[] e = new double[n];
    double[] col = new double[n];
    for (int j = 0; j < n; j++) {
      e[j] = 1;
      op.apply(e, col);
      e[j] = 0;
      for (int i = 0; i < n; i++) m[i][j] = col[i];
    }
    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) m[i][j] = m[j][i] = (m[i][j] + m[j][i]) / 2;
    return m;
  }
}
