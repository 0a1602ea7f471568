package org.hesse.example;

import java.util.Random;
import org.hesse.eigen.Eigen;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.external.ExternalLayer;
import org.hesse.hvp.external.ExternalOp;
import org.hesse.nn.Dense;
import org.hesse.nn.Init;
import org.hesse.nn.Loss;
import org.hesse.nn.Network;

/** Exact Hessian blocks of a network with one node whose derivatives another framework supplies. */
public final class ExternalOpExample {
  /** softsign(x) = x / (1 + |x|) element-wise, as a framework with its own autodiff would hand it over. */
  static final class Softsign implements ExternalOp.SecondOrder {
    @Override public String name() { return "softsign"; }
    @Override public int[] outputShape(int[] inputShape) { return inputShape; }

    @Override
    public double[] forward(double[] x, int rows) {
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) y[i] = x[i] / (1 + Math.abs(x[i]));
      return y;
    }

    @Override
    public double[] jvp(double[] x, double[] dx, int rows) {  // J dx; element-wise, so J = Jᵀ = diag(f')
      double[] out = new double[x.length];
      for (int i = 0; i < x.length; i++) out[i] = dx[i] / ((1 + Math.abs(x[i])) * (1 + Math.abs(x[i])));
      return out;
    }

    @Override
    public double[] vjp(double[] x, double[] gy, int rows) {  // Jᵀ gy
      return jvp(x, gy, rows);
    }

    @Override
    public double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows) {  // d/dε Jᵀ(x + ε dx) gy
      double[] out = new double[x.length];
      for (int i = 0; i < x.length; i++) out[i] = -2 * Math.signum(x[i]) / Math.pow(1 + Math.abs(x[i]), 3) * dx[i] * gy[i];
      return out;
    }
  }

  public static void main(String[] args) {
    // input 4 → fc1 dense(8) → act softsign (the framework's node) → head dense(3), cross-entropy
    Network net = new Network(new int[] {4}, Loss.byName("cross_entropy"), g -> {
      int fc1 = g.add("fc1", new Dense(4, 8), 0);
      int act = ExternalLayer.add(g, "act", new Softsign(), fc1);
      return g.add("head", new Dense(8, 3), act);
    });
    double[] theta = Init.PYTORCH.init(net, 1);  // or the framework's weights, in state-dict order
    Random r = new Random(2);
    int n = 64;
    double[] x = new double[n * 4];
    double[] y = new double[n];
    for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
    for (int i = 0; i < n; i++) y[i] = r.nextInt(3);

    Curvature c = Curvature.of(net, theta, x, y, 32);
    for (int layer : net.parametrisedLayers()) {
      double[] ev = Eigen.full(c.block(Curvature.Kind.HESSIAN, layer), false).eigenvalues();  // ascending
      double trace = 0;
      for (double e : ev) trace += e;
      System.out.println(net.layerName(layer) + " lambda_max " + ev[ev.length - 1] + " trace " + trace);
    }
    // empty: the op supplies vjpDerivative; without it the Hessian term through "act" is differenced and listed here
    System.out.println("approximations " + c.approximations());
  }
}
