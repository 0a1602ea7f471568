package org.hesse.hvp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerBlock;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * A {@link PlainArrays.Handle} (one forward pass, many queries) gives bit for bit what a fresh curvature per query
 * gives (the old path of the static methods), also after {@link PlainArrays.Handle#update}.
 */
class PlainArraysHandleTest {
  private final Network net = Nets.mlp(3, 4, 4, 2, Activation.TANH, "cross_entropy");
  private final String json = ModelFiles.spec(net).toJson();
  private final double[] x = Nets.features(7, 3, 1.0, 2);
  private final double[] y = Nets.targets(net, 7, 3);

  /** The old path: a new curvature for the query. */
  private double[] freshProduct(double[] theta, int batch, int layer, Curvature.Kind kind, double[] v) {
    double[] out = new double[v.length];
    Curvature.of(net, theta, x, y, batch).block(kind, layer).apply(v, out);
    return out;
  }

  @Test
  void productsSpectraAndFactorsEqualAFreshCurvaturePerQuery() {
    double[] theta = Init.XAVIER.init(net, 1);
    PlainArrays.Handle h = PlainArrays.open(json, theta, x, y, 3);
    for (int layer : net.parametrisedLayers()) {
      double[] v = Nets.gaussian(net.layer(layer).paramCount(), 1.0, 10 + layer);
      assertArrayEquals(freshProduct(theta, 3, layer, Curvature.Kind.HESSIAN, v), h.blockProduct(layer, false, v));
      assertArrayEquals(freshProduct(theta, 3, layer, Curvature.Kind.GGN, v), h.blockProduct(layer, true, v));
      double[] bm = new double[v.length];
      new BackMatching(Curvature.of(net, theta, x, y, 3)).weightSide(layer).apply(v, bm);
      double[] got = new double[v.length];
      h.backMatchingWeightSide(layer).apply(v, got);
      assertArrayEquals(bm, got);
    }
    assertEquals(Curvature.of(net, theta, x, y, 3).loss(), h.loss(), 0.0);
    assertArrayEquals(Curvature.of(net, theta, x, y, 3).gradient(), h.gradient());

    SpectraOptions opts = SpectraOptions.defaults();
    LayerSpectra ref = new LayerSpectraEngine(CurvatureSource.of(Curvature.of(net, theta, x, y, 3)), opts).layer(2);
    LayerSpectra got = h.spectrum(2, opts);
    assertArrayEquals(ref.top().values(), got.top().values());
    assertEquals(ref.trace().value(), got.trace().value(), 0.0);

    // factors: the old code read the single batch's cached inputs; one batch of all rows is that path exactly
    Curvature one = Curvature.of(net, theta, x, y, x.length);
    double[] inputs = new double[7 * 4];
    one.layerInput(2, 0, inputs);
    double[][] f = PlainArrays.open(json, theta, x, y, x.length).denseLayerFactors(2, false);
    assertArrayEquals(inputs, f[0]);
    assertArrayEquals(DenseLayerBlock.of(one, Curvature.Kind.HESSIAN, 2).outputHessians(), f[1]);
    // in batches of 3 the factors gather every batch's rows (per-sample values: the partition does not matter)
    double[][] f3 = h.denseLayerFactors(2, false);
    assertArrayEquals(f[0], f3[0]);
    assertArrayEquals(f[1], f3[1], 1e-15);
  }

  @Test
  void updateMovesEveryOperatorToTheNewParameters() {
    double[] theta = Init.XAVIER.init(net, 1);
    double[] theta2 = Init.XAVIER.init(net, 2);
    PlainArrays.Handle h = PlainArrays.open(json, theta, x, y, 7);
    LinearOperator before = h.block(4, false);
    h.update(theta2);
    double[] v = Nets.gaussian(net.layer(4).paramCount(), 1.0, 5);
    double[] ref = freshProduct(theta2, 7, 4, Curvature.Kind.HESSIAN, v);
    double[] got = new double[v.length];
    before.apply(v, got);
    assertArrayEquals(ref, got);
    assertArrayEquals(ref, PlainArrays.blockProduct(json, theta2, x, y, 4, false, v));
    assertEquals(Curvature.of(net, theta2, x, y, 7).loss(), h.loss(), 0.0);
  }
}
