package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.MaxPool2d;

/**
 * Second-order rules of {@link MaxPool2d}: piecewise linear, a fixed routing once the winners of the forward
 * pass are known (found once per batch in {@link #prepare}, same tie-break as the layer). No parameters, so no
 * term carries g: the Hessian and GGN rules coincide.
 * <pre>
 *   dz[o]   = dx[argmax(o)]
 *   dg_x    = Σ_o dg[o] e_argmax(o)
 * </pre>
 */
public final class MaxPool2dSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.MaxPool2d.class;
  }

  /** The winners: {@code int[batch · outputSize]}, indices inside each sample. */
  @Float32Twin
  @Override
  public Object prepare(Primal node, Object previous) {
    Layer layer = node.layer;
    double[] x = node.x();
    int batch = node.batch;
    MaxPool2d m = (MaxPool2d) layer;
    int out = m.outputSize();
    int[] idx = previous instanceof int[] && ((int[]) previous).length == batch * out ? (int[]) previous : new int[batch * out];
    for (int n = 0; n < batch; n++) m.argmax(x, n * m.inputSize(), idx, n * out);
    return idx;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    int batch = node.batch;
    double[] dx = dxs[0];
    int in = layer.inputSize();
    int out = layer.outputSize();
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0);
      return;
    }
    int[] idx = (int[]) prep;
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int src = (n * k + j) * in;
        int dst = (n * k + j) * out;
        for (int q = 0; q < out; q++) dz[dst + q] = dx[src + idx[n * out + q]];
      }
    }
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    int batch = node.batch;
    double[] dgIn = dgIns[0];
    if (dgIn == null) return;
    int in = layer.inputSize();
    int out = layer.outputSize();
    int[] idx = (int[]) prep;
    Arrays.fill(dgIn, 0, batch * k * in, 0.0);
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int dst = (n * k + j) * in;
        int src = (n * k + j) * out;
        for (int q = 0; q < out; q++) dgIn[dst + idx[n * out + q]] += dg[src + q];
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public Object prepare(Primal32 node, Object previous) {
    Layer layer = node.layer;
    float[] x = node.x();
    int batch = node.batch;
    MaxPool2d m = (MaxPool2d) layer;
    int out = m.outputSize();
    int[] idx = previous instanceof int[] && ((int[]) previous).length == batch * out ? (int[]) previous : new int[batch * out];
    for (int n = 0; n < batch; n++) m.argmax(x, n * m.inputSize(), idx, n * out);
    return idx;
  }

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    int batch = node.batch;
    float[] dx = dxs[0];
    int in = layer.inputSize();
    int out = layer.outputSize();
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0f);
      return;
    }
    int[] idx = (int[]) prep;
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int src = (n * k + j) * in;
        int dst = (n * k + j) * out;
        for (int q = 0; q < out; q++) dz[dst + q] = (float) (dx[src + idx[n * out + q]]);
      }
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    int batch = node.batch;
    float[] dgIn = dgIns[0];
    if (dgIn == null)
      return;
    int in = layer.inputSize();
    int out = layer.outputSize();
    int[] idx = (int[]) prep;
    Arrays.fill(dgIn, 0, batch * k * in, 0.0f);
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int dst = (n * k + j) * in;
        int src = (n * k + j) * out;
        for (int q = 0; q < out; q++) dgIn[dst + idx[n * out + q]] += dg[src + q];
      }
    }
  }
  // ---- end of generated float32 twins ----
}
