package org.hesse.hvp.spectra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.hesse.eigen.Arpack;
import org.hesse.eigen.CountingOperator;
import org.hesse.eigen.DenseEigen;
import org.hesse.eigen.DenseOperator;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerTrace;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * The library's per-layer spectra against closed forms: a source whose block is Q diag(λ) Qᵀ with a random
 * orthogonal Q and a chosen λ (rank 5, both signs), so top, bottom, trace, the whole spectrum and the gradient
 * overlap are known exactly; and over a local Curvature against dense LAPACK on the materialised blocks.
 */
class LayerSpectraEngineTest {
  static final double TOL = 1e-9;
  final Network net = Nets.mlp(4, 5, 3, 2, Activation.TANH, "cross_entropy");
  final int layer = 0;  // dense 4 → 5: 25 parameters
  final int p = net.layer(layer).paramCount();
  /** The non-zero eigenvalues; the other p − 5 are 0. Rank 5 < Hutch++'s sketch of 8: its trace is exact. */
  final double[] lambda = {9, 4, 2.5, -1, -3};
  final double[][] q = orthonormal(p, 7);
  final double[] gradient = Nets.gaussian(net.paramCount(), 1.0, 8);

  /** A source over the known matrix, with the given structure spectrum (null: none) and dense permission. */
  CurvatureSource known(double[] structure, boolean dense) {
    double[] a = new double[p * p];
    for (int j = 0; j < lambda.length; j++) {
      for (int r = 0; r < p; r++) for (int c = 0; c < p; c++) a[r * p + c] += lambda[j] * q[j][r] * q[j][c];
    }
    for (int r = 0; r < p; r++) for (int c = 0; c < r; c++) a[r * p + c] = a[c * p + r] = (a[r * p + c] + a[c * p + r]) / 2;
    return new CurvatureSource() {
      @Override public Network network() { return net; }
      @Override public LinearOperator block(CurvatureKind kind, int l) { return new DenseOperator(a.clone(), p); }
      @Override public double[] gradient() { return gradient.clone(); }
      @Override public double[] structureEigenvalues(CurvatureKind kind, int l) { return structure == null ? null : structure.clone(); }
      @Override public boolean denseAllowed() { return dense; }
    };
  }

  static SpectraOptions options(int top, int bottom, boolean full, boolean density, boolean vectors) {
    SpectraOptions d = SpectraOptions.defaults();
    return new SpectraOptions(CurvatureKind.HESSIAN, top, bottom, full, density, vectors, 20, 3, d.densityPoints(),
        d.hutchBudget(), 1e-12, 3);
  }

  /** The whole closed-form spectrum, ascending. */
  double[] spectrum() {
    double[] all = new double[p];
    System.arraycopy(lambda, 0, all, 0, lambda.length);
    Arrays.sort(all);
    return all;
  }

  /** ‖Q_kᵀ g‖² / ‖g‖² over the first k columns of Q (the top k, since λ is in descending order up to 2.5). */
  double overlap(int k) {
    double[] g = Arrays.copyOfRange(gradient, net.offset(layer), net.offset(layer) + p);
    double s = 0;
    for (int j = 0; j < k; j++) {
      double d = 0;
      for (int i = 0; i < p; i++) d += q[j][i] * g[i];
      s += d * d;
    }
    double gg = 0;
    for (double v : g) gg += v * v;
    return s / gg;
  }

