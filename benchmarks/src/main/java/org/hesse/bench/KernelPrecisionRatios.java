package org.hesse.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link KernelBenchmark}'s operations, float against double, timed alternately in one JVM: each round calls the
 * f64 and the f32 version of an operation five times each, interleaved, and keeps the ratio of their best times; the
 * report gives the median time of each and the median of the per-round ratios (robust against the load of a shared
 * machine, which shifts whole JMH benchmarks against each other).
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp hesse-benchmarks.jar
 * org.hesse.bench.KernelPrecisionRatios [backEnd [rounds]]} (defaults panama 15).
 */
public final class KernelPrecisionRatios {
  private KernelPrecisionRatios() {}

  public static void main(String[] args) {
    String backEnd = args.length > 0 ? args[0] : "panama";
    int rounds = args.length > 1 ? PeerCompare.positive("rounds", args[1]) : 15;
    KernelBenchmark f64 = bench(backEnd, "f64");
    KernelBenchmark f32 = bench(backEnd, "f32");
    Map<String, Function<KernelBenchmark, Object>> ops = new LinkedHashMap<>();
    ops.put("dot", KernelBenchmark::dot);
    ops.put("sum", KernelBenchmark::sum);
    ops.put("axpy", KernelBenchmark::axpy);
    ops.put("matVec", KernelBenchmark::matVec);
    ops.put("tanh", KernelBenchmark::tanh);
    ops.put("tanhDerivatives", KernelBenchmark::tanhDerivatives);
    ops.put("tanhBackward", KernelBenchmark::tanhBackward);
    ops.put("sigmoidDerivatives", KernelBenchmark::sigmoidDerivatives);
    ops.put("gelu", KernelBenchmark::gelu);
    ops.put("reluBackward", KernelBenchmark::reluBackward);
    ops.put("softmaxRows", KernelBenchmark::softmaxRows);
    ops.put("softmaxRows10", KernelBenchmark::softmaxRows10);
    System.out.printf(Locale.ROOT, "%s kernels, %d x %d, median of %d rounds (best of 5 alternating calls each)%n",
        backEnd, f64.rows, f64.cols, rounds);
    long sink = 0;
    for (Map.Entry<String, Function<KernelBenchmark, Object>> e : ops.entrySet()) {
      Function<KernelBenchmark, Object> op = e.getValue();
      for (int w = 0; w < 200; w++) sink += op.apply(f64).hashCode() + op.apply(f32).hashCode();  // C2 compiles both
      double[] t64 = new double[rounds];
      double[] t32 = new double[rounds];
      double[] ratio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        long b64 = Long.MAX_VALUE;
        long b32 = Long.MAX_VALUE;
        for (int rep = 0; rep < 5; rep++) {
          long t0 = System.nanoTime();
          sink += op.apply(f64).hashCode();
          long t1 = System.nanoTime();
          sink += op.apply(f32).hashCode();
          long t2 = System.nanoTime();
          b64 = Math.min(b64, t1 - t0);
          b32 = Math.min(b32, t2 - t1);
        }
        t64[r] = b64 / 1e3;
        t32[r] = b32 / 1e3;
        ratio[r] = (double) b32 / b64;
      }
      System.out.printf(Locale.ROOT, "%-20s f64 %9.1f us   f32 %9.1f us   f32/f64 %.2f%n", e.getKey(), median(t64),
          median(t32), median(ratio));
    }
    if (sink == 42) System.out.println();
  }

  private static KernelBenchmark bench(String backEnd, String precision) {
    KernelBenchmark b = new KernelBenchmark();
    b.backEnd = backEnd;
    b.precision = precision;
    b.rows = 256;
    b.cols = 512;
    b.setup();
    return b;
  }

  private static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
