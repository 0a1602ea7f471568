package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.hesse.hvp.curvature.Curvature.CacheMode;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.Float32CurvatureTest.Case;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.precision.Precision;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.MemoryBudgetExceededException;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float32 curvature streamed ({@link CacheMode#NONE}) and partially cached ({@link CacheMode#AUTO} under a small
 * memory budget) against the cached one: the same rows, rounded to float the same way, through the same float
 * arithmetic, summed over the batches in the same order (one {@link BatchSet} for all modes), so every number is
 * compared bit for bit (tolerance 0). And the streamed one against the float64 engine and PyTorch's float64 block
 * spectra at {@link Float32CurvatureTest#TOL} (1e-5 relative; the reasoning of that class).
 */
class Float32StreamingTest {
  static final double TOL = Float32CurvatureTest.TOL;

  /** Float32 curvatures of one case: all batches cached, none, and (when it costs less than all) the first half. */
  private static List<Float32Curvature> modes(Case c, int batch) {
    List<Float32Curvature> out = new ArrayList<>();
    for (CacheMode m : new CacheMode[] {CacheMode.ALL, CacheMode.NONE}) {
      out.add(Float32Curvature.of(c.net(), c.theta(), null, Mode.ANALYSIS, c.x(), c.y(), batch, m));
    }
    int n = c.x().length / c.net().inputSize();
    int half = out.get(0).batches() / 2;
    while (half > 0 && plan(c.net(), n, batch, half) >= Float32Curvature.cacheBytes(c.net(), n)) half--;
    if (half > 0) out.add(partial(c.net(), c.theta(), c.x(), c.y(), batch, half));
    return out;
  }

  /** The float32 plan's bytes with the first {@code cached} batches cached (one workspace per Java worker). */
  private static long plan(Network net, int n, int batch, int cached) {
    return Curvature.planBytes(net, n, batch, cached, org.hesse.runtime.ThreadPolicy.current().javaWorkers(),
        Precision.F32);
  }

  /** AUTO under the budget that fits exactly the float32 plan of {@code cached} batches. */
  private static Float32Curvature partial(Network net, double[] theta, double[] x, double[] y, int batch, int cached) {
    MemoryBudget saved = MemoryBudget.current();
    try {
      MemoryBudget.install(MemoryBudget.of(plan(net, x.length / net.inputSize(), batch, cached)));
      Float32Curvature c = Float32Curvature.of(net, theta, null, Mode.ANALYSIS, x, y, batch, CacheMode.AUTO);
      assertEquals(cached, c.cachedBatches(), "cached batches");
      return c;
    } finally {
      MemoryBudget.install(saved);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse", "conv-ce", "layernorm-mlp-ce",
      "residual-mlp-mse", "graph-tied-mlp"})
  void streamedAndPartialEqualCachedBitForBit(String name) throws IOException {
    Case c = Float32CurvatureTest.load(name);
    List<Float32Curvature> all = modes(c, 5);
    Float32Curvature c0 = all.get(0);
    assertEquals("all", c0.cacheProvenance(null).get("ran"));
    assertEquals("none", all.get(1).cacheProvenance(null).get("ran"));
    int p = c.net().paramCount();
    double[] v3 = Nets.gaussian(3 * p, 1.0, 21);
    for (Float32Curvature c1 : all.subList(1, all.size())) {
      String at = name + " " + c1.cacheProvenance(null).get("ran") + " " + c1.cachedBatches();
      assertEquals(c0.loss(), c1.loss(), 0.0, at + " loss");
      assertArrayEquals(c0.gradient(), c1.gradient(), at + " gradient");
      for (Kind kind : Kind.values()) {
        double[] h0 = new double[3 * p];
        double[] h1 = new double[3 * p];
        c0.full(kind).applyMany(v3, h0, 3);
        c1.full(kind).applyMany(v3, h1, 3);
        assertArrayEquals(h0, h1, at + " " + kind + " full products");
        for (int l : c.net().parametrisedLayers()) {
          double[][] b0 = Float32CurvatureTest.dense(c0.block(kind, l));
          double[][] b1 = Float32CurvatureTest.dense(c1.block(kind, l));
          for (int i = 0; i < b0.length; i++) assertArrayEquals(b0[i], b1[i], at + " " + kind + " block " + l);
          if (DenseLayerTrace.applies(c0, l)) {
            assertEquals(DenseLayerTrace.of(c0, kind, l, 11), DenseLayerTrace.of(c1, kind, l, 11), at + " trace " + l);
            assertEquals(DenseLayerTrace.estimate(c0, kind, l, 2, 11), DenseLayerTrace.estimate(c1, kind, l, 2, 11),
                at + " estimated trace " + l);
          }
        }
      }
    }
  }

  /** The streamed float32 curvature against the float64 engine (loss, gradient, products) and PyTorch's spectra. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse", "conv-ce", "layernorm-mlp-ce"})
  void streamedMatchesFloat64AndPyTorch(String name) throws IOException {
    Case c = Float32CurvatureTest.load(name);
    Curvature c64 = Curvature.of(c.net(), c.theta(), null, Mode.ANALYSIS, c.x(), c.y(), 7, CacheMode.ALL);
    Float32Curvature c32 = Float32Curvature.of(c.net(), c.theta(), null, Mode.ANALYSIS, c.x(), c.y(), 7,
        CacheMode.NONE);
    assertEquals(0, c32.cachedBatches());
    double loss = c.ref().get("loss").asDouble();
    assertEquals(loss, c32.loss(), TOL * Math.abs(loss), name + " loss vs PyTorch");
    double g = Float32CurvatureTest.relErr(c32.gradient(), c64.gradient());
    assertTrue(g < TOL, name + " gradient: relative error " + g);
    double[] v = Nets.gaussian(c.net().paramCount(), 1.0, 3);
    for (Kind kind : Kind.values()) {
      double[] h64 = new double[v.length];
      double[] h32 = new double[v.length];
      c64.full(kind).apply(v, h64);
      c32.full(kind).apply(v, h32);
      double e = Float32CurvatureTest.relErr(h32, h64);
      assertTrue(e < TOL, name + " " + kind + " product: relative error " + e);
    }
    for (JsonNode layer : c.ref().get("layers")) {
      int l = c.net().layerIndex(layer.get("name").asText());
      for (Kind kind : Kind.values()) {
        String prefix = kind == Kind.HESSIAN ? "" : "ggn_";
        double[] eig = PyTorchFixtureTest.eigenvalues(Float32CurvatureTest.dense(c32.block(kind, l)));
        JsonNode refEig = layer.get(prefix + "eigenvalues");
        int n = refEig.size();
        double scale = Math.max(Math.abs(refEig.get(0).asDouble()), Math.abs(refEig.get(n - 1).asDouble()));
        for (int i = n - 3; i < n; i++) {  // the top three, relative to the block's largest |λ|
          assertEquals(refEig.get(i).asDouble(), eig[i], TOL * scale, name + " " + kind + " layer " + l + " eigenvalue " + i);
        }
      }
    }
  }

  /** Two tanh hidden layers, cross-entropy, 30 samples in batches of 8 (the last has 6 rows). */
  private static final Network MLP = Nets.mlp(5, 6, 4, 3, Activation.TANH, "cross_entropy");
  private static final double[] THETA = org.hesse.nn.Init.PYTORCH.init(MLP, 7);
  private static final double[] X = Nets.features(30, 5, 1.0, 3);
  private static final double[] Y = Nets.targets(MLP, 30, 4);

  private static Float32Curvature mlp(CacheMode m) {
    return Float32Curvature.of(MLP, THETA, null, Mode.ANALYSIS, X, Y, 8, m);
  }

  @Test
  void updatesMoveTheStreamedCurvatureAsTheyMoveTheCachedOne() {
    double[] theta = THETA.clone();
    for (int i = 0; i < theta.length; i++) theta[i] += 0.1 * Math.sin(i);
    double[] v = Nets.gaussian(MLP.paramCount(), 1.0, 2);
    double[] expected = new double[v.length];
    Float32Curvature c0 = mlp(CacheMode.ALL);
    c0.update(theta);
    c0.full(Kind.HESSIAN).apply(v, expected);
    for (Float32Curvature c1 : new Float32Curvature[] {mlp(CacheMode.NONE), partial(MLP, THETA, X, Y, 8, 2)}) {
      var op = c1.full(Kind.HESSIAN);
      double[] y = new double[v.length];
      op.apply(v, y);  // the streamed workspace holds the last batch at the old parameters
      c1.update(theta);
      assertEquals(c0.loss(), c1.loss(), 0.0, "loss after update(θ)");
      op.apply(v, y);
      assertArrayEquals(expected, y, "product after update(θ)");
    }
  }

  /**
   * What a partial float32 curvature holds after products (its cached batches, the streamed rows' features and
   * targets in double, the idle workspace with its views' prepared arrays) is its plan's figure exactly, and AUTO
   * decides at the float32 sizes: everything cached at {@code cacheBytes(F32)}, a partial cache one byte under, ALL
   * refused there naming the float32 data.
   */
  @Test
  void theFloat32PlanIsWhatItHoldsAndAutoDecidesOnIt() {
    for (int cached = 1; cached <= 2; cached++) {
      Float32Curvature c = partial(MLP, THETA, X, Y, 8, cached);
      var h = c.full(Kind.HESSIAN);
      double[] v = Nets.gaussian(h.dim(), 1.0, 3);
      h.apply(v, new double[v.length]);
      h.apply(v, new double[v.length]);
      long held = CacheBytesTest.retained(c) + 8L * (c.data.features.length + c.data.targets.length);
      assertEquals(1, c.data.idle.size(), "sequential products borrow one workspace");
      for (BatchSet<Curvature.BatchCache32>.Streamed s : c.data.idle) {
        held += 8L * s.full.y.length;
        for (int a = 0; a <= MLP.nodeCount(); a++) {
          held += 4L * s.full.ws.activation(a).length;
          if (a > 0) held += 4L * s.full.ws.signal(a).length;
        }
        for (Curvature.BatchCache32 b : s.full == s.last ? List.of(s.full) : List.of(s.full, s.last)) {
          for (org.hesse.hvp.rules.Primal32 p : b.primal) held += CacheBytesTest.arrayBytes(p.prep);
        }
      }
      assertEquals(plan(MLP, 30, 8, cached), held, cached + " cached batches");
    }
    long all = Float32Curvature.cacheBytes(MLP, 30);
    assertEquals(Curvature.cacheBytes(MLP, 30) - 4L * 30 * (5 + 2 * (6 + 6 + 4 + 4 + 3)), all,
        "half the float64 bytes for every value but the targets");
    MemoryBudget saved = MemoryBudget.current();
    try {
      MemoryBudget.install(MemoryBudget.of(all));
      assertEquals("all", mlp(CacheMode.AUTO).cacheProvenance(null).get("ran"), "a cache that fits exactly");
      MemoryBudget.install(MemoryBudget.of(all - 1));
      assertEquals("partial", mlp(CacheMode.AUTO).cacheProvenance("auto").get("ran"), "one byte over");
      MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class, () -> mlp(CacheMode.ALL));
      assertTrue(e.getMessage().contains("cached float32 forward data of 30 samples"), e.getMessage());
    } finally {
      MemoryBudget.install(saved);
    }
  }
}
