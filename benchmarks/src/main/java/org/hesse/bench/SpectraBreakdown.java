package org.hesse.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.BlockLanczos;
import org.hesse.eigen.KrylovBasis;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.Probes;
import org.hesse.eigen.SpectrumEnds;
import org.hesse.eigen.Trace;
import org.hesse.eigen.TraceEstimate;
import org.hesse.eigen.Which;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.DenseLayerTrace;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;

/**
 * Where {@code hesse spectrum --top 5 --layers all} spends its time, in one JVM on a case written by
 * {@code spectra_pytorch.py generate} (model.json, model.safetensors, data.csv with x0.. and label): reading the
 * model, reading the data (with the CLI's CSV reader), building the curvature (the one forward pass all layers
 * share), then per parametrised layer one block product, a 10-direction apply (per direction), plain ARPACK top 5,
 * the early-stopping {@link BlockLanczos} top 5 with blocks of 1 and of 5 (the engine's opt-in, -Dhesse.spectra.topBlock),
 * the residual check of its eigenpairs, the trace by Hutch++ on ARPACK's Lanczos basis and by the per-sample
 * structure ({@link DenseLayerTrace}), and the engine's whole layer as the CLI runs it. Seconds, wall clock, printed
 * one line per phase.
 *
 * <p>Usage: {@code SpectraBreakdown DIR [batch]} (batch 256, as the CLI's default).
 */
public final class SpectraBreakdown {
  private SpectraBreakdown() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int batch = args.length > 1 ? PeerCompare.positive("batch", args[1]) : 256;
    long t0 = System.nanoTime();
    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    long tModel = System.nanoTime();
    print("read model.json and model.safetensors", tModel - t0);
    Dataset data = Csv.readClassification(dir.resolve("data.csv"), "label"); // the CLI's reader
    double[] labels = Arrays.stream(data.labels()).asDoubleStream().toArray();
    long t1 = System.nanoTime();
    print("read data.csv", t1 - tModel);
    Curvature c = Curvature.of(net, theta, data.x(), labels, batch);
    long t2 = System.nanoTime();
    print("curvature (forward, signals) of " + c.samples() + " samples", t2 - t1);
    SpectraOptions o = SpectraOptions.defaults();
    LayerSpectraEngine engine = new LayerSpectraEngine(CurvatureSource.of(c), o);
    for (int l = 0; l < net.depth(); l++) {
      int p = net.layer(l).paramCount();
      if (p == 0) continue;
      LinearOperator op = c.block(Kind.HESSIAN, l);
      double[] x = Probes.probe(Probes.Distribution.RADEMACHER, 1, 0, p);
      double[] y = new double[p];
      op.apply(x, y);  // warm
      long a = System.nanoTime();
      for (int r = 0; r < 3; r++) op.apply(x, y);
      long single = (System.nanoTime() - a) / 3;
      print("layer " + l + " (" + p + "): one product", single);
      int k = 10;
      double[] xs = new double[k * p];
      double[] ys = new double[k * p];
      for (int j = 0; j < k; j++) System.arraycopy(Probes.probe(Probes.Distribution.RADEMACHER, 1, j, p), 0, xs, j * p, p);
      a = System.nanoTime();
      op.applyMany(Arrays.copyOf(xs, k * p), ys, k);
      long many = (System.nanoTime() - a) / k;
      print("layer " + l + ": " + k + "-direction apply, per direction (" + ratio(many, single) + " of one product)", many);
      a = System.nanoTime();
      AtomicReference<KrylovBasis> basis = new AtomicReference<>();
      ArpackResult r = SpectrumEnds.arpack(op, Which.LA, o.top(), Double.NaN, o.tol(), o.ncv(), o.maxIterations(),
          o.seed(), basis::set);
      print("layer " + l + ": ARPACK top " + o.top() + ", " + r.applications() + " products", System.nanoTime() - a);
      for (int block : new int[] {1, o.top()}) {
        a = System.nanoTime();
        ArpackResult lz = BlockLanczos.solve(op, o.top(), block, o.tol(),
            LayerSpectraEngine.blockLanczosProducts(SpectrumEnds.lanczosVectors(p, o.top(), o.ncv()), o.top()),
            o.seed(), null);
        long tl = System.nanoTime() - a;
        double diff = 0;
        for (int j = 0; j < lz.eigenvalues().length && lz.complete() && r.complete(); j++) {
          diff = Math.max(diff, Math.abs(lz.eigenvalues()[j] - r.eigenvalues()[j]) / Math.abs(r.eigenvalues()[r.eigenvalues().length - 1]));
        }
        print("layer " + l + ": block Lanczos (block " + block + ") top " + o.top() + ", " + lz.applications() + " products ("
            + (lz.complete() ? "max |Δλ| against ARPACK " + String.format(Locale.ROOT, "%.1e", diff) + " of λ_max" : lz.message())
            + ")", tl);
      }
      int kt = r.eigenvalues().length;
      a = System.nanoTime();
      op.applyMany(r.eigenvectors(), new double[kt * p], kt);
      print("layer " + l + ": residual check, " + kt + " products in one apply", System.nanoTime() - a);
      if (basis.get() != null) {
        a = System.nanoTime();
        TraceEstimate h = Trace.hutchPlusPlusOnBasis(op, basis.get(), 10, o.seed());
        print("layer " + l + ": trace, Hutch++ on ARPACK's basis, " + h.applications() + " products: "
            + estimate(h), System.nanoTime() - a);
      }
      if (DenseLayerTrace.applies(c, l)) {
        a = System.nanoTime();
        TraceEstimate t = DenseLayerTrace.of(c, Kind.HESSIAN, l, o.seed());
        print("layer " + l + ": trace, " + t.method() + " (" + t.applications() + " directions per sample): "
            + estimate(t), System.nanoTime() - a);
      }
      a = System.nanoTime();
      engine.layer(l);
      print("layer " + l + ": engine.layer (as the CLI)", System.nanoTime() - a);
    }
    print("total", System.nanoTime() - t0);
  }

  private static String estimate(TraceEstimate t) {
    return String.format(Locale.ROOT, "%.4f ± %.4f", t.estimate(), t.standardError());
  }

  private static String ratio(long a, long b) {
    return String.format(Locale.ROOT, "%.2f×", (double) a / b);
  }

  private static void print(String what, long nanos) {
    System.out.printf(Locale.ROOT, "%8.3f s  %s%n", nanos * 1e-9, what);
  }
}
