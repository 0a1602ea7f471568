package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.hesse.hvp.curvature.Curvature.CacheMode;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.MemoryBudgetExceededException;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The streaming curvature (nothing cached, every product recomputes each batch's forward) and the partial one (the
 * first batches cached, the others streamed) against the cached one on the same batches: the same arithmetic on the
 * same rows, so every number is compared bit for bit (tolerance 0); and against PyTorch's float64 block spectra (the
 * fixtures of {@link PyTorchFixtureTest}, relative 1e-10).
 */
class StreamingCurvatureTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A curvature built by {@link CacheMode#AUTO} under the memory budget that fits exactly its first {@code cached}
   * batches: their cache, the other rows' features and targets and one batch's workspace per Java worker (the sizes
   * from {@link Curvature#cacheBytes}, which {@link CacheBytesTest} checks against the retained arrays).
   */
  static Curvature partial(Network net, double[] theta, double[] buffers, double[] x, double[] y, int batch, int cached) {
    MemoryBudget saved = MemoryBudget.current();
    try {
      MemoryBudget.install(MemoryBudget.of(budgetFor(net, x.length / net.inputSize(), batch, cached)));
      Curvature c = Curvature.of(net, theta, buffers, Mode.ANALYSIS, x, y, batch, CacheMode.AUTO);
      assertEquals(cached, c.cachedBatches(), "cached batches");
      return c;
    } finally {
      MemoryBudget.install(saved);
    }
  }

  /** The bytes of N samples with the first {@code cached} batches of {@code batch} rows cached, the rest streamed. */
  static long budgetFor(Network net, int n, int batch, int cached) {
    int cachedRows = Math.min(n, cached * batch);
    if (cachedRows == n) return Curvature.cacheBytes(net, n);
    long data = 8L * (n - cachedRows) * (net.inputSize() + net.loss().targetWidth(net.outputSize()));
    int workers = org.hesse.runtime.ThreadPolicy.current().javaWorkers();
    return Curvature.cacheBytes(net, cachedRows) + data + workers * Curvature.cacheBytes(net, Math.min(n, batch));
  }

  /**
   * Cached, streamed and partially cached (up to half the batches) curvatures of one fixture, batches of 7 (a partial
   * last one; BN: all rows, so no partial one).
   */
  private static Curvature[] both(Path dir) throws IOException {
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[] buffers = ModelFiles.readBuffers(net, dir.resolve("model.safetensors"));
    double[][] data = PyTorchFixtureTest.readCsv(dir.resolve("data.csv"), net.inputSize());
    int n = data[0].length / net.inputSize();
    int batch = net.batchCoupled() ? n : 7;
    Curvature cached = Curvature.of(net, theta, buffers, Mode.ANALYSIS, data[0], data[1], batch, CacheMode.ALL);
    Curvature streamed = Curvature.of(net, theta, buffers, Mode.ANALYSIS, data[0], data[1], batch, CacheMode.NONE);
    assertEquals("all", cached.ran());
    assertEquals("none", streamed.ran());
    // at most half the batches, fewer when streaming the others would take more than caching all (few batches)
    int half = cached.batches() / 2;
    while (half > 0 && budgetFor(net, n, batch, half) >= Curvature.cacheBytes(net, n)) half--;
    if (half == 0) return new Curvature[] {cached, streamed};
    return new Curvature[] {cached, streamed, partial(net, theta, buffers, data[0], data[1], batch, half)};
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("org.hesse.hvp.curvature.PyTorchFixtureTest#cases")
  void streamedEqualsCachedBitForBitAndMatchesPyTorch(Path dir) throws IOException {
    Curvature[] all = both(dir);
    for (int other = 1; other < all.length; other++) {
      compareWithCached(dir, new Curvature[] {all[0], all[other]});
    }
  }

  private static void compareWithCached(Path dir, Curvature[] c) throws IOException {
    Network net = c[0].network();
    String name = dir.getFileName().toString() + " " + c[1].ran() + " " + c[1].cachedBatches();
    assertEquals(c[0].loss(), c[1].loss(), 0.0, name + " loss");
    assertEquals(c[0].batches(), c[1].batches(), name + " batches");
    assertArrayEquals(c[0].gradient(), c[1].gradient(), name + " gradient");
    JsonNode ref = JSON.readTree(dir.resolve("reference.json").toFile());
    for (Kind kind : Kind.values()) {
      // full operator: k = 3 directions at once, and the per-layer quadratic forms
      CurvatureOperator f0 = c[0].full(kind);
      CurvatureOperator f1 = c[1].full(kind);
      double[] v = Nets.gaussian(3 * f0.cols(), 1.0, 11);
      double[] y0 = new double[v.length];
      double[] y1 = new double[v.length];
      f0.applyMany(v, y0, 3);
      f1.applyMany(v, y1, 3);
      assertArrayEquals(y0, y1, name + " " + kind + " full product");
      double[][] q0 = f0.quadraticForms(v, 3);
      double[][] q1 = f1.quadraticForms(v, 3);
      for (int i = 0; i < q0.length; i++) assertArrayEquals(q0[i], q1[i], name + " " + kind + " quadratic forms");
      for (JsonNode layer : ref.get("layers")) {
        int l = net.layerIndex(layer.get("name").asText());
        double[][] b0 = CurvatureTest.dense(c[0].block(kind, l));
        double[][] b1 = CurvatureTest.dense(c[1].block(kind, l));
        for (int i = 0; i < b0.length; i++) assertArrayEquals(b0[i], b1[i], name + " " + kind + " block " + l);
        // the streamed block's spectrum against PyTorch's (as PyTorchFixtureTest does for the cached one)
        double[] eig = PyTorchFixtureTest.eigenvalues(b1);
        JsonNode refEig = layer.get((kind == Kind.HESSIAN ? "" : "ggn_") + "eigenvalues");
        double scale = Math.max(Math.abs(refEig.get(0).asDouble()), Math.abs(refEig.get(refEig.size() - 1).asDouble()));
        for (int i = 0; i < eig.length; i++) {
          assertEquals(refEig.get(i).asDouble(), eig[i], 1e-10 * scale, name + " " + kind + " layer " + l + " eigenvalue " + i);
        }
      }
    }
  }

  /** Two tanh hidden layers, cross-entropy, 30 samples in batches of 8 (the last has 6 rows). */
  private static final class Mlp {
    final Network net = Nets.mlp(5, 6, 4, 3, Activation.TANH, "cross_entropy");
    final double[] theta = org.hesse.nn.Init.PYTORCH.init(net, 7);
    final double[] x = Nets.features(30, 5, 1.0, 3);
    final double[] y = Nets.targets(net, 30, 4);

    Curvature of(CacheMode m) {
      return Curvature.of(net, theta, null, Mode.ANALYSIS, x, y, 8, m);
    }

    /**
     * The first {@code cached} of the 4 batches cached, the others streamed: 1 or 2 (streaming the last 2 of 4
     * batches, features, targets and one workspace of 8 rows, takes more than caching all 30 rows).
     */
    Curvature partial(int cached) {
      return StreamingCurvatureTest.partial(net, theta, null, x, y, 8, cached);
    }

    /** Streamed (none cached), and 1 or 2 of the 4 batches cached. */
    Curvature[] others() {
      return new Curvature[] {of(CacheMode.NONE), partial(1), partial(2)};
    }
  }

  @Test
  void everyOtherCallerOfTheBatchesSeesTheSameNumbers() {
    Mlp m = new Mlp();
    Curvature c0 = m.of(CacheMode.ALL);
    for (Curvature c1 : m.others()) sameNumbers(m, c0, c1);
  }

  private static void sameNumbers(Mlp m, Curvature c0, Curvature c1) {
    for (int l : m.net.parametrisedLayers()) {
      double[] v = Nets.gaussian(m.net.blockSize(l), 1.0, l);
      double[] y0 = new double[v.length];
      double[] y1 = new double[v.length];
      c0.jacobianGram(l).apply(v, y0);
      c1.jacobianGram(l).apply(v, y1);
      assertArrayEquals(y0, y1, "Jacobian Gram of layer " + l);
      for (Kind kind : Kind.values()) {
        // the per-sample trace, exact (the last layer: 3 outputs) and estimated (2 probes per sample)
        assertEquals(DenseLayerTrace.of(c0, kind, l, 11), DenseLayerTrace.of(c1, kind, l, 11), "trace of layer " + l);
        assertEquals(DenseLayerTrace.estimate(c0, kind, l, 2, 11), DenseLayerTrace.estimate(c1, kind, l, 2, 11),
            "estimated trace of layer " + l);
        DenseLayerBlock d0 = DenseLayerBlock.of(c0, kind, l);
        DenseLayerBlock d1 = DenseLayerBlock.of(c1, kind, l);
        assertArrayEquals(d0.outputHessians(), d1.outputHessians(), "output Hessians of layer " + l);
        assertArrayEquals(d0.assemble(), d1.assemble(), "dense block of layer " + l);
      }
      for (int other : m.net.parametrisedLayers()) {  // off-diagonal (inter-layer) blocks
        double[] w = Nets.gaussian(m.net.blockSize(other), 1.0, 5);
        double[] z0 = new double[v.length];
        double[] z1 = new double[v.length];
        c0.block(Kind.HESSIAN, l, other).apply(w, z0);
        c1.block(Kind.HESSIAN, l, other).apply(w, z1);
        assertArrayEquals(z0, z1, "block (" + l + ", " + other + ")");
      }
    }
    for (int layer = 0; layer < m.net.depth(); layer++) {
      int w = m.net.width(layer);
      for (int b = 0; b < c0.batches(); b++) {
        double[] a0 = new double[8 * w];
        double[] a1 = new double[8 * w];
        assertEquals(c0.layerInput(layer, b, a0), c1.layerInput(layer, b, a1));
        assertArrayEquals(a0, a1, "input of layer " + layer + ", batch " + b);
      }
      for (int s : new int[] {0, 13, 29}) assertArrayEquals(c0.inputGram(layer, s), c1.inputGram(layer, s), "input Gram");
    }
    ActivationSpace s0 = new ActivationSpace(c0);
    ActivationSpace s1 = new ActivationSpace(c1);
    for (Kind kind : Kind.values()) assertArrayEquals(s0.block(kind, 0, 2), s1.block(kind, 0, 2), "activation block");
  }

  @Test
  void updatesMoveTheStreamedCurvatureAsTheyMoveTheCachedOne() {
    Mlp m = new Mlp();
    for (Curvature c1 : m.others()) updatesAgree(m, m.of(CacheMode.ALL), c1);
  }

  private static void updatesAgree(Mlp m, Curvature c0, Curvature c1) {
    CurvatureOperator f0 = c0.full(Kind.HESSIAN);
    CurvatureOperator f1 = c1.full(Kind.HESSIAN);
    double[] v = Nets.gaussian(f0.cols(), 1.0, 2);
    double[] y0 = new double[v.length];
    double[] y1 = new double[v.length];
    f1.apply(v, y1);  // the streamed workspace holds the last batch at the old parameters
    double[] theta = m.theta.clone();
    for (int i = 0; i < theta.length; i++) theta[i] += 0.1 * Math.sin(i);
    c0.update(theta);
    c1.update(theta);
    assertEquals(c0.loss(), c1.loss(), 0.0, "loss after update(θ)");
    f0.apply(v, y0);
    f1.apply(v, y1);
    assertArrayEquals(y0, y1, "product after update(θ)");
    double[] x = Nets.features(30, 5, 2.0, 9);
    double[] y = Nets.targets(m.net, 30, 10);
    c0.update(m.theta, x, y);
    c1.update(m.theta, x, y);
    assertEquals(c0.loss(), c1.loss(), 0.0, "loss after update(θ, x, y)");
    assertArrayEquals(c0.gradient(), c1.gradient(), "gradient after update(θ, x, y)");
    f0.apply(v, y0);
    f1.apply(v, y1);
    assertArrayEquals(y0, y1, "product after update(θ, x, y)");
    // and both equal a curvature built on the new data from scratch
    double[] y2 = new double[v.length];
    Curvature.of(m.net, m.theta, null, Mode.ANALYSIS, x, y, 8, CacheMode.ALL).full(Kind.HESSIAN).apply(v, y2);
    assertArrayEquals(y2, y1, "product of a fresh curvature on the new data");
  }

  @Test
  void concurrentOperatorsEachBorrowTheirOwnWorkspace() throws Exception {
    Mlp m = new Mlp();
    Curvature c0 = m.of(CacheMode.ALL);
    Curvature[] others = {m.of(CacheMode.NONE), m.partial(2)};
    double[] v = Nets.gaussian(c0.full(Kind.HESSIAN).cols(), 1.0, 4);
    double[] expected = new double[v.length];
    c0.full(Kind.HESSIAN).apply(v, expected);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      java.util.List<Future<double[]>> results = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Curvature c1 = others[t % 2];
        results.add(pool.submit(() -> {
          CurvatureOperator op = c1.full(Kind.HESSIAN);
          double[] y = new double[v.length];
          for (int r = 0; r < 20; r++) op.apply(v, y);
          return y;
        }));
      }
      for (Future<double[]> f : results) assertArrayEquals(expected, f.get(), "product on a concurrent thread");
    } finally {
      pool.shutdown();
    }
  }

  /**
   * After concurrent products several workspaces are idle, each holding the last batch; an update recomputes in one
   * of them. A workspace borrowed next to it (here: inside another loop over the batches) must not hand out its
   * batch at the old parameters.
   */
  @Test
  void anIdleWorkspaceFromBeforeAnUpdateIsRecomputed() {
    Mlp m = new Mlp();
    idleWorkspaceRecomputed(m, m.of(CacheMode.NONE));
    idleWorkspaceRecomputed(m, m.partial(2));
  }

  private static void idleWorkspaceRecomputed(Mlp m, Curvature c1) {
    Curvature c0 = m.of(CacheMode.ALL);
    int last = c1.batches() - 1;
    c1.forEachBatch((i, b) -> c1.withBatch(last, x -> x));  // two workspaces, both ending on the last batch
    double[] theta = m.theta.clone();
    for (int i = 0; i < theta.length; i++) theta[i] -= 0.2 * Math.cos(i);
    c0.update(theta);
    c1.update(theta);
    int layer = m.net.depth() - 1;
    double[] expected = new double[8 * m.net.width(layer)];
    c0.layerInput(layer, last, expected);
    double[][] seen = new double[1][];
    c1.forEachBatch((i, b) -> {
      if (i > 0) return;
      double[] a = new double[expected.length];
      c1.layerInput(layer, last, a);
      seen[0] = a;
    });
    assertArrayEquals(expected, seen[0], "the last batch's layer input, from the workspace idle since before the update");
  }

  @Test
  void autoStreamsWhenTheCacheExceedsTheBudgetAndAllRefuses() {
    Mlp m = new Mlp();
    long bytes = Curvature.cacheBytes(m.net, 30);
    MemoryBudget saved = MemoryBudget.current();
    try {
      MemoryBudget.install(MemoryBudget.of(bytes));
      assertEquals("all", m.of(CacheMode.AUTO).ran(), "a cache that fits the budget exactly");
      MemoryBudget.install(MemoryBudget.of(bytes - 1));
      assertEquals("partial", m.of(CacheMode.AUTO).ran(), "one byte over the budget");
      MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class, () -> m.of(CacheMode.ALL));
      assertEquals(true, e.getMessage().contains("cached forward data of 30 samples"), e.getMessage());
    } finally {
      MemoryBudget.install(saved);
    }
  }