  @Test
  void matrixFreePathGivesTheClosedForm() {
    // the block (25 parameters) is below the dense threshold; 0 forces the matrix-free path: ARPACK alone (block 0,
    // the default) or block Lanczos (block 2)
    int[][] paths = {{LayerSpectraEngine.denseMaxDim(), LayerSpectraEngine.DEFAULT_TOP_BLOCK}, {0, 2}, {0, 0}};
    for (int[] path : paths) {
      int denseMax = path[0];
      String source = denseMax > 0 ? "dense" : path[1] > 0 ? "block-lanczos" : "arpack";
      LayerSpectra s = new LayerSpectraEngine(known(null, true), options(3, 2, false, false, false), denseMax, path[1])
          .layer(layer);
      assertClose(new double[] {9, 4, 2.5}, s.top().values(), "top");
      assertClose(new double[] {-3, -1}, s.bottom().values(), "bottom");
      if (denseMax > 0) {
        assertEquals(11.5, s.trace().value(), TOL * 11.5, "exact trace from the dense spectrum");
        assertEquals("dense", s.trace().source());
        assertNull(s.trace().estimate(), "an exact trace has no estimate");
      } else {
        // Q: the top search's Lanczos basis, which spans the rank-5 range, so exact
        assertEquals(11.5, s.trace().value(), TOL * 11.5, "Hutch++ trace on the Lanczos basis (exact: rank 5 < 20)");
        assertEquals("hutch++-krylov", s.trace().source());
        assertEquals(24 - 2 * 8, s.trace().estimate().applications(), "the Hutchinson share of the budget 3⌊25/3⌋ only");
      }
      assertEquals(source, s.lambdaMax().source());
      // the bottom's shifted search may give up for the dense spectrum after n = 25 products, and says so
      assertTrue(s.lambdaMin().source().equals(denseMax > 0 ? "dense" : "arpack") || s.bottom().arpack().message().contains("solved densely"),
          s.lambdaMin().source() + ": " + s.bottom().arpack().message());
      assertEquals(9, s.lambdaMax().value(), TOL * 9);
      assertEquals(-3, s.lambdaMin().value(), TOL * 3);
      assertNull(s.eigenvalues());
      assertNull(s.metrics(), "no metrics without the whole spectrum or SLQ");
      assertEquals(overlap(3), s.gradientOverlapTop(), 1e-9, "gradient overlap with the top 3 eigenvectors");
      assertTrue(s.top().arpack().complete() && s.bottom().arpack().complete());
    }
  }

  @Test
  void densePathGivesTheClosedFormAndMetricsFromIt() {
    LayerSpectra s = new LayerSpectraEngine(known(null, true), options(2, 1, true, true, true)).layer(layer);
    assertClose(spectrum(), s.eigenvalues(), "whole spectrum");
    assertEquals("dense", s.eigenvaluesSource());
    assertTrue(s.eigenvaluesListed());
    assertClose(new double[] {9, 4}, s.top().values(), "top");
    assertClose(new double[] {-3}, s.bottom().values(), "bottom");
    assertEquals(11.5, s.trace().value(), TOL * 11.5);
    assertNull(s.trace().estimate(), "an exact trace has no estimate");
    assertNull(s.density(), "no SLQ when the whole spectrum is known");
    assertEquals("dense", s.metricsSource());
    assertEquals(9.0 / 1.0, s.metrics().conditionNumber(), 1e-6, "max|λ| / min non-zero |λ|");
    assertEquals(1.0 / p * 2, s.metrics().negativeFraction(), 1e-12, "2 negative eigenvalues of p");
    assertEquals(overlap(2), s.gradientOverlapTop(), 1e-9);
  }

  @Test
  void structureSpectrumIsUsedWithoutProductsOrSlq() {
    double[] structure = spectrum();
    LayerSpectra s = new LayerSpectraEngine(known(structure, false), options(2, 2, false, true, false)).layer(layer);
    assertEquals("structure", s.eigenvaluesSource());
    assertEquals("structure", s.lambdaMax().source());
    assertEquals("structure", s.trace().source());
    assertClose(new double[] {9, 4}, s.top().values(), "top");
    assertClose(new double[] {-3, -1}, s.bottom().values(), "bottom");
    assertNull(s.density());
    assertNull(s.topVectors(), "the structure gives no eigenvectors");
    assertNull(s.gradientOverlapTop());
  }

