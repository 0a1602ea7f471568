package org.hesse.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.nn.Parameter;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.external.GradientHvp;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model of a real JVM framework, DJL with its PyTorch engine (all from Maven Central, libtorch from the
 * pytorch-native-cpu jar, no download: {@code ai.djl.offline=true}), handed to Hesse the two ways a framework can:
 * (a) only its autograd gradient, as the callback of {@link GradientHvp}, and (b) its weights, copied into a Hesse
 * {@link Network} under PyTorch state-dict names. (b) is Hesse's exact curvature; (a) must agree with it within
 * GradientHvp's documented bound, and DJL's loss and gradient with Hesse's to rounding.
 */
class DjlHandoverTest {
  private static final int[] WIDTHS = {8, 12, 12, 3};
  private static final int N = 32;
  private static final double U64 = GradientHvp.UNIT_ROUNDOFF_64;

  private static DjlMlp djl;
  private static Network net;
  private static double[] x;
  private static double[] y;
  private static double[] theta;

  @BeforeAll
  static void handOver() {
    String os = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    // the test class path carries libtorch for linux-x86_64 only (interop/pom.xml); elsewhere DJL would download
    assumeTrue(os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64")),
        "DJL's PyTorch native library on the test class path is pytorch-native-cpu:linux-x86_64; this JVM is "
            + os + "/" + arch);
    // from here on a failure to load is a failure, not a skip
    assertEquals("true", System.getProperty("ai.djl.offline"), "surefire must run DJL offline (interop/pom.xml)");
    assertEquals("PyTorch", Engine.getEngine("PyTorch").getEngineName());

    x = Nets.features(N, WIDTHS[0], 1.0, 11);
    long[] labels = new long[N];
    SplittableRandom r = new SplittableRandom(12);
    for (int i = 0; i < N; i++) labels[i] = r.nextInt(WIDTHS[WIDTHS.length - 1]);
    y = Arrays.stream(labels).asDoubleStream().toArray();
    djl = new DjlMlp(WIDTHS, x, labels, 13, 0.5f, 0.2f);

    // (b) the same architecture in Hesse (layer-list indices are PyTorch's Sequential indices), DJL's weights by name
    net = Network.builder(WIDTHS[0]).dense(WIDTHS[1]).activation("tanh").dense(WIDTHS[2]).activation("tanh")
        .dense(WIDTHS[3]).build("cross_entropy");
    Map<String, Parameter> weights = djl.stateDict();
    assertEquals(net.tensors().keySet(), weights.keySet());
    theta = new double[net.paramCount()];
    for (ParamTensor t : net.tensors().values()) {
      Parameter p = weights.get(t.name);
      assertArrayEquals(Arrays.stream(t.shape).asLongStream().toArray(), p.getShape().getShape(), t.name);
      double[] v = p.getArray().toDoubleArray();
      System.arraycopy(v, 0, theta, t.offset, v.length);
    }
    // the name-by-name copy is DJL's own flat order: weights before bias, layer by layer
    assertArrayEquals(djl.parameters(), theta);
  }

  @AfterAll
  static void close() {
    if (djl != null) djl.close();
  }

  @Test
  void lossAndGradientAreDjlsToRounding() {
    double[] g = new double[theta.length];
    double loss = djl.lossAndGradient(theta, g);
    Curvature c = Curvature.of(net, theta, x, y, N);
    // float64 throughout; sums over 32 samples and ≤ 16 terms of O(1) values: a few hundred u
    assertEquals(c.loss(), loss, 1e-12 * Math.abs(c.loss()), "mean cross-entropy");
    double[] ref = c.gradient();
    assertTrue(norm(diff(g, ref)) <= 1e-12 * norm(ref), "gradient: ‖Δ‖ = " + norm(diff(g, ref)) + ", ‖g‖ = " + norm(ref));
    System.out.printf("loss %.17g (DJL) vs %.17g (Hesse); gradient ‖Δ‖ %.2e, ‖g‖ %.3g%n", loss, c.loss(),
        norm(diff(g, ref)), norm(ref));
  }

