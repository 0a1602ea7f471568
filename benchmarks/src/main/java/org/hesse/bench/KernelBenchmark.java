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
 * Pre-activations are N(0, 2²), so every branch of every activation is taken. {@code precision} f64 runs the
 * double kernels, f32 the float ones on the same numbers rounded to float (float32 path, issue 13): compare the two
 * within one run, e.g. {@code ... Kernel -p backEnd=panama}.
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

  @Param({"f64", "f32"})
  public String precision;

  private Kernels k;
  private double[] x, y, g, out, d1, d2, vec, res;
  private float[] xf, yf, gf, outf, d1f, d2f, vecf, resf;
  private boolean f32;

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
    f32 = "f32".equals(precision);
    if (!f32 && !"f64".equals(precision)) throw new IllegalArgumentException("precision: f64 or f32, got " + precision);
    xf = toFloat(x);
    yf = toFloat(y);
    gf = toFloat(g);
    vecf = toFloat(vec);
    outf = new float[n];
    d1f = new float[n];
    d2f = new float[n];
    resf = new float[rows];
  }

  private static float[] toFloat(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
    return f;
  }

  @Benchmark
  public double dot() {
    return f32 ? k.dot(xf, 0, yf, 0, xf.length) : k.dot(x, 0, y, 0, x.length);
  }

  @Benchmark
  public double sum() {
    return f32 ? k.sum(xf, 0, xf.length) : k.sum(x, 0, x.length);
  }

  /** y += a·x (y drifts by a tiny amount per call; the cost does not depend on its values) */
  @Benchmark
  public Object axpy() {
    if (f32) {
      k.axpy(1e-9, xf, 0, yf, 0, xf.length);
      return yf;
    }
    k.axpy(1e-9, x, 0, y, 0, x.length);
    return y;
  }

  @Benchmark
  public Object tanh() {
    return activation(Activation.TANH);
  }

  @Benchmark
  public Object tanhDerivatives() {
    return derivatives(Activation.TANH);
  }

  @Benchmark
  public Object gelu() {
    return activation(Activation.GELU);
  }

  @Benchmark
  public Object geluDerivatives() {
    return derivatives(Activation.GELU);
  }

  @Benchmark
  public Object sigmoidDerivatives() {
    return derivatives(Activation.SIGMOID);
  }

  @Benchmark
  public Object relu() {
    return activation(Activation.RELU);
  }

  @Benchmark
  public Object reluBackward() {
    if (f32) {
      k.activationBackward(Activation.RELU, xf, 0, gf, 0, outf, 0, xf.length);
      return outf;
    }
    k.activationBackward(Activation.RELU, x, 0, g, 0, out, 0, x.length);
    return out;
  }

  @Benchmark
  public Object tanhBackward() {
    if (f32) {
      k.activationBackward(Activation.TANH, xf, 0, gf, 0, outf, 0, xf.length);
      return outf;
    }
    k.activationBackward(Activation.TANH, x, 0, g, 0, out, 0, x.length);
    return out;
  }

  @Benchmark
  public Object softmaxRows() {
    return softmax(cols);
  }

  /** Softmax over 10 classes per row, the classifier-output shape (mostly tail work). */
  @Benchmark
  public Object softmaxRows10() {
    return softmax(10);
  }

  @Benchmark
  public Object matVec() {
    if (f32) {
      k.matVec(xf, 0, rows, cols, vecf, 0, resf, 0);
      return resf;
    }
    k.matVec(x, 0, rows, cols, vec, 0, res, 0);
    return res;
  }

  private Object activation(Activation f) {
    if (f32) {
      k.activation(f, xf, 0, outf, 0, xf.length);
      return outf;
    }
    k.activation(f, x, 0, out, 0, x.length);
    return out;
  }

  private Object derivatives(Activation f) {
    if (f32) {
      k.activationDerivatives(f, xf, 0, d1f, 0, d2f, 0, xf.length);
      return d2f;
    }
    k.activationDerivatives(f, x, 0, d1, 0, d2, 0, x.length);
    return d2;
  }

  private Object softmax(int width) {
    if (f32) {
      k.softmaxRows(xf, 0, outf, 0, rows, width);
      return outf;
    }
    k.softmaxRows(x, 0, out, 0, rows, width);
    return out;
  }
}