  @Test
  void densityAloneGivesSlqMetricsAndExtremes() {
    LayerSpectra s = new LayerSpectraEngine(known(null, true), options(0, 0, false, true, false)).layer(layer);
    assertNotNull(s.density());
    assertEquals("slq", s.metricsSource());
    assertEquals("slq", s.lambdaMax().source());
    assertEquals(0, s.top().values().length);
    // 20 Lanczos steps on a rank-5 operator: the extreme Ritz values are the extreme eigenvalues
    assertEquals(9, s.lambdaMax().value(), 1e-8);
    assertEquals(-3, s.lambdaMin().value(), 1e-8);
  }

  @Test
  void refusalsAndFailuresAreOneLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LayerSpectraEngine(known(null, false), options(1, 0, true, false, false)).layer(layer));
    assertTrue(e.getMessage().startsWith("full spectrum: not available"), e.getMessage());
    double[] bad = spectrum();
    bad[3] = Double.NaN;
    NonFiniteSpectrumException f = assertThrows(NonFiniteSpectrumException.class,
        () -> new LayerSpectraEngine(known(bad, true), options(1, 0, false, false, false)).layer(layer));
    assertEquals("numerical failure: layer 0 eigenvalues[3] is NaN (not finite)", f.getMessage());
    assertThrows(IllegalArgumentException.class, () -> options(-1, 0, false, false, false));
    IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> CurvatureKind.of("fisher"));
    assertEquals("unknown curvature 'fisher', expected one of [hessian, ggn, backmatching]", k.getMessage());
  }

  @Test
  void localCurvatureBlocksMatchDenseLapack() {
    int n = 11;
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 1), Nets.features(n, 4, 1.5, 2), Nets.targets(net, n, 3), 4);
    CurvatureSource src = CurvatureSource.of(c);
    BackMatching bm = new BackMatching(c);
    for (CurvatureKind kind : CurvatureKind.values()) {
      SpectraOptions o = new SpectraOptions(kind, 3, 2, false, false, false, 20, 3, 200, 30, 1e-12, 1);
      for (int l : net.parametrisedLayers()) {
        LinearOperator op = kind == CurvatureKind.BACK_MATCHING ? bm.weightSide(l) : c.block(kind.productKind(), l);
        double[] ref = DenseEigen.all(DenseEigen.materialize(op, Long.MAX_VALUE), op.dim(), false).eigenvalues();
        // the blocks are below the dense threshold; 0 forces the ARPACK path
        for (int denseMax : new int[] {LayerSpectraEngine.denseMaxDim(), 0}) {
          LayerSpectra s = new LayerSpectraEngine(src, o, denseMax).layer(l);
          String what = kind.id + " layer " + l + " dense max " + denseMax;
          double scale = Math.max(Math.abs(ref[0]), Math.abs(ref[ref.length - 1]));
          assertClose(new double[] {ref[ref.length - 1], ref[ref.length - 2], ref[ref.length - 3]}, s.top().values(), what + " top", scale);
          assertClose(new double[] {ref[0], ref[1]}, s.bottom().values(), what + " bottom", scale);
          // back-matching's dense layers: the structure eig(C) instead of ARPACK
          // the matrix-free top: the early-stopping Lanczos, or ARPACK where that handed over; named as the top's method
          String matrixFree = s.top().arpack() != null && s.top().arpack().method().equals("block-lanczos") ? "block-lanczos" : "arpack";
          String expected = kind == CurvatureKind.BACK_MATCHING ? "structure" : denseMax > 0 ? "dense" : matrixFree;
          assertEquals(expected, s.lambdaMax().source(), what);
          // the trace: exact from the structure (back-matching's eig(C); a dense layer's ≤ 16 outputs per sample)
          double trace = 0;
          for (double v : ref) trace += v;
          String traceSource = kind == CurvatureKind.BACK_MATCHING ? "structure" : denseMax > 0 ? "dense"
              : DenseLayerTrace.EXACT;
          assertEquals(traceSource, s.trace().source(), what);
          assertNull(s.trace().estimate(), what + ": an exact trace has no estimate");
          assertEquals(trace, s.trace().value(), 1e-12 * scale * ref.length, what + " trace");
          if (s.top().arpack() != null) {
            // the residuals (from the solve's own products where it did not restart) against new products; the
            // solver's pairs are ascending, the reported top descending, residual j belonging to top value j
            double[] direct = s.top().arpack().residuals(op);
            for (int j = 0; j < direct.length; j++) {
              assertEquals(direct[direct.length - 1 - j], s.top().residuals()[j], 1e-12 * scale, what + " residual " + j);
            }
          }
        }
      }
    }
  }

  @Test
  void wideDenseLayerGetsThePerSampleEstimateWithItsStandardError() {
    // more classes than the exact trace's outputs: the GGN's exact output-side route does not apply either
    Network wide = Nets.mlp(3, DenseLayerTrace.EXACT_MAX_OUTPUTS + 4, 4, DenseLayerTrace.EXACT_MAX_OUTPUTS + 1,
        Activation.TANH, "cross_entropy");
    int n = 300;
    Curvature c = Curvature.of(wide, Init.PYTORCH.init(wide, 1), Nets.features(n, 3, 1.5, 2), Nets.targets(wide, n, 3), 64);
    SpectraOptions o = new SpectraOptions(CurvatureKind.GGN, 2, 0, false, false, false, 20, 3, 200, 30, 1e-12, 1, 40,
        Arpack.DEFAULT_MAX_ITERATIONS);  // 40 Lanczos vectors: converged in the first run (below)
    LayerSpectra s = new LayerSpectraEngine(CurvatureSource.of(c), o, 0).layer(0);
    LinearOperator op = c.block(Curvature.Kind.GGN, 0);  // positive semi-definite: a trace well away from 0
    double[] ref = DenseEigen.all(DenseEigen.materialize(op, Long.MAX_VALUE), op.dim(), false).eigenvalues();
    double trace = 0;
    for (double v : ref) trace += v;
    assertEquals(DenseLayerTrace.ESTIMATE, s.trace().source());
    assertEquals(DenseLayerTrace.ESTIMATE, s.trace().estimate().method());
    double se = s.trace().estimate().standardError();
    assertTrue(se > 0 && se < 0.1 * Math.abs(trace), "standard error " + se + " of trace " + trace);
    assertEquals(trace, s.trace().value(), 5 * se, "within 5 standard errors");
    assertTrue(s.top().arpack().complete());
    assertClose(new double[] {ref[ref.length - 1], ref[ref.length - 2]}, s.top().values(), "top", ref[ref.length - 1]);

    // counted: the layer's products are ARPACK's alone (the trace and, without a restart, the residual check need none)
    CurvatureSource local = CurvatureSource.of(c);
    CountingOperator[] counted = new CountingOperator[1];
    CurvatureSource counting = new CurvatureSource() {
      @Override public Network network() { return wide; }
      @Override public LinearOperator block(CurvatureKind kind, int l) {
        return counted[0] = new CountingOperator(local.block(kind, l));
      }
      @Override public double[] gradient() { return local.gradient(); }
      @Override public LayerSpectra.TraceValue structureTrace(CurvatureKind kind, int l, long seed) {
        return local.structureTrace(kind, l, seed);
      }
    };
    LayerSpectra t = new LayerSpectraEngine(counting, o, 0).layer(0);
    assertEquals(1, t.top().arpack().iterations(), "converged in the first Lanczos run");
    assertEquals(t.top().arpack().applications(), counted[0].applications());
    double[] direct = t.top().arpack().residuals(op);
    for (int j = 0; j < direct.length; j++) {
      assertEquals(direct[direct.length - 1 - j], t.top().residuals()[j], 1e-12 * ref[ref.length - 1]);
    }
  }

  @Test
  void reportKeysInTheDocumentedOrder() {
    // the ARPACK path (dense threshold 0): an estimated trace, with its standard error and products
    LayerSpectra a = new LayerSpectraEngine(known(null, true), options(2, 1, false, true, false), 0).layer(layer);
    assertEquals(List.of("name", "type", "params", "trace", "trace_standard_error", "trace_source", "top", "top_complete",
        "bottom", "bottom_complete", "lambda_max", "lambda_max_source", "lambda_min", "lambda_min_source",
        "condition_number", "condition_number_positive", "effective_rank", "stable_rank", "negative_fraction",
        "negative_mass", "spectral_entropy", "outliers", "metrics_source", "zero_cutoff", "outlier_rule", "density",
        "gradient_overlap_top", "provenance"), new ArrayList<>(SpectraJson.layer(a).keySet()));
    assertEquals(List.of("trace_applications", "top_arpack", "bottom_arpack", "slq_applications"),
        new ArrayList<>(((Map<?, ?>) SpectraJson.layer(a).get("provenance")).keySet()));
    LayerSpectra f = new LayerSpectraEngine(known(null, true), options(2, 1, true, false, false)).layer(layer);
    Map<String, Object> fj = SpectraJson.layer(f);
    assertEquals(List.of("name", "type", "params", "trace", "trace_source", "top", "bottom", "eigenvalues"),
        new ArrayList<>(fj.keySet()).subList(0, 8));
    assertEquals(Map.of(), fj.get("provenance"));
    assertEquals(SpectraJson.nums(f.eigenvalues()), fj.get("eigenvalues"));
  }

  static void assertClose(double[] expected, double[] actual, String what) {
    assertClose(expected, actual, what, 9);
  }

  static void assertClose(double[] expected, double[] actual, String what, double scale) {
    assertEquals(expected.length, actual.length, what + ": count");
    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], TOL * scale, what + "[" + i + "]");
  }

  /** k = n orthonormal vectors from Gaussian ones (two Gram–Schmidt passes). */
  static double[][] orthonormal(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] v = new double[n][n];
    for (int j = 0; j < n; j++) {
      for (int i = 0; i < n; i++) v[j][i] = r.nextGaussian();
      for (int pass = 0; pass < 2; pass++) {
        for (int m = 0; m < j; m++) {
          double d = 0;
          for (int i = 0; i < n; i++) d += v[m][i] * v[j][i];
          for (int i = 0; i < n; i++) v[j][i] -= d * v[m][i];
        }
      }
      double nrm = 0;
      for (double x : v[j]) nrm += x * x;
      nrm = Math.sqrt(nrm);
      for (int i = 0; i < n; i++) v[j][i] /= nrm;
    }
    return v;
  }

  /**
   * An MSE net's 4-output last layer (164 parameters, above the dense threshold): its block is (Σ ã ãᵀ) ⊗ c·I, every
   * eigenvalue 4 times. The reported top 5 and bottom 3 must be those of the materialised block by LAPACK, copies
   * included (single-vector ARPACK returned 3 of the 4 copies of the top).
   */
  @Test
  void repeatedEigenvaluesOfAnMseOutputLayerComeBackWithTheirCopies() {
    Network net = Network.builder(6).dense(40).activation(Activation.TANH).dense(4).build("mse");
    double[] theta = Init.PYTORCH.init(net, 3);
    SplittableRandom r = new SplittableRandom(1);
    double[] x = new double[300 * 6];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    double[] y = new double[300 * 4];
    for (int i = 0; i < y.length; i++) y[i] = r.nextGaussian();
    Curvature c = Curvature.of(net, theta, null, org.hesse.nn.Mode.ANALYSIS, x, y, 256);
    int l = 2;
    LinearOperator op = c.block(Curvature.Kind.HESSIAN, l, l);
    int p = op.dim();
    assertTrue(p > org.hesse.eigen.SpectrumEnds.DENSE_MAX_DIM, "above the plain dense threshold: " + p);
    double[] ref = DenseEigen.all(DenseEigen.materialize(op, Long.MAX_VALUE), p, false).eigenvalues();  // ascending
    assertEquals(ref[p - 1], ref[p - 4], 1e-12 * ref[p - 1], "the reference's top repeats 4 times");
    SpectraOptions d = SpectraOptions.defaults();
    SpectraOptions o = new SpectraOptions(CurvatureKind.HESSIAN, 5, 3, false, false, false, d.slqSteps(), d.slqProbes(),
        d.densityPoints(), d.hutchBudget(), d.tol(), d.seed(), d.ncv(), d.maxIterations());
    LayerSpectra s = new LayerSpectraEngine(CurvatureSource.of(c), o).layer(l);
    for (int j = 0; j < 5; j++) assertEquals(ref[p - 1 - j], s.top().values()[j], 1e-10 * ref[p - 1], "top " + j);
    for (int j = 0; j < 3; j++) assertEquals(ref[j], s.bottom().values()[j], 1e-10 * ref[p - 1], "bottom " + j);
  }

  @Test
  void blockLanczosFindsEveryCopyOfTheMseOutputLayersTopWithoutTheDenseShortcut() {
    // the same block as above, forced through the matrix-free path (dense threshold 0): block Lanczos finds the 4
    // copies of the top and the next value, with its products counted and its residuals true
    Network net = Network.builder(6).dense(40).activation(Activation.TANH).dense(4).build("mse");
    SplittableRandom r = new SplittableRandom(1);
    double[] x = new double[300 * 6];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    double[] y = new double[300 * 4];
    for (int i = 0; i < y.length; i++) y[i] = r.nextGaussian();
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 3), null, org.hesse.nn.Mode.ANALYSIS, x, y, 256);
    int l = 2;
    LinearOperator op = c.block(Curvature.Kind.HESSIAN, l);
    int p = op.dim();
    double[] ref = DenseEigen.all(DenseEigen.materialize(op, Long.MAX_VALUE), p, false).eigenvalues();  // ascending
    assertEquals(ref[p - 1], ref[p - 4], 1e-12 * ref[p - 1], "the reference's top repeats 4 times");
    SpectraOptions d = SpectraOptions.defaults();
    SpectraOptions o = new SpectraOptions(CurvatureKind.HESSIAN, 5, 0, false, false, false, d.slqSteps(), d.slqProbes(),
        d.densityPoints(), d.hutchBudget(), d.tol(), d.seed(), d.ncv(), d.maxIterations());
    CurvatureSource local = CurvatureSource.of(c);
    CountingOperator[] counted = new CountingOperator[1];
    CurvatureSource counting = new CurvatureSource() {
      @Override public Network network() { return net; }
      @Override public LinearOperator block(CurvatureKind kind, int layer) {
        return counted[0] = new CountingOperator(local.block(kind, layer));
      }
      @Override public double[] gradient() { return local.gradient(); }
      @Override public LayerSpectra.TraceValue structureTrace(CurvatureKind kind, int layer, long seed) {
        return local.structureTrace(kind, layer, seed);
      }
    };
    for (int block : new int[] {2, 5}) {
      // a block of 2 sees two copies of the top above the 5th value and runs again with a block of 5
      LayerSpectra s = new LayerSpectraEngine(counting, o, 0, block).layer(l);
      assertEquals("block-lanczos", s.top().arpack().method(), s.top().arpack().message());
      for (int j = 0; j < 5; j++) {
        assertEquals(ref[p - 1 - j], s.top().values()[j], 1e-10 * ref[p - 1], "block " + block + ", top " + j);
      }
      assertEquals(s.top().arpack().applications(), counted[0].applications(), "products counted per direction");
      double[] direct = s.top().arpack().residuals(op);
      for (int j = 0; j < direct.length; j++) {
        assertEquals(direct[direct.length - 1 - j], s.top().residuals()[j], 1e-12 * ref[p - 1], "residual " + j);
      }
    }
    // ARPACK alone (block 0) on the same path misses a copy: what the block search is for
    LayerSpectra a = new LayerSpectraEngine(CurvatureSource.of(c), o, 0, 0).layer(l);
    assertEquals("arpack", a.top().arpack().method());
    assertTrue(Math.abs(a.top().values()[3] - ref[p - 4]) > 1e-6 * ref[p - 1], "ARPACK's 4th value " + a.top().values()[3]);
  }
}
