package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Objective;

/**
 * The battery every layer type's second-order rules must pass, on any network containing it (EJML-style:
 * a new layer's test calls {@link #all}). Each check compares with an independent computation:
 * <ul>
 *   <li>gradient vs central differences of the loss (relative 1e-6);</li>
 *   <li>Hessian-vector product vs central differences of the gradient (relative 1e-5);</li>
 *   <li>symmetry uᵀ(Hv) = vᵀ(Hu) for H and G (relative 1e-10);</li>
 *   <li>GGN positive semi-definite on random directions;</li>
 *   <li>every diagonal and off-diagonal block equals the matching slice of the full product;</li>
 *   <li>a k-vector apply equals k single applies.</li>
 * </ul>
 * Batch partition: all checks use the given batch size throughout (BN couples a batch's samples).
 */
public final class CurvatureChecks {
  private CurvatureChecks() {}

  public static void all(Network net, double[] theta, double[] x, double[] y, int batch) {
    Curvature c = Curvature.of(net, theta, x, y, batch);
    gradient(net, theta, x, y, batch);
    hessianVectorProduct(c, net, theta, x, y, batch);
    for (Kind kind : Kind.values()) symmetric(c.full(kind), kind.id);
    ggnPositiveSemidefinite(c);
    blocksAreSlices(c);
    manyEqualsSingles(c);
  }

  public static void gradient(Network net, double[] theta, double[] x, double[] y, int batch) {
    Objective obj = new Objective(net, x, y, batch);
    double[] g = new double[theta.length];
    obj.lossAndGradient(theta, g);
    double[] fd = Nets.centralDifferenceGradient(obj, theta, 1e-5);
    double err = 0;
    for (int i = 0; i < theta.length; i++) err = Math.max(err, Math.abs(fd[i] - g[i]));
    assertTrue(err / CurvatureTest.maxAbs(g) < 1e-6, "gradient relative error " + err / CurvatureTest.maxAbs(g));
  }

  public static void hessianVectorProduct(Curvature c, Network net, double[] theta, double[] x, double[] y, int batch) {
    Objective obj = new Objective(net, x, y, batch);
    hvpMatchesCentralDifferences(c, theta, t -> {
      double[] g = new double[t.length];
      obj.lossAndGradient(t, g);
      return g;
    }, 3, 1e-5);
  }

  /**
   * Hv against the central difference (∇L(θ + hv) − ∇L(θ − hv))/2h of the exact gradient, h = 1e-5, for a Gaussian
   * v from seed: max-norm error below relTol times max|Hv|.
   */
  public static void hvpMatchesCentralDifferences(Curvature c, double[] theta, UnaryOperator<double[]> gradient,
                                                  long seed, double relTol) {
    double[] v = Nets.gaussian(theta.length, 1.0, seed);
    double[] hv = new double[v.length];
    c.full(Kind.HESSIAN).apply(v, hv);
    double h = 1e-5;
    double[] tp = theta.clone();
    double[] tm = theta.clone();
    for (int i = 0; i < v.length; i++) {
      tp[i] += h * v[i];
      tm[i] -= h * v[i];
    }
    double[] gp = gradient.apply(tp);
    double[] gm = gradient.apply(tm);
    double err = 0;
    for (int i = 0; i < v.length; i++) err = Math.max(err, Math.abs((gp[i] - gm[i]) / (2 * h) - hv[i]));
    assertTrue(err < relTol * CurvatureTest.maxAbs(hv), "HVP relative error " + err / CurvatureTest.maxAbs(hv));
  }

  public static void symmetric(CurvatureOperator op, String what) {
    double[] u = Nets.gaussian(op.cols(), 1.0, 5);
    double[] v = Nets.gaussian(op.cols(), 1.0, 6);
    double[] hu = new double[u.length];
    double[] hv = new double[v.length];
    op.apply(u, hu);
    op.apply(v, hv);
    double a = CurvatureTest.dot(u, hv);
    double b = CurvatureTest.dot(v, hu);
    assertEquals(a, b, 1e-10 * Math.max(Math.abs(a), CurvatureTest.maxAbs(hv) * CurvatureTest.maxAbs(u)), what + " symmetry");
  }

  public static void ggnPositiveSemidefinite(Curvature c) {
    CurvatureOperator g = c.full(Kind.GGN);
    for (int seed = 0; seed < 5; seed++) {
      double[] v = Nets.gaussian(g.cols(), 1.0, 100 + seed);
      double[] gv = new double[v.length];
      g.apply(v, gv);
      assertTrue(CurvatureTest.dot(v, gv) >= -1e-12 * CurvatureTest.dot(v, v) * CurvatureTest.maxAbs(gv), "vᵀGv = " + CurvatureTest.dot(v, gv));
    }
  }

  public static void blocksAreSlices(Curvature c) {
    Network net = c.network();
    for (Kind kind : Kind.values()) {
      double[][] full = CurvatureTest.dense(c.full(kind));
      double scale = 0;
      for (double[] r : full) scale = Math.max(scale, CurvatureTest.maxAbs(r));
      for (int row : net.parametrisedLayers()) {
        for (int col : net.parametrisedLayers()) {
          double[][] block = CurvatureTest.dense(c.block(kind, row, col));
          for (int i = 0; i < block.length; i++) {
            for (int j = 0; j < block[0].length; j++) {
              assertEquals(full[net.offset(row) + i][net.offset(col) + j], block[i][j], 1e-12 * scale,
                  kind.id + " block " + row + "," + col);
            }
          }
        }
      }
    }
  }

  /**
   * k-vector applies equal k single ones, for the full operators, every diagonal block (each layer's directions at
   * offset 0 and its own stride) and an off-diagonal block (rows and columns of different lengths).
   */
  public static void manyEqualsSingles(Curvature c) {
    List<Integer> layers = c.network().parametrisedLayers();
    for (Kind kind : Kind.values()) {
      manyEqualsSingles(c.full(kind));
      for (int l : layers) manyEqualsSingles(c.block(kind, l));
      if (layers.size() > 1) manyEqualsSingles(c.block(kind, layers.get(layers.size() - 1), layers.get(0)));
    }
  }

  /** A 3-vector apply of op equals three single applies; for a square op, an in-place apply too. */
  public static void manyEqualsSingles(CurvatureOperator op) {
    String what = op.kind().id + " " + op.rows() + " × " + op.cols();
    int k = 3;
    double[] x = Nets.gaussian(k * op.cols(), 1.0, 9);
    double[] many = new double[k * op.rows()];
    op.applyMany(x, many, k);
    double[] xi = new double[op.cols()];
    double[] yi = new double[op.rows()];
    for (int j = 0; j < k; j++) {
      System.arraycopy(x, j * op.cols(), xi, 0, op.cols());
      op.apply(xi, yi);
      double tol = 1e-13 * (1 + CurvatureTest.maxAbs(yi));
      for (int i = 0; i < op.rows(); i++) assertEquals(yi[i], many[j * op.rows() + i], tol, what + ": k-vector apply");
      if (op.rows() != op.cols()) continue;
      // in place (x = y: the directions are read from a copy, not overwritten as they are read)
      double[] inPlace = xi.clone();
      op.apply(inPlace, inPlace);
      for (int i = 0; i < op.rows(); i++) assertEquals(yi[i], inPlace[i], 0.0, what + ": in-place apply (the same arithmetic)");
    }
  }

  /** The mode every check runs in (batch statistics for BN). */
  public static Mode mode() {
    return Mode.ANALYSIS;
  }
}
