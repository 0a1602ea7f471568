package org.hesse.hvp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.hesse.hvp.curvature.Curvature;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/** The plain-array entry point gives the same numbers as the network types. */
class PlainArraysTest {
  @Test
  void blockProductAndFactorsMatchTheNetworkPath() {
    Network net = Nets.mlp(3, 4, 4, 2, Activation.SIGMOID, "mse");
    String json = ModelFiles.spec(net).toJson();
    double[] theta = Init.XAVIER.init(net, 1);
    double[] x = Nets.features(6, 3, 1.0, 2);
    double[] y = Nets.targets(net, 6, 3);
    Curvature c = Curvature.of(net, theta, x, y, 4);
    double[] v = Nets.gaussian(net.layer(2).paramCount(), 1.0, 4);
    double[] ref = new double[v.length];
    c.block(Curvature.Kind.HESSIAN, 2).apply(v, ref);
    double[] got = PlainArrays.blockProduct(json, theta, x, y, 2, false, v);
    for (int i = 0; i < v.length; i++) assertEquals(ref[i], got[i], 1e-14);
    // factors rebuild the block product: Σ_n (M_n (V x_n + b)) x_nᵀ
    double[][] f = PlainArrays.denseLayerFactors(json, theta, x, y, 2, false);
    int in = 4;
    int out = 4;
    double[] rebuilt = new double[v.length];
    for (int n = 0; n < 6; n++) {
      double[] u = new double[out];
      for (int i = 0; i < out; i++) {
        u[i] = v[out * in + i];
        for (int j = 0; j < in; j++) u[i] += v[i * in + j] * f[0][n * in + j];
      }
      for (int i = 0; i < out; i++) {
        double w = 0;
        for (int i2 = 0; i2 < out; i2++) w += f[1][(n * out + i) * out + i2] * u[i2];
        for (int j = 0; j < in; j++) rebuilt[i * in + j] += w * f[0][n * in + j];
        rebuilt[out * in + i] += w;
      }
    }
    for (int i = 0; i < v.length; i++) assertEquals(ref[i], rebuilt[i], 1e-13);
  }
}