  /**
   * Auto caches all batches when their cache fits, else the most leading batches whose bytes (closed form
   * {@link #budgetFor}) fit: at each plan's exact figure that plan, one byte under it one batch fewer; one byte below
   * the streaming plan's figure AUTO and NONE refuse (streaming would not fit either). Caching 3 of the 4 batches takes more than all 4 (the
   * streamed last batch has 6 rows, its workspace 8), so the 3-batch plan's figure caches all.
   */
  @Test
  void autoCachesTheBatchesThatFitAtTheBudgetEdges() {
    Mlp m = new Mlp();
    long all = Curvature.cacheBytes(m.net, 30);
    assertEquals(true, budgetFor(m.net, 30, 8, 3) > all, "3 of 4 cost more than all");
    int[] expectedAt = {0, 1, 2, 4, 4};
    int[] expectedBelow = {-1, 0, 1, 4, 2};  // -1: refused; under the 3-batch plan all still fit; under all, the 2-batch plan
    MemoryBudget saved = MemoryBudget.current();
    try {
      for (int cached = 0; cached <= 4; cached++) {
        long bytes = budgetFor(m.net, 30, 8, cached);
        MemoryBudget.install(MemoryBudget.of(bytes));
        Curvature c = m.of(CacheMode.AUTO);
        int expected = expectedAt[cached];
        assertEquals(expected, c.cachedBatches(), "budget " + bytes);
        assertEquals(expected == 4 ? "all" : expected == 0 ? "none" : "partial", c.ran());
        MemoryBudget.install(MemoryBudget.of(bytes - 1));
        if (cached == 0) {
          assertThrows(MemoryBudgetExceededException.class, () -> m.of(CacheMode.AUTO), "budget " + (bytes - 1));
          assertThrows(MemoryBudgetExceededException.class, () -> m.of(CacheMode.NONE), "budget " + (bytes - 1));
        } else {
          assertEquals(expectedBelow[cached], m.of(CacheMode.AUTO).cachedBatches(), "budget " + (bytes - 1));
        }
      }
    } finally {
      MemoryBudget.install(saved);
    }
  }

