package org.hesse.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.Probes;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;

/**
 * The per-layer solve of {@code hesse spectrum --top 5 --layers all} alone, repeated: on a case written by
 * {@code spectra_pytorch.py generate}, the curvature built once, then per round and parametrised layer the mean of
 * the least time of a few products of the engine's operator (the CLI's, e.g. the output-Jacobian form) and the engine's whole layer,
 * each with wall clock and the process's CPU time (all threads, BLAS's included: less sensitive to other processes
 * than wall clock). Prints every reported number at full precision, so two builds can be compared digit by digit.
 *
 * <p>Usage: {@code LayerSolveTimes DIR [rounds] [products]} (3 rounds, 3 products).
 */
public final class LayerSolveTimes {
  private LayerSolveTimes() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int rounds = args.length > 1 ? PeerCompare.positive("rounds", args[1]) : 3;
    int products = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    Dataset data = Csv.readClassification(dir.resolve("data.csv"), "label");
    double[] labels = Arrays.stream(data.labels()).asDoubleStream().toArray();
    Curvature c = Curvature.of(net, theta, data.x(), labels, 256);
    CurvatureSource source = CurvatureSource.of(c);
    LayerSpectraEngine engine = new LayerSpectraEngine(source, SpectraOptions.defaults());
    for (int r = 0; r < rounds; r++) {
      for (int l = 0; l < net.depth(); l++) {
        int p = net.layer(l).paramCount();
        if (p == 0) continue;
        if (products > 0) {
          LinearOperator op = source.block(CurvatureKind.HESSIAN, l);
          double[] x = Probes.probe(Probes.Distribution.RADEMACHER, 1, 0, p);
          double[] y = new double[p];
          op.apply(x, y);  // warm (and forms what the operator keeps)
          long wall = Long.MAX_VALUE;
          long cpu = Long.MAX_VALUE;
          for (int i = 0; i < products; i++) {
            long[] t = now();
            op.apply(x, y);
            wall = Math.min(wall, System.nanoTime() - t[0]);
            cpu = Math.min(cpu, cpu() - t[1]);
          }
          System.out.printf(Locale.ROOT, "round %d  %8.4f s wall  %8.4f s cpu  layer %d: one product (least of %d)%n", r,
              wall * 1e-9, cpu * 1e-9, l, products);
        }
        long[] t = now();
        LayerSpectra s = engine.layer(l);
        print(r, "layer " + l + ": engine.layer", t);
        if (r == 0) {
          StringBuilder b = new StringBuilder("  top");
          for (double v : s.top().values()) b.append(String.format(Locale.ROOT, " %.17g", v));
          b.append("\n  residuals");
          for (double v : s.top().residuals()) b.append(String.format(Locale.ROOT, " %.3e", v));
          b.append(String.format(Locale.ROOT, "%n  products %d, trace %.17g (%s), gradient overlap %.17g",
              s.top().arpack().applications(), s.trace().value(), s.trace().source(), s.gradientOverlapTop()));
          System.out.println(b);
        }
      }
    }
  }

  private static long[] now() {
    return new long[] {System.nanoTime(), cpu()};
  }

  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static void print(int round, String what, long[] t) {
    System.out.printf(Locale.ROOT, "round %d  %8.4f s wall  %8.4f s cpu  %s%n", round,
        (System.nanoTime() - t[0]) * 1e-9, (cpu() - t[1]) * 1e-9, what);
  }
}
