package org.hesse.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.eigen.KrylovBasis;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.ProductLog;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;

/**
 * The parts of a layer's top-5 solve outside the eigen-solver, each the least wall time of many repetitions (robust to
 * other processes on a shared machine): the {@link ProductLog} of 21 products of layer 0's size (its bookkeeping
 * only: the logged operator copies), the Ritz vectors' products from it ({@code productsInSpan}, 20 basis vectors,
 * k = 5), and one block product of each parametrised layer as the spectra engine builds it. Run against two builds
 * alternately to compare them.
 *
 * <p>Usage: {@code SolveParts DIR [repeats]} (15).
 */
public final class SolveParts {
  private SolveParts() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int repeats = args.length > 1 ? PeerCompare.positive("repeats", args[1]) : 15;
    int n = 401_920;
    int m = 20;
    int k = 5;
    SplittableRandom rnd = new SplittableRandom(1);
    double[] v = new double[m * n];
    for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble() - 0.5;
    double[] z = new double[k * n];
    for (int i = 0; i < z.length; i++) z[i] = rnd.nextDouble() - 0.5;
    LinearOperator copy = new LinearOperator() {
      @Override public int dim() { return n; }
      @Override public boolean symmetric() { return true; }
      @Override public void apply(double[] x, double[] y) { System.arraycopy(x, 0, y, 0, n); }
    };
    double[] x = new double[n];
    double[] y = new double[n];
    long logWall = Long.MAX_VALUE;
    long spanWall = Long.MAX_VALUE;
    for (int r = 0; r < repeats; r++) {
      ProductLog log = new ProductLog(copy, m + 1);
      long t = System.nanoTime();
      for (int j = 0; j < m; j++) {
        System.arraycopy(v, j * n, x, 0, n);
        log.apply(x, y);
      }
      logWall = Math.min(logWall, System.nanoTime() - t);
      t = System.nanoTime();
      double[] out = log.productsInSpan(new KrylovBasis(n, m, v, 0.0), z, k);
      spanWall = Math.min(spanWall, System.nanoTime() - t);
      if (out == null) throw new IllegalStateException("a basis vector was not found in the log");
    }
    print("ProductLog: 20 products of 401,920 logged (copies included)", logWall);
    print("ProductLog.productsInSpan: 5 vectors over 20", spanWall);

    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    Dataset data = Csv.readClassification(dir.resolve("data.csv"), "label");
    double[] labels = Arrays.stream(data.labels()).asDoubleStream().toArray();
    Curvature c = Curvature.of(net, theta, data.x(), labels, 256);
    CurvatureSource source = CurvatureSource.of(c);
    for (int l = 0; l < net.depth(); l++) {
      int p = net.layer(l).paramCount();
      if (p == 0) continue;
      LinearOperator op = source.block(CurvatureKind.HESSIAN, l);
      double[] px = new double[p];
      for (int i = 0; i < p; i++) px[i] = rnd.nextDouble() - 0.5;
      double[] py = new double[p];
      long t = System.nanoTime();
      op.apply(px, py);
      print("layer " + l + ": first product (" + op.getClass().getSimpleName() + ")", System.nanoTime() - t);
      long best = Long.MAX_VALUE;
      for (int r = 0; r < repeats; r++) {
        t = System.nanoTime();
        op.apply(px, py);
        best = Math.min(best, System.nanoTime() - t);
      }
      print("layer " + l + ": one product", best);
    }
  }

  private static void print(String what, long nanos) {
    System.out.printf(Locale.ROOT, "%9.4f s  %s%n", nanos * 1e-9, what);
  }
}