  /**
   * The arrays a partial curvature really holds after products (its cached batches as {@link CacheBytesTest} sums
   * them, the streamed rows' features and targets, the idle workspaces with their views' prepared arrays) are what
   * the budget was set to: the plan's figure, for the tanh MLP exactly.
   */
  @Test
  void aPartialCacheHoldsWhatItsBudgetAllows() {
    Mlp m = new Mlp();
    for (int cached = 1; cached <= 2; cached++) {
      Curvature c = m.partial(cached);
      CurvatureOperator h = c.full(Kind.HESSIAN);
      double[] v = Nets.gaussian(h.cols(), 1.0, 3);
      h.apply(v, new double[v.length]);
      h.apply(v, new double[v.length]);
      long held = CacheBytesTest.retained(c) + 8L * (c.data.features.length + c.data.targets.length);
      assertEquals(1, c.data.idle.size(), "sequential products borrow one workspace");
      for (BatchSet<Curvature.BatchCache>.Streamed s : c.data.idle) {
        held += 8L * s.full.y.length;
        for (int a = 0; a <= m.net.nodeCount(); a++) {
          held += 8L * s.full.ws.activation(a).length;
          if (a > 0) held += 8L * s.full.ws.signal(a).length;
        }
        for (Curvature.BatchCache b : s.full == s.last ? List.of(s.full) : List.of(s.full, s.last)) {
          for (org.hesse.hvp.rules.Primal p : b.primal) held += CacheBytesTest.arrayBytes(p.prep);
        }
      }
      assertEquals(budgetFor(m.net, 30, 8, cached), held, cached + " cached batches");
    }
  }

  @Test
  void cacheModeNamesAreParsedAndOthersRefusedInOneLine() {
    assertEquals(CacheMode.NONE, CacheMode.parse("none", "--curvature-cache"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheMode.parse("some", "--curvature-cache"));
    assertEquals("--curvature-cache: unknown curvature cache 'some', expected auto, all or none", e.getMessage());
  }
}
