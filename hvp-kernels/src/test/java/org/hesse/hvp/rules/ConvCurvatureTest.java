package org.hesse.hvp.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureChecks;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The curvature battery (gradient and HVP against finite differences, symmetry, GGN PSD, blocks = slices,
 * k-vector = singles) on small conv nets with both losses. The nets put a conv layer after another parametrised
 * layer so that every term of the conv rule (V·col(x), g·col(dx)ᵀ, col2im(Vᵀg), col2im(Wᵀdg)) is exercised,
 * and pooling between parametrised layers so that the pools' backward tangents are.
 */
class ConvCurvatureTest {
  static String net(String shape, int input, String loss, String layers) {
    return "{\"input\": " + input + ", \"loss\": \"" + loss + "\", \"input_shape\": " + shape + ", \"layers\": [" + layers + "]}";
  }

  /** The brief's net: [1,6,5] → conv2d(3, k3, s1, p1) → tanh → maxpool2d(2) → flatten → dense(3). */
  static final String SMALL = "{\"type\": \"conv2d\", \"out_channels\": 3, \"kernel\": 3, \"stride\": 1, \"padding\": 1},"
      + "{\"type\": \"tanh\"}, {\"type\": \"maxpool2d\", \"kernel\": 2}, {\"type\": \"flatten\"}, {\"type\": \"dense\", \"out\": 3}";

  /** [2,7,6] → conv(3, k3, s2, p1) → softplus → conv(2, k2) → tanh → avgpool2d(2, s1) → flatten → dense(3). */
  static final String STRIDED_AVG = "{\"type\": \"conv2d\", \"out_channels\": 3, \"kernel\": 3, \"stride\": 2, \"padding\": 1},"
      + "{\"type\": \"softplus\"}, {\"type\": \"conv2d\", \"out_channels\": 2, \"kernel\": 2}, {\"type\": \"tanh\"},"
      + "{\"type\": \"avgpool2d\", \"kernel\": 2, \"stride\": 1}, {\"type\": \"flatten\"}, {\"type\": \"dense\", \"out\": 3}";

  /** [1,8,8] → conv(2, k3, p1) → tanh → maxpool(2) → conv(3, k2) → gelu → maxpool(2, s1) → flatten → dense(3). */
  static final String DEEP_MAX = "{\"type\": \"conv2d\", \"out_channels\": 2, \"kernel\": 3, \"padding\": 1},"
      + "{\"type\": \"tanh\"}, {\"type\": \"maxpool2d\", \"kernel\": 2}, {\"type\": \"conv2d\", \"out_channels\": 3, \"kernel\": 2},"
      + "{\"type\": \"gelu\"}, {\"type\": \"maxpool2d\", \"kernel\": 2, \"stride\": 1}, {\"type\": \"flatten\"},"
      + "{\"type\": \"dense\", \"out\": 3}";

  static String layers(String name) {
    switch (name) {
      case "small": return SMALL;
      case "strided_avg": return STRIDED_AVG;
      case "deep_max": return DEEP_MAX;
      default: throw new IllegalArgumentException(name);
    }
  }

  @ParameterizedTest(name = "{0} {3}")
  @CsvSource(delimiter = ';', value = {
      "small; [1, 6, 5]; 30; cross_entropy", "small; [1, 6, 5]; 30; mse",
      "strided_avg; [2, 7, 6]; 84; cross_entropy", "strided_avg; [2, 7, 6]; 84; mse",
      "deep_max; [1, 8, 8]; 64; cross_entropy", "deep_max; [1, 8, 8]; 64; mse"})
  void batteryPasses(String name, String shape, int input, String loss) {
    Network net = ModelFiles.network(ModelSpec.parse(net(shape, input, loss, layers(name))));
    int n = 7;
    double[] theta = Nets.gaussian(net.paramCount(), 0.5, 41);
    double[] x = Nets.features(n, input, 1.0, 42);
    double[] y = Nets.targets(net, n, 43);
    CurvatureChecks.all(net, theta, x, y, 4);  // batches of 4 and 3
  }

