package org.hesse.cli.suite;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealVector;

/**
 * Logistic regression by Newton's method (IRLS) with a small ridge penalty {@value #RIDGE}·‖β‖² (intercept excluded)
 * so that separable data still give finite weights: the study's combination of two features (the best training-curve
 * feature and the best Hessian feature) into one score.
 */
final class Logistic {
  private Logistic() {}

  static final double RIDGE = 1e-3;
  static final int ITERATIONS = 50;

  /** β (intercept first) for rows x[i] (without the constant) and labels y. */
  static double[] fit(double[][] x, boolean[] y) {
    int n = x.length;
    int p = x[0].length + 1;
    double[] beta = new double[p];
    for (int it = 0; it < ITERATIONS; it++) {
      double[] grad = new double[p];
      double[][] hess = new double[p][p];
      for (int i = 0; i < n; i++) {
        double[] z = row(x[i]);
        double mu = sigmoid(dot(beta, z));
        double w = mu * (1 - mu);
        for (int a = 0; a < p; a++) {
          grad[a] += ((y[i] ? 1 : 0) - mu) * z[a];
          for (int b = 0; b < p; b++) hess[a][b] += w * z[a] * z[b];
        }
      }
      for (int a = 1; a < p; a++) {
        grad[a] -= 2 * RIDGE * beta[a];
        hess[a][a] += 2 * RIDGE;
      }
      RealVector step = new LUDecomposition(new Array2DRowRealMatrix(hess)).getSolver().solve(new ArrayRealVector(grad));
      double max = 0;
      for (int a = 0; a < p; a++) {
        beta[a] += step.getEntry(a);
        max = Math.max(max, Math.abs(step.getEntry(a)));
      }
      if (max < 1e-10) break;
    }
    return beta;
  }

  static double score(double[] beta, double[] x) {
    return dot(beta, row(x));
  }

  private static double[] row(double[] x) {
    double[] z = new double[x.length + 1];
    z[0] = 1;
    System.arraycopy(x, 0, z, 1, x.length);
    return z;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  static double sigmoid(double t) {
    return 1 / (1 + Math.exp(-t));
  }
}
