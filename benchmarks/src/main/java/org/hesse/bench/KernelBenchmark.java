package org.hesse.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;
import org.hesse.simd.ScalarKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Panama vs. scalar kernels on a batch-sized block (rows × cols, default 256 × 512 = one hidden layer of a
 * batch of 256): reductions, activations forward / backward / derivatives, row softmax, matVec.
 * Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/hesse-benchmarks.jar Kernel}.
 * Pre-activations are N(0, 2²), so every branch of every activation is taken.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class KernelBenchmark {
  @Param({"scalar", "panama"})
  public String backEnd;

  @Param({"256"})
  public int rows;

  @Param({"512"})
  public int cols;

  private Kernels k;
  private double[] x, y, g, out, d1, d2, vec, res;

  @Setup(Level.Trial)
  public void setup() {
    if ("scalar".equals(backEnd)) {
      k = ScalarKernels.INSTANCE;
    } else {
      k = KernelProvider.panamaOrNull();
      if (k == null) throw new IllegalStateException("Panama kernels unavailable: fork without --add-modules jdk.incubator.vector?");
    }
    int n = rows * cols;
    Random r = new Random(42);
    x = new double[n];
    y = new double[n];
    g = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = 2 * r.nextGaussian();
      y[i] = r.nextGaussian();
      g[i] = r.nextGaussian();
    }
    out = new double[n];
    d1 = new double[n];
    d2 = new double[n];
    vec = new double[cols];
    for (int j = 0; j < cols; j++) vec[j] = r.nextGaussian();
    res = new double[rows];
  }

  @Benchmark
  public double dot() {
    return k.dot(x, 0, y, 0, x.length);
  }

  @Benchmark
  public double[] tanh() {
    k.activation(Activation.TANH, x, 0, out, 0, x.length);
    return out;
  }

  @Benchmark
  public double[] tanhDerivatives() {
    k.activationDerivatives(Activation.TANH, x, 0, d1, 0, d2, 0, x.length);
    return d2;
  }

  @Benchmark
  public double[] gelu() {
    k.activation(Activation.GELU, x, 0, out, 0, x.length);
    return out;
  }

  @Benchmark
  public double[] geluDerivatives() {
    k.activationDerivatives(Activation.GELU, x, 0, d1, 0, d2, 0, x.length);
    return d2;
  }

  @Benchmark
  public double[] sigmoidDerivatives() {
    k.activationDerivatives(Activation.SIGMOID, x, 0, d1, 0, d2, 0, x.length);
    return d2;
  }

  @Benchmark
  public double[] reluBackward() {
    k.activationBackward(Activation.RELU, x, 0, g, 0, out, 0, x.length);
    return out;
  }

  @Benchmark
  public double[] softmaxRows() {
    k.softmaxRows(x, 0, out, 0, rows, cols);
    return out;
  }

  /** Softmax over 10 classes per row, the classifier-output shape (mostly tail work). */
  @Benchmark
  public double[] softmaxRows10() {
    k.softmaxRows(x, 0, out, 0, rows, 10);
    return out;
  }

  @Benchmark
  public double[] matVec() {
    k.matVec(x, 0, rows, cols, vec, 0, res, 0);
    return res;
  }
}
