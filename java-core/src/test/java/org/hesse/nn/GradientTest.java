package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.hesse.simd.Activation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The exact gradient against central finite differences, for every activation and both losses. */
class GradientTest {
  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (Activation a : Activation.values()) {
      for (String loss : new String[] {"cross_entropy", "mse"}) b.add(Arguments.of(a, loss));
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void gradientMatchesCentralDifferences(Activation act, String loss) {
    Network net = Nets.mlp(5, 7, 6, 3, act, loss);
    int n = 11;
    double[] x = Nets.features(n, 5, 1.0, 1);
    double[] y = Nets.targets(net, n, 2);
    // batch 4 exercises the partial last batch and the 1/N weighting across batches
    Objective obj = new Objective(net, x, y, 4);
    double[] theta = Init.PYTORCH.init(net, 3);
    double[] g = new double[theta.length];
    obj.lossAndGradient(theta, g);
    double h = 1e-5;
    double maxErr = 0;
    double scale = 0;
    for (int i = 0; i < theta.length; i++) {
      double t = theta[i];
      theta[i] = t + h;
      double lp = obj.loss(theta);
      theta[i] = t - h;
      double lm = obj.loss(theta);
      theta[i] = t;
      double fd = (lp - lm) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - g[i]));
      scale = Math.max(scale, Math.abs(g[i]));
    }
    // Relative to the gradient's size; the pre-activations of a random net are away from relu's kink at 0
    // with probability 1, and h = 1e-5 does not cross one for these draws.
    assertTrue(maxErr / scale < 1e-6, "relative error " + maxErr / scale);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void lossIsIndependentOfBatching(Activation act, String loss) {
    Network net = Nets.mlp(4, 5, 5, 3, act, loss);
    double[] x = Nets.features(10, 4, 1.0, 5);
    double[] y = Nets.targets(net, 10, 6);
    double[] theta = Init.XAVIER.init(net, 7);
    double whole = new Objective(net, x, y, 10).loss(theta);
    double batched = new Objective(net, x, y, 3).loss(theta);
    assertEquals(whole, batched, 1e-14 * Math.abs(whole));
  }
}
