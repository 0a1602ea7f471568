package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.MatMul;
import org.hesse.precision.Float32Twin;

/**
 * Second-order rules of {@link MatMul}, {@code z = α A B} per sample:
 * <pre>
 *   dz   = α (dA B + A dB)
 *   dg_A = α dg Bᵀ  [+ α g dBᵀ]      (residual terms in brackets: skipped for the GGN)
 *   dg_B = α Aᵀ dg  [+ α dAᵀ g]
 * </pre>
 * Per-sample values (A, B, g) at sample n, tangents at row n·k + j.
 */
public final class MatMulSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return MatMul.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    MatMul m = (MatMul) node.layer;
    int a = m.inputSize(0);
    int b = m.inputSize(1);
    int w = m.outputSize();
    if (dxs[0] == null && dxs[1] == null) {
      Arrays.fill(dz, 0, node.batch * k * w, 0.0);
      return;
    }
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = n * k + j;
        double beta = 0.0;
        if (dxs[0] != null) {
          m.product(dxs[0], r * a, node.xs[1], n * b, dz, r * w, beta);
          beta = 1.0;
        }
        if (dxs[1] != null) m.product(node.xs[0], n * a, dxs[1], r * b, dz, r * w, beta);
      }
    }
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    MatMul m = (MatMul) node.layer;
    int a = m.inputSize(0);
    int b = m.inputSize(1);
    int w = m.outputSize();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = n * k + j;
        if (dgIns[0] != null) m.leftGradient(dg, r * w, node.xs[1], n * b, dgIns[0], r * a, 0.0);
        if (dgIns[1] != null) m.rightGradient(node.xs[0], n * a, dg, r * w, dgIns[1], r * b, 0.0);
      }
    }
  }

  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    MatMul m = (MatMul) node.layer;
    int a = m.inputSize(0);
    int b = m.inputSize(1);
    int w = m.outputSize();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = n * k + j;
        if (dgIns[0] != null && dxs[1] != null) m.leftGradient(node.g, n * w, dxs[1], r * b, dgIns[0], r * a, 1.0);
        if (dgIns[1] != null && dxs[0] != null) m.rightGradient(dxs[0], r * a, node.g, n * w, dgIns[1], r * b, 1.0);
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    MatMul m = (MatMul) node.layer;
    int a = m.inputSize(0);
    int b = m.inputSize(1);
    int w = m.outputSize();
    if (dxs[0] == null && dxs[1] == null) {
      Arrays.fill(dz, 0, node.batch * k * w, 0.0f);
      return;
    }
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = n * k + j;
        double beta = 0.0;
        if (dxs[0] != null) {
          m.product(dxs[0], r * a, node.xs[1], n * b, dz, r * w, beta);
          beta = 1.0;
        }
        if (dxs[1] != null)
          m.product(node.xs[0], n * a, dxs[1], r * b, dz, r * w, beta);
      }
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    MatMul m = (MatMul) node.layer;
    int a = m.inputSize(0);
    int b = m.inputSize(1);
    int w = m.outputSize();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = n * k + j;
        if (dgIns[0] != null)
          m.leftGradient(dg, r * w, node.xs[1], n * b, dgIns[0], r * a, 0.0);
        if (dgIns[1] != null)
          m.rightGradient(node.xs[0], n * a, dg, r * w, dgIns[1], r * b, 0.0);
      }
    }
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 v, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    MatMul m = (MatMul) node.layer;
    int a = m.inputSize(0);
    int b = m.inputSize(1);
    int w = m.outputSize();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = n * k + j;
        if (dgIns[0] != null && dxs[1] != null)
          m.leftGradient(node.g, n * w, dxs[1], r * b, dgIns[0], r * a, 1.0);
        if (dgIns[1] != null && dxs[0] != null)
          m.rightGradient(dxs[0], r * a, node.g, n * w, dgIns[1], r * b, 1.0);
      }
    }
  }
  // ---- end of generated float32 twins ----
}