  /**
   * Per-layer block spectra from DJL's gradient alone (a) against Hesse's exact blocks (b), through the same spectra
   * engine (whole spectrum, dense). Each column j of (a)'s block is checked against the exact one within
   * {@link GradientHvp#errorBound} b_j; the engine symmetrises the materialised block, so every eigenvalue moves by at
   * most ‖E‖₂ ≤ ‖E‖_F ≤ √Σb_j² (Weyl) and the trace, the diagonal's sum, by at most Σ b_j.
   */
  @Test
  void gradientOnlyBlockSpectraAreTheExactOnesWithinTheDocumentedBound() {
    Curvature exact = Curvature.of(net, theta, x, y, N);
    double[] gradient = new double[theta.length];
    djl.gradient(theta, gradient);
    CurvatureSource fromDjlGradients = new CurvatureSource() {
      @Override public Network network() {
        return net;  // the layer layout only: offsets, counts and names of the parameter blocks
      }

      @Override public LinearOperator block(CurvatureKind kind, int layer) {
        if (kind != CurvatureKind.HESSIAN) throw new IllegalArgumentException(kind + ": only the Hessian from gradients");
        return layerBlock(layer);
      }

      @Override public double[] gradient() {
        return gradient.clone();
      }
    };
    SpectraOptions full = new SpectraOptions(CurvatureKind.HESSIAN, 5, 0, true, false, false, 90, 10, 200, 30, 1e-8, 0);
    LayerSpectraEngine fromGradients = new LayerSpectraEngine(fromDjlGradients, full);
    LayerSpectraEngine fromWeights = new LayerSpectraEngine(CurvatureSource.of(exact), full);

    for (int layer : net.parametrisedLayers()) {
      int p = net.layer(layer).paramCount();
      GradientHvp op = layerBlock(layer);
      LinearOperator h = exact.block(Curvature.Kind.HESSIAN, layer);
      LayerSpectra b = fromWeights.layer(layer);
      double hNorm = Math.max(Math.abs(b.eigenvalues()[0]), Math.abs(b.eigenvalues()[p - 1]));
      double[] gS = Arrays.copyOfRange(gradient, net.offset(layer), net.offset(layer) + p);
      // ε_g: a float64 gradient of this net sums a few hundred O(1) products per entry; DJL's and Hesse's, rounded
      // independently, agree within it (checked); ‖g‖ moves by ‖H‖h‖v‖ < 1e-4 at θ ± h v
      double gradError = 64 * U64 * (1 + norm(gS));
      double[] hesseGS = Arrays.copyOfRange(exact.gradient(), net.offset(layer), net.offset(layer) + p);
      assertTrue(norm(diff(gS, hesseGS)) <= gradError, "layer " + layer + ": DJL's and Hesse's gradients differ by "
          + norm(diff(gS, hesseGS)) + " > ε_g " + gradError);
      double frobenius2 = 0;
      double diagonal = 0;
      double[] e = new double[p];
      double[] got = new double[p];
      double[] ref = new double[p];
      for (int j = 0; j < p; j++) {
        Arrays.fill(e, 0);
        e[j] = 1;
        op.apply(e, got);
        h.apply(e, ref);
        double bound = op.errorBound(e, tau(layer, e), gradError, hNorm);
        double err = norm(diff(got, ref));
        assertTrue(err <= bound, "layer " + layer + " column " + j + ": error " + err + " > bound " + bound);
        frobenius2 += bound * bound;
        diagonal += bound;
      }
      // plus LAPACK's backward error on each side, O(p u ‖H‖) ≤ 1e-12 ‖H‖ here
      double eigenBound = Math.sqrt(frobenius2) + 1e-12 * hNorm;
      // not vacuous: the O(u^{2/3}) regime, ~1e-8 of the block's norm here
      assertTrue(eigenBound <= 1e-7 * hNorm, "layer " + layer + ": bound " + eigenBound + " vs ‖H‖ " + hNorm);

      LayerSpectra a = fromGradients.layer(layer);
      assertEquals(b.params(), a.params());
      for (int i = 0; i < p; i++) {
        assertEquals(b.eigenvalues()[i], a.eigenvalues()[i], eigenBound, "layer " + layer + " eigenvalue " + i);
      }
      for (int i = 0; i < b.top().values().length; i++) {
        assertEquals(b.top().values()[i], a.top().values()[i], eigenBound, "layer " + layer + " top " + i);
      }
      assertEquals(b.trace().value(), a.trace().value(), diagonal + 1e-12 * p * hNorm, "layer " + layer + " trace");
      System.out.printf("layer %d (%d params): lambda_max %.15g vs %.15g, trace %.15g vs %.15g; bounds %.2e, %.2e%n",
          layer, p, a.lambdaMax().value(), b.lambdaMax().value(), a.trace().value(), b.trace().value(), eigenBound,
          diagonal);
    }
  }

