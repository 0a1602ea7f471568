package org.hesse.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Cost of the second-order products against the gradient, on the reference case: MLP
 * 784-512-512-10, batch 256, double, softmax cross-entropy, PyTorch-default initialisation (seeded), random
 * Gaussian inputs and labels. {@code tanh} is the default activation because its σ'' terms make the exact
 * Hessian product do strictly more work than the GGN one; {@code relu} (σ'' = 0) is the cheaper case.
 *
 * <p>Products are timed on a {@link Curvature} built in setup (forward activations and gradient signals cached,
 * and the per-batch quantities of rules that keep any), which is how an eigen-solver uses it; {@link #construction}
 * times building that cache. One product from (θ, batch, v), the like-for-like figure against a framework's double
 * backward: {@link #hvpUpdated} on a Curvature kept across calls ({@link Curvature#update}, as a training loop holds
 * one), {@link #hvpIncludingConstruction} with a new Curvature (new buffers) every time.
 * {@link #hvpMany8} and {@link #ggnMany8} report the time per vector of an 8-vector apply.
 *
 * <p>Sample-time mode: every invocation is timed and the ratio table uses medians, which a shared machine's
 * preemptions move far less than means. Run {@code java -cp hesse-benchmarks.jar
 * org.hesse.bench.CurvatureBenchmark [JMH options]} to get the ratio table after the JMH output; the native BLAS kernel is whatever the environment selects (see
 * {@code OPENBLAS_CORETYPE} in benchmarks/README.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class CurvatureBenchmark {
  static final int INPUT = 784;
  static final int HIDDEN = 512;
  static final int CLASSES = 10;
  static final int BATCH = 256;
  static final int K = 8;

  @Param({"tanh", "relu"})
  public String activation;

  Network net;
  double[] theta;
  double[] x;
  double[] y;
  Workspace ws;
  double[] grad;
  Curvature curvature;
  Curvature updated;
  CurvatureOperator updatedHvp;
  CurvatureOperator hvp;
  CurvatureOperator ggn;
  CurvatureOperator firstBlock;
  CurvatureOperator lastBlock;
  double[] v;
  double[] vFirst;
  double[] vLast;
  double[] vMany;
  double[] out;
  double[] outMany;

  /**
   * The tiny vision transformer of the graph fixtures (hvp-kernels/src/test/resources/fixtures/graph-tiny-vit): 14×14
   * images, 7×7 patches (4 tokens of width 8), two pre-norm blocks with 2-head attention and a GELU MLP, token mean,
   * 10 classes.
   */
  static final String TINY_VIT = """
      {"input_shape": [1, 14, 14], "loss": "cross_entropy", "nodes": [
      {"name": "patch", "type": "conv2d", "out_channels": 8, "kernel": 7, "stride": 7},
      {"name": "tokens", "type": "reshape", "shape": [8, 4]},
      {"name": "tokens_t", "type": "transpose", "perm": [1, 0]},
      {"name": "pos", "type": "positional"},
      {"name": "blocks.0.ln1", "type": "layernorm", "normalized_shape": [8], "inputs": ["pos"]},
      {"name": "blocks.0.attn", "type": "attention", "heads": 2},
      {"name": "blocks.0.add1", "type": "add", "inputs": ["pos", "blocks.0.attn"]},
      {"name": "blocks.0.ln2", "type": "layernorm", "normalized_shape": [8]},
      {"name": "blocks.0.fc1", "type": "dense", "out": 16},
      {"name": "blocks.0.act", "type": "gelu"},
      {"name": "blocks.0.fc2", "type": "dense", "out": 8},
      {"name": "blocks.0.add2", "type": "add", "inputs": ["blocks.0.add1", "blocks.0.fc2"]},
      {"name": "blocks.1.ln1", "type": "layernorm", "normalized_shape": [8], "inputs": ["blocks.0.add2"]},
      {"name": "blocks.1.attn", "type": "attention", "heads": 2},
      {"name": "blocks.1.add1", "type": "add", "inputs": ["blocks.0.add2", "blocks.1.attn"]},
      {"name": "blocks.1.ln2", "type": "layernorm", "normalized_shape": [8]},
      {"name": "blocks.1.fc1", "type": "dense", "out": 16},
      {"name": "blocks.1.act", "type": "gelu"},
      {"name": "blocks.1.fc2", "type": "dense", "out": 8},
      {"name": "blocks.1.add2", "type": "add", "inputs": ["blocks.1.add1", "blocks.1.fc2"]},
      {"name": "norm", "type": "layernorm", "normalized_shape": [8], "inputs": ["blocks.1.add2"]},
      {"name": "pool", "type": "token_mean"},
      {"name": "head", "type": "dense", "out": 10}]}""";

  /** The benchmark network: 784-512-512-10 with the given activation and cross-entropy, or "vit": {@link #TINY_VIT}. */
  static Network network(String activation) {
    if (activation.equals("vit")) return org.hesse.io.ModelFiles.network(org.hesse.io.ModelSpec.parse(TINY_VIT));
    return Network.builder(INPUT).dense(HIDDEN).activation(activation).dense(HIDDEN).activation(activation)
        .dense(CLASSES).build("cross_entropy");
  }

  static double[] gaussian(SplittableRandom rng, int n) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      // Box–Muller; any fixed distribution of unit scale will do for timing.
      double u1 = rng.nextDouble();
      double u2 = rng.nextDouble();
      a[i] = Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }
    return a;
  }

  @Setup(Level.Trial)
  public void setup() {
    net = network(activation);
    theta = Init.PYTORCH.init(net, 42);
    SplittableRandom rng = new SplittableRandom(7);
    x = gaussian(rng, BATCH * net.inputSize());
    y = new double[BATCH];
    for (int n = 0; n < BATCH; n++) y[n] = rng.nextInt(CLASSES);
    ws = net.newWorkspace(BATCH);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    grad = new double[net.paramCount()];

    curvature = Curvature.of(net, theta, x, y, BATCH);
    hvp = curvature.full(Kind.HESSIAN);
    ggn = curvature.full(Kind.GGN);
    updated = Curvature.of(net, theta, x, y, BATCH);
    updatedHvp = updated.full(Kind.HESSIAN);
    int first = net.parametrisedLayers().get(0);
    int last = net.parametrisedLayers().get(net.parametrisedLayers().size() - 1);
    firstBlock = curvature.block(Kind.HESSIAN, first);
    lastBlock = curvature.block(Kind.HESSIAN, last);
    v = gaussian(rng, net.paramCount());
    vFirst = Arrays.copyOfRange(v, net.offset(first), net.offset(first) + firstBlock.cols());
    vLast = Arrays.copyOfRange(v, net.offset(last), net.offset(last) + lastBlock.cols());
    vMany = gaussian(rng, K * net.paramCount());
    out = new double[net.paramCount()];
    outMany = new double[K * net.paramCount()];
    // Size every operator's buffers outside the measurement.
    hvp.apply(v, out);
    updatedHvp.apply(v, out);
    hvp.applyMany(vMany, outMany, K);
    ggn.apply(v, out);
    ggn.applyMany(vMany, outMany, K);
    firstBlock.apply(vFirst, out);
    lastBlock.apply(vLast, out);
  }

  /** Baseline: forward, loss and backward of the batch into a zeroed gradient (preallocated workspace). */
  @Benchmark
  public double gradient() {
    Arrays.fill(grad, 0.0);
    return net.lossAndGradient(theta, ws, y, BATCH, 1.0 / BATCH, grad);
  }

  /** Building the cache: forward + gradient pass, copies, σ' and σ''. */
  @Benchmark
  public Curvature construction() {
    return Curvature.of(net, theta, x, y, BATCH);
  }

  /** One exact Hessian-vector product on the cached curvature. */
  @Benchmark
  public double[] hvp() {
    hvp.apply(v, out);
    return out;
  }

  /** One Hessian-vector product from (θ, batch, v) with nothing cached: comparable to a double backward. */
  @Benchmark
  public double[] hvpIncludingConstruction() {
    Curvature c = Curvature.of(net, theta, x, y, BATCH);
    c.full(Kind.HESSIAN).apply(v, out);
    return out;
  }

  /**
   * One Hessian-vector product from (θ, batch, v) on a Curvature kept across calls, as a training loop holds one:
   * {@link Curvature#update} recomputes the forward data and signals, then one apply.
   */
  @Benchmark
  public double[] hvpUpdated() {
    updated.update(theta);
    updatedHvp.apply(v, out);
    return out;
  }

  /** One Gauss-Newton-vector product on the cached curvature. */
  @Benchmark
  public double[] ggn() {
    ggn.apply(v, out);
    return out;
  }

  /** The first dense layer's Hessian block (784·512 + 512 parameters) times a vector. */
  @Benchmark
  public double[] blockFirst() {
    firstBlock.apply(vFirst, out);
    return out;
  }

  /** The last dense layer's Hessian block (512·10 + 10 parameters) times a vector. */
  @Benchmark
  public double[] blockLast() {
    lastBlock.apply(vLast, out);
    return out;
  }

  /** Eight Hessian-vector products in one apply; the score is per vector. */
  @Benchmark
  @OperationsPerInvocation(K)
  public double[] hvpMany8() {
    hvp.applyMany(vMany, outMany, K);
    return outMany;
  }

  /** Eight GGN-vector products in one apply; the score is per vector. */
  @Benchmark
  @OperationsPerInvocation(K)
  public double[] ggnMany8() {
    ggn.applyMany(vMany, outMany, K);
    return outMany;
  }

  /** Eight single Hessian-vector products, one after the other; the score is per vector. */
  @Benchmark
  @OperationsPerInvocation(K)
  public void hvpSingle8(Blackhole bh) {
    int p = net.paramCount();
    for (int j = 0; j < K; j++) {
      System.arraycopy(vMany, j * p, v, 0, p);
      hvp.apply(v, out);
      bh.consume(out);
    }
  }

  /**
   * Runs this class's benchmarks (or those a trailing regex selects) with any JMH command-line options
   * (e.g. {@code -f 1 -wi 3 -i 5 -p activation=tanh,relu}) and prints every score as a ratio to the gradient of the same activation.
   */
  public static void main(String[] args) throws Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    OptionsBuilder b = new OptionsBuilder();
    b.parent(cli);
    // Only this class unless the command line names benchmarks itself (a regex after the options).
    if (cli.getIncludes().isEmpty()) b.include(CurvatureBenchmark.class.getName() + "\\.");
    Options opts = b.build();
    Collection<RunResult> results = new Runner(opts).run();
    Map<String, Map<String, Double>> byActivation = new LinkedHashMap<>();
    for (RunResult r : results) {
      String act = r.getParams().getParam("activation");
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      // The median, not the mean: on a shared 2-core machine a few preempted samples dominate the mean.
      double median = r.getPrimaryResult().getStatistics().getPercentile(50);
      byActivation.computeIfAbsent(act, a -> new LinkedHashMap<>()).put(name, median);
    }
    System.out.println();
    System.out.println("Medians and ratios to the gradient (ms per product; *Many8 and hvpSingle8 are per vector):");
    for (Map.Entry<String, Map<String, Double>> e : byActivation.entrySet()) {
      Double g = e.getValue().get("gradient");
      System.out.println("activation=" + e.getKey());
      for (Map.Entry<String, Double> s : e.getValue().entrySet()) {
        String ratio = g == null ? "n/a" : String.format("%.2f", s.getValue() / g);
        System.out.printf("  %-26s %9.3f ms  %6sx gradient%n", s.getKey(), s.getValue(), ratio);
      }
    }
  }
}