  /**
   * A block of the first conv layer, by the conv rule with k directions, against central differences of that
   * layer's gradient (independent of the rule's algebra; the battery compares the full product this way).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"strided_avg", "deep_max"})
  void firstConvBlockMatchesFiniteDifferences(String name) {
    String shape = name.equals("deep_max") ? "[1, 8, 8]" : "[2, 7, 6]";
    int input = name.equals("deep_max") ? 64 : 84;
    Network net = ModelFiles.network(ModelSpec.parse(net(shape, input, "cross_entropy", layers(name))));
    int n = 5;
    double[] theta = Nets.gaussian(net.paramCount(), 0.5, 51);
    double[] x = Nets.features(n, input, 1.0, 52);
    double[] y = Nets.targets(net, n, 53);
    Curvature c = Curvature.of(net, theta, x, y, n);
    CurvatureOperator block = c.block(Curvature.Kind.HESSIAN, 0, 0);
    int p = block.cols();
    int k = 2;
    double[] v = Nets.gaussian(k * p, 1.0, 54);
    double[] hv = new double[k * p];
    block.applyMany(v, hv, k);
    org.hesse.nn.Objective obj = new org.hesse.nn.Objective(net, x, y, n);
    double h = 1e-5;
    for (int j = 0; j < k; j++) {
      double[] tp = theta.clone();
      double[] tm = theta.clone();
      for (int i = 0; i < p; i++) {
        tp[i] += h * v[j * p + i];
        tm[i] -= h * v[j * p + i];
      }
      double[] gp = new double[theta.length];
      double[] gm = new double[theta.length];
      obj.lossAndGradient(tp, gp);
      obj.lossAndGradient(tm, gm);
      double scale = 0;
      for (int i = 0; i < p; i++) scale = Math.max(scale, Math.abs(hv[j * p + i]));
      for (int i = 0; i < p; i++) {
        assertEquals((gp[i] - gm[i]) / (2 * h), hv[j * p + i], 1e-5 * scale, "direction " + j + " entry " + i);
      }
    }
  }

  /** The conv rule without its fused override: backwardTangent is the interface's (vjpTangent, then residualTerms). */
  static final class SplitConv implements SecondOrderRule {
    final Conv2dSecondOrder rule = new Conv2dSecondOrder();

    @Override public Class<? extends org.hesse.nn.Layer> layerType() { return rule.layerType(); }
    @Override public Object prepare(Primal p, Object previous) { return rule.prepare(p, previous); }
    @Override public void jvp(Primal p, double[][] dxs, View v, double[] dz, int k, Scratch s) { rule.jvp(p, dxs, v, dz, k, s); }

    @Override
    public void vjpTangent(Primal p, double[] dg, double[][] dgIns, View hv, int k, Scratch s) {
      rule.vjpTangent(p, dg, dgIns, hv, k, s);
    }

    @Override
    public void residualTerms(Primal p, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch s) {
      rule.residualTerms(p, dxs, v, dgIns, hv, k, s);
    }
  }

  /**
   * The fused backward tangent (what the engine runs) equals the rule's two parts, vjpTangent + residualTerms, to
   * rounding: H and GGN, k directions, on nets where every conv term is active (a conv after a parametrised layer).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"strided_avg", "deep_max"})
  void splitPartsEqualTheFusedBody(String name) {
    String shape = name.equals("deep_max") ? "[1, 8, 8]" : "[2, 7, 6]";
    int input = name.equals("deep_max") ? 64 : 84;
    Network net = ModelFiles.network(ModelSpec.parse(net(shape, input, "cross_entropy", layers(name))));
    int n = 5;
    double[] theta = Nets.gaussian(net.paramCount(), 0.5, 61);
    double[] x = Nets.features(n, input, 1.0, 62);
    double[] y = Nets.targets(net, n, 63);
    Curvature fused = Curvature.of(net, theta, x, y, 3);
    Curvature split;
    SecondOrderRule registered = SecondOrderRules.of(net.layer(0));
    SecondOrderRules.register(new SplitConv());
    try {
      split = Curvature.of(net, theta, x, y, 3);  // rules are resolved here
    } finally {
      SecondOrderRules.register(registered);
    }
    int p = net.paramCount();
    int k = 3;
    double[] v = Nets.gaussian(k * p, 1.0, 64);
    for (Curvature.Kind kind : Curvature.Kind.values()) {
      double[] a = new double[k * p];
      double[] b = new double[k * p];
      fused.full(kind).applyMany(v, a, k);
      split.full(kind).applyMany(v, b, k);
      double scale = 0;
      for (double e : a) scale = Math.max(scale, Math.abs(e));
      for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-12 * scale, kind + " entry " + i);
    }
  }
}