  /**
   * A third way in: DJL's exact Hessian-vector product (PyTorch double backward through the engine) on the whole
   * parameter vector and on each layer's block, against Hesse's R-operator products on the copied weights.
   */
  @Test
  void djlDoubleBackwardIsHessesExactProduct() {
    Curvature exact = Curvature.of(net, theta, x, y, N);
    double g = norm(exact.gradient());
    double[] v = Nets.gaussian(theta.length, 1.0, 14);
    double[][] djlProduct = djl.hessianProduct(theta, v);
    assertEquals(exact.loss(), djlProduct[0][0], 1e-12 * exact.loss(), "the functional forward's loss");
    double[] ref = new double[theta.length];
    exact.full(Curvature.Kind.HESSIAN).apply(v, ref);
    // H v is read as (g + H v) − g: rounding of order u (‖g‖ + ‖H v‖) on top of the products' own
    assertTrue(norm(diff(djlProduct[1], ref)) <= 1e-12 * (norm(ref) + g), "H v: ‖Δ‖ = " + norm(diff(djlProduct[1], ref)));
    for (int layer : net.parametrisedLayers()) {
      int off = net.offset(layer);
      int p = net.layer(layer).paramCount();
      double[] onLayer = new double[theta.length];
      System.arraycopy(v, off, onLayer, off, p);
      double[] got = Arrays.copyOfRange(djl.hessianProduct(theta, onLayer)[1], off, off + p);
      double[] block = new double[p];
      exact.block(Curvature.Kind.HESSIAN, layer).apply(Arrays.copyOfRange(v, off, off + p), block);
      assertTrue(norm(diff(got, block)) <= 1e-12 * (norm(block) + g), "layer " + layer + " block product");
    }
  }

  /** (a)'s block of a layer: central differences of DJL's gradient. */
  private static GradientHvp layerBlock(int layer) {
    return GradientHvp.of(djl::gradient, theta, GradientHvp.range(net.offset(layer), net.layer(layer).paramCount()));
  }

  /**
   * τ of the bound for direction v (unit): ‖d²/dt² (H(θ + t v) v)_S‖ at t = 0 by a second central difference of
   * Hesse's exact products (step 1e-3: O(1e-6) relative), times 2 for the range |t| ≤ h‖v‖ (&lt; 1e-4).
   */
  private static double tau(int layer, double[] v) {
    int off = net.offset(layer);
    double step = 1e-3;
    double[] t = theta.clone();
    double[][] products = new double[3][v.length];
    for (int s = -1; s <= 1; s++) {
      for (int k = 0; k < v.length; k++) t[off + k] = theta[off + k] + s * step * v[k];
      Curvature.of(net, t, x, y, N).block(Curvature.Kind.HESSIAN, layer).apply(v, products[s + 1]);
    }
    double[] d = new double[v.length];
    for (int k = 0; k < d.length; k++) d[k] = (products[2][k] - 2 * products[1][k] + products[0][k]) / (step * step);
    return 2 * norm(d);
  }

  private static double[] diff(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
    return d;
  }

  private static double norm(double[] a) {
    double s = 0;
    for (double v : a) s += v * v;
    return Math.sqrt(s);
  }
}
