package org.hesse.nn;

/**
 * nn.MSELoss(): the mean over all N·C elements, so per sample ℓ_n = (1/C)‖z_n − y_n‖²,
 * ∇ℓ_n = (2/C)(z_n − y_n), ∇²ℓ_n = (2/C) I.
 */
public final class MeanSquaredError implements Loss {
  public static final MeanSquaredError INSTANCE = new MeanSquaredError();

  private MeanSquaredError() {}

  @Override public String name() { return "mse"; }
  @Override public int targetWidth(int c) { return c; }

  @Override
  public void checkTargets(double[] y, int batch, int c) {
    for (int i = 0; i < batch * c; i++) {
      if (!Double.isFinite(y[i])) {
        throw new IllegalArgumentException("mse: target of row " + (i / c) + ", column " + (i % c) + " is " + y[i]
            + ", expected a finite number");
      }
    }
  }

  @Override
  public double sum(double[] z, double[] y, int batch, int c) {
    double s = 0;
    for (int i = 0; i < batch * c; i++) {
      double d = z[i] - y[i];
      s += d * d;
    }
    return s / c;
  }

  @Override
  public void gradient(double[] z, double[] y, int batch, int c, double scale, double[] g) {
    double a = 2.0 * scale / c;
    for (int i = 0; i < batch * c; i++) g[i] = a * (z[i] - y[i]);
  }

  @Override
  public void hessianVector(double[] z, double[] y, int batch, int c, double scale, double[] dz, double[] out) {
    double a = 2.0 * scale / c;
    for (int i = 0; i < batch * c; i++) out[i] = a * dz[i];
  }

  @Override
  public void hessianVector(double[] z, double[] y, int batch, int c, double scale, double[] dz, double[] out, int k) {
    hessianVector(z, y, batch * k, c, scale, dz, out);
  }

  @Override
  public void outputHessian(double[] z, double[] y, int n, int c, double[] m) {
    java.util.Arrays.fill(m, 0, c * c, 0.0);
    for (int i = 0; i < c; i++) m[i * c + i] = 2.0 / c;
  }
}
