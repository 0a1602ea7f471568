package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InitTest {
  @ParameterizedTest
  @CsvSource({"6,4", "4,6", "5,5"})
  void orthogonalHasOrthonormalRowsOrColumns(int out, int in) {
    Network net = Network.builder(in).dense(out).build("mse");
    double[] w = Init.ORTHOGONAL.init(net, 11);
    // W Wᵀ = I when out ≤ in, Wᵀ W = I otherwise (computed directly, not through LAPACK)
    int m = Math.min(out, in);
    for (int a = 0; a < m; a++) {
      for (int b = 0; b < m; b++) {
        double s = 0;
        if (out <= in) for (int j = 0; j < in; j++) s += w[a * in + j] * w[b * in + j];
        else for (int i = 0; i < out; i++) s += w[i * in + a] * w[i * in + b];
        assertEquals(a == b ? 1.0 : 0.0, s, 1e-13);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"PYTORCH", "KAIMING", "XAVIER", "ORTHOGONAL"})
  void sameSeedSameBits(Init init) {
    // ORTHOGONAL runs LAPACK's QR: bitwise only where org.hesse.linalg.Determinism promises it
    org.junit.jupiter.api.Assumptions.assumeTrue(org.hesse.linalg.Determinism.bitwiseRepeatable(),
        "not promised here: " + org.hesse.linalg.Determinism.describe());
    Network net = Nets.mlp(8, 16, 16, 3, org.hesse.simd.Activation.RELU, "mse");
    assertArrayEquals(init.init(net, 42), init.init(net, 42));
  }

  @ParameterizedTest
  @CsvSource({"KAIMING,2.0", "XAVIER,0.0"})
  void varianceMatchesScheme(Init init, double kaimingNumerator) {
    int in = 400, out = 300;
    Network net = Network.builder(in).dense(out).build("mse");
    double[] w = init.init(net, 5);
    double s2 = 0;
    for (int i = 0; i < in * out; i++) s2 += w[i] * w[i];
    s2 /= in * out;
    double expected = init == Init.KAIMING ? kaimingNumerator / in : 2.0 / (in + out);
    // 120,000 draws: the sample variance is within 2% with overwhelming probability
    assertEquals(expected, s2, 0.02 * expected);
  }

  @org.junit.jupiter.api.Test
  void convWeightsAreInitialisedWithPyTorchFans() {
    // conv 2 → 4 channels, kernel 3: PyTorch's default bound is 1/√(C·k²) = 1/√18 for weights and bias
    Network net = Network.builder(2 * 5 * 5).inputShape(2, 5, 5).add(new Conv2d(new int[] {2, 5, 5}, 4, 3, 1, 1)).build("mse");
    double[] w = Init.PYTORCH.init(net, 3);
    double bound = 1 / Math.sqrt(18);
    double max = 0;
    for (double v : w) max = Math.max(max, Math.abs(v));
    org.junit.jupiter.api.Assertions.assertTrue(max <= bound && max > 0.8 * bound, "max |w| " + max + " vs bound " + bound);
  }
}
