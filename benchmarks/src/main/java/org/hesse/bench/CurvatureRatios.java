package org.hesse.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import org.hesse.linalg.Linalg;
import org.hesse.simd.KernelProvider;

/**
 * The operations of {@link CurvatureBenchmark}, timed round-robin in one JVM: each round times every
 * operation once (in a rotated order) and divides by that round's gradient, and the report gives the median
 * time and the median of those per-round ratios. On a machine shared with other work, load that drifts over
 * the minutes a JMH run takes shifts whole benchmarks against each other; interleaving makes every
 * operation see the same load, so the ratios stay meaningful when the absolute times do not.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp hesse-benchmarks.jar
 * org.hesse.bench.CurvatureRatios [activation,... [warmup rounds]]} (defaults tanh,relu 10 30; "vit" runs the tiny vision
 * transformer of the graph fixtures instead of the MLP).
 */
public final class CurvatureRatios {
  private CurvatureRatios() {}

  record Op(String name, int perInvocation, DoubleSupplier body) {}

  public static void main(String[] args) {
    String[] activations = (args.length > 0 ? args[0] : "tanh,relu").split(",");
    int warmup = args.length > 1 ? PeerCompare.positive("warmup", args[1]) : 10;
    int rounds = args.length > 2 ? PeerCompare.positive("rounds", args[2]) : 30;
    System.out.println("BLAS " + Linalg.blasName() + ", kernels " + KernelProvider.get().getClass().getSimpleName()
        + ", MLP 784-512-512-10 (vit: the tiny ViT of the graph fixtures), batch " + CurvatureBenchmark.BATCH
        + ", cross-entropy, double");
    for (String act : activations) run(act.trim(), warmup, rounds);
  }

  static void run(String activation, int warmup, int rounds) {
    CurvatureBenchmark b = new CurvatureBenchmark();
    b.activation = activation;
    b.setup();
    int k = CurvatureBenchmark.K;
    List<Op> ops = new ArrayList<>();
    ops.add(new Op("gradient", 1, b::gradient));
    ops.add(new Op("construction", 1, () -> b.construction().loss()));
    ops.add(new Op("hvp", 1, () -> b.hvp()[0]));
    ops.add(new Op("hvpIncludingConstruction", 1, () -> b.hvpIncludingConstruction()[0]));
    ops.add(new Op("hvpUpdated", 1, () -> b.hvpUpdated()[0]));
    ops.add(new Op("ggn", 1, () -> b.ggn()[0]));
    ops.add(new Op("blockFirst", 1, () -> b.blockFirst()[0]));
    ops.add(new Op("blockLast", 1, () -> b.blockLast()[0]));
    ops.add(new Op("hvpMany8", k, () -> b.hvpMany8()[0]));
    ops.add(new Op("ggnMany8", k, () -> b.ggnMany8()[0]));
    ops.add(new Op("hvpSingle8", k, () -> {
      int p = b.net.paramCount();
      double s = 0;
      for (int j = 0; j < k; j++) {
        System.arraycopy(b.vMany, j * p, b.v, 0, p);
        s += b.hvp()[0];
      }
      return s;
    }));
    int n = ops.size();
    double sink = 0;
    for (int w = 0; w < warmup; w++) for (Op o : ops) sink += o.body().getAsDouble();
    double[][] ms = new double[n][rounds];
    double[][] ratio = new double[n][rounds];
    double[] t = new double[n];
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        int j = (i + r) % n;  // rotate so no operation always runs right after the same one
        long t0 = System.nanoTime();
        sink += ops.get(j).body().getAsDouble();
        t[j] = (System.nanoTime() - t0) * 1e-6 / ops.get(j).perInvocation();
      }
      for (int i = 0; i < n; i++) {
        ms[i][r] = t[i];
        ratio[i][r] = t[i] / t[0];
      }
    }
    System.out.printf(Locale.ROOT, "activation=%s (%d rounds after %d warm-up; per vector for *8)%n", activation,
        rounds, warmup);
    System.out.printf(Locale.ROOT, "  %-26s %12s %14s%n", "operation", "median ms", "median ratio");
    for (int i = 0; i < n; i++) {
      System.out.printf(Locale.ROOT, "  %-26s %12.3f %13.2fx%n", ops.get(i).name(), PeerCompare.median(ms[i]),
          PeerCompare.median(ratio[i]));
    }
    if (Double.isNaN(sink)) System.out.println("(sink NaN)");
  }
}
