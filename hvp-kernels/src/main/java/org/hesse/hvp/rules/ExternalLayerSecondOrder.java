package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.hvp.external.ExternalLayer;
import org.hesse.nn.Layer;

/**
 * Second-order rules of an {@link ExternalLayer}: the callback's own derivatives, on the batch·k rows of a pass
 * (sample n's input and signal repeated for its k directions, the layout the callback's contract states):
 * <pre>
 *   dz   = jvp(x, dx)
 *   dg_x = vjp(x, dg) [+ vjpDerivative(x, dx, g)]       (residual term in brackets: skipped for the GGN)
 * </pre>
 * Without the callback's {@code vjpDerivative} the residual term is the central difference of its vjp per row,
 * {@code (vjp(x + h dx, g) − vjp(x − h dx, g)) / 2h} with h = {@link ExternalLayer#step}(‖x‖, ‖dx‖) (error bound in
 * {@link org.hesse.hvp.external.ExternalOp}), and {@link #approximation} says so.
 */
public final class ExternalLayerSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return ExternalLayer.class;
  }

  @Override
  public String approximation(Layer layer) {
    ExternalLayer e = (ExternalLayer) layer;
    if (e.suppliesSecondOrder()) return null;
    return "external op '" + e.type() + "' has no vjpDerivative: its Hessian term is the central difference of its "
        + "vjp (step ∛u·(1+‖x‖)/‖dx‖ per row, error O(u^(2/3)), see ExternalOp)";
  }

  @Override
  public void jvp(Primal p, double[][] dxs, View v, double[] dz, int k, Scratch s) {
    ExternalLayer e = (ExternalLayer) p.layer;
    int rows = p.batch * k;
    int out = e.outputSize();
    if (dxs[0] == null) {
      Arrays.fill(dz, 0, rows * out, 0.0);
      return;
    }
    int in = e.inputSize();
    double[] r = e.jvp(repeat(p.x(), p.batch, k, in), Arrays.copyOf(dxs[0], rows * in), rows);
    System.arraycopy(r, 0, dz, 0, r.length);
  }

  @Override
  public void vjpTangent(Primal p, double[] dg, double[][] dgIns, View hv, int k, Scratch s) {
    if (dgIns[0] == null) return;
    ExternalLayer e = (ExternalLayer) p.layer;
    int rows = p.batch * k;
    double[] r = e.vjp(repeat(p.x(), p.batch, k, e.inputSize()), Arrays.copyOf(dg, rows * e.outputSize()), rows);
    System.arraycopy(r, 0, dgIns[0], 0, r.length);
  }

  @Override
  public void residualTerms(Primal p, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch s) {
    double[] dgIn = dgIns[0];
    if (dgIn == null || dxs[0] == null) return;
    ExternalLayer e = (ExternalLayer) p.layer;
    int rows = p.batch * k;
    int in = e.inputSize();
    double[] x = repeat(p.x(), p.batch, k, in);
    double[] dx = Arrays.copyOf(dxs[0], rows * in);
    double[] g = repeat(p.g, p.batch, k, e.outputSize());
    if (e.suppliesSecondOrder()) {
      double[] r = e.vjpDerivative(x, dx, g, rows);
      for (int i = 0; i < r.length; i++) dgIn[i] += r[i];
    } else {
      differenced(e, x, dx, g, rows, dgIn);
    }
  }

  /** dgIn += (vjp(x + h dx, g) − vjp(x − h dx, g)) / 2h, h per row (rows with dx = 0 add nothing). */
  private static void differenced(ExternalLayer e, double[] x, double[] dx, double[] g, int rows, double[] dgIn) {
    int in = e.inputSize();
    double[] h = new double[rows];
    double[] plus = new double[rows * in];
    double[] minus = new double[rows * in];
    for (int r = 0; r < rows; r++) {
      double xn = 0;
      double dn = 0;
      for (int i = r * in; i < (r + 1) * in; i++) {
        xn += x[i] * x[i];
        dn += dx[i] * dx[i];
      }
      h[r] = dn == 0 ? 0 : ExternalLayer.step(Math.sqrt(xn), Math.sqrt(dn));
      for (int i = r * in; i < (r + 1) * in; i++) {
        plus[i] = x[i] + h[r] * dx[i];
        minus[i] = x[i] - h[r] * dx[i];
      }
    }
    double[] g2 = g.clone();  // the callback may modify or keep what it gets
    double[] a = e.vjp(plus, g, rows);
    double[] b = e.vjp(minus, g2, rows);
    for (int r = 0; r < rows; r++) {
      if (h[r] == 0) continue;
      for (int i = r * in; i < (r + 1) * in; i++) dgIn[i] += (a[i] - b[i]) / (2 * h[r]);
    }
  }

  /** The first {@code batch} rows of {@code a}, each repeated k times: rows n·k .. n·k+k−1 are row n. */
  private static double[] repeat(double[] a, int batch, int k, int width) {
    double[] out = new double[batch * k * width];
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) System.arraycopy(a, n * width, out, (n * k + j) * width, width);
    }
    return out;
  }
}
