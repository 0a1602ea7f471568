package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * The output-Jacobian form of a dense layer's block against the network-pass block built column by column
 * ({@link CurvatureOperator}): equal to 1e-12 of the block's largest entry where the form is exact (piecewise-linear
 * nets for the Hessian, any per-sample net for the GGN), and not routed where it is not (tanh Hessian, batch norm
 * with batch statistics).
 */
class OutputJacobianBlockTest {
  private static final int N = 11;  // batches of 4: a partial last batch

  /** 5 → 8 → 30 → C: layer 0's layers above cost more than {@link OutputJacobianBlock#MIN_GAIN} times its mat-vecs. */
  private static Curvature curvature(Activation act, String loss, int outputs) {
    Network net = Nets.mlp(5, 8, 30, outputs, act, loss);
    return Curvature.of(net, Init.PYTORCH.init(net, 5), Nets.features(N, 5, 1.0, 6), Nets.targets(net, N, 7), 4);
  }

  private static double[][] dense(LinearOperator op) {
    int n = op.dim();
    double[][] m = new double[n][];
    double[] e = new double[n];
    for (int j = 0; j < n; j++) {
      e[j] = 1.0;
      m[j] = new double[n];
      op.apply(e, m[j]);  // column j (the blocks are symmetric: compared column for column)
      e[j] = 0.0;
    }
    return m;
  }

  private static void assertSameBlock(LinearOperator ref, LinearOperator op, String what) {
    double[][] a = dense(ref);
    double[][] b = dense(op);
    double scale = 0;
    for (double[] col : a) for (double v : col) scale = Math.max(scale, Math.abs(v));
    assertTrue(scale > 0, what + ": a zero block tests nothing");
    for (int j = 0; j < a.length; j++) {
      for (int i = 0; i < a.length; i++) assertEquals(a[j][i], b[j][i], 1e-12 * scale, what + " entry " + i + "," + j);
    }
  }

  @Test
  void equalsTheBlockOnPiecewiseLinearNetsForBothKindsAndLosses() {
    for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
      for (String loss : new String[] {"cross_entropy", "mse"}) {
        Curvature c = curvature(act, loss, 3);
        for (Kind kind : Kind.values()) {
          String what = act + " " + loss + " " + kind;
          assertTrue(OutputJacobianBlock.applies(c, kind, 0), what);
          OutputJacobianBlock op = OutputJacobianBlock.of(c, kind, 0);
          assertSameBlock(c.block(kind, 0), op, what);
          // J is kept on the active units only: ReLU's switched-off units were dropped (leaky ReLU has none)
          long[] kept = op.keptUnits();
          assertTrue(act == Activation.RELU ? kept[0] < kept[1] : kept[0] == kept[1], what + ": kept " + kept[0] + " of " + kept[1]);
          // the spectra engine's source routes layer 0 to it
          assertInstanceOf(OutputJacobianBlock.class, CurvatureSource.of(c).block(CurvatureKind.valueOf(kind.name()), 0));
        }
      }
    }
  }

  @Test
  void aStreamingCurvatureIsNotRouted() {
    // J holds N·C·out values: a curvature whose memory is bounded by the batch keeps its own products
    Network net = Nets.mlp(5, 8, 30, 3, Activation.RELU, "cross_entropy");
    Curvature c = Curvature.of(net, Init.PYTORCH.init(net, 5), null, org.hesse.nn.Mode.ANALYSIS,
        Nets.features(N, 5, 1.0, 6), Nets.targets(net, N, 7), 4, Curvature.CacheMode.NONE);
    assertTrue(OutputJacobianBlock.exact(c, Kind.HESSIAN, 0), "exact, so only the streaming keeps it out");
    assertFalse(OutputJacobianBlock.applies(c, Kind.HESSIAN, 0));
    assertFalse(CurvatureSource.of(c).block(CurvatureKind.HESSIAN, 0) instanceof OutputJacobianBlock);
  }

  @Test
  void tanhGgnIsExactButTheHessianIsNotRouted() {
    Curvature c = curvature(Activation.TANH, "cross_entropy", 3);
    assertSameBlock(c.block(Kind.GGN, 0), OutputJacobianBlock.of(c, Kind.GGN, 0), "tanh GGN");
    assertFalse(OutputJacobianBlock.exact(c, Kind.HESSIAN, 0));
    assertFalse(OutputJacobianBlock.applies(c, Kind.HESSIAN, 0));
    assertThrows(IllegalArgumentException.class, () -> OutputJacobianBlock.of(c, Kind.HESSIAN, 0));
    assertInstanceOf(CurvatureOperator.class, CurvatureSource.of(c).block(CurvatureKind.HESSIAN, 0));
  }

  @Test
  void batchNormWithBatchStatisticsIsNotRoutedAndInEvalTheGgnIsExact() {
    Network net = NormalisationCurvatureTest.bn1d("cross_entropy");
    double[] theta = NormalisationCurvatureTest.theta(net, 8);
    double[] x = Nets.features(N, 4, 1.0, 9);
    double[] y = Nets.targets(net, N, 10);
    Curvature train = Curvature.of(net, theta, x, y, 4);
    for (Kind kind : Kind.values()) {
      assertFalse(OutputJacobianBlock.exact(train, kind, 0), kind.toString());
      assertInstanceOf(CurvatureOperator.class, CurvatureSource.of(train).block(CurvatureKind.valueOf(kind.name()), 0));
    }
    Curvature eval = Curvature.of(net, theta, net.initialBuffers(), Mode.EVAL, x, y, 4);
    assertFalse(OutputJacobianBlock.exact(eval, Kind.HESSIAN, 0));  // tanh, and batch norm is not on the list
    assertSameBlock(eval.block(Kind.GGN, 0), OutputJacobianBlock.of(eval, Kind.GGN, 0), "batch norm (eval) GGN");
  }

  @Test
  void manyInPlaceAndAfterAnUpdate() {
    Curvature c = curvature(Activation.RELU, "cross_entropy", 4);
    LinearOperator op = OutputJacobianBlock.of(c, Kind.HESSIAN, 0);
    CurvatureOperator ref = c.block(Kind.HESSIAN, 0);
    int p = op.dim();
    double[] x = Nets.features(2, p, 1.0, 11);  // two directions
    double[] want = new double[2 * p];
    ref.applyMany(x, want, 2);
    double[] got = x.clone();
    op.applyMany(got, got, 2);  // in place
    for (int i = 0; i < 2 * p; i++) assertEquals(want[i], got[i], 1e-12 * Math.max(1, Math.abs(want[i])), "entry " + i);
    // new parameters: J is formed again
    Network net = c.network();
    c.update(Init.PYTORCH.init(net, 12));
    assertSameBlock(c.block(Kind.HESSIAN, 0), op, "after update");
  }
}
