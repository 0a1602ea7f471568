package org.hesse.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.hvp.curvature.Float32Curvature;
import org.hesse.io.ModelFiles;
import org.hesse.linalg.Linalg;
import org.hesse.nn.Workspace32;
import org.hesse.precision.Precision;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.hesse.simd.KernelProvider;

/**
 * The Hesse side of benchmarks/compare-pytorch.sh: reads a case written by compare_pytorch.py
 * ({@code model.json}, {@code model.safetensors}, {@code data.csv} with columns x0.. and label, and the HVP
 * direction {@code v.safetensors} under the model's tensor names), times the gradient and the Hessian-vector
 * product as PyTorch's side does (warm-up, then the median of timed runs), and writes the products
 * ({@code hesse_grad.safetensors}, {@code hesse_hvp.safetensors}) and the timings ({@code hesse.json}).
 *
 * <p>Times, each the median over runs, in milliseconds:
 * <ul>
 *   <li>{@code grad_ms}: forward, loss and backward of the whole batch into a zeroed gradient;</li>
 *   <li>{@code hvp_ms} (the headline): one product from (θ, batch, v) on a Curvature kept across calls, as a
 *       training loop holds one: {@link Curvature#update} (forward, loss, first-order signals at θ, all
 *       recomputed) plus one apply. Everything that depends on θ or v is computed in the timed call, like
 *       PyTorch's double backward; only the buffers are reused;</li>
 *   <li>{@code hvp_fresh_ms}: the same with a new Curvature and operator per product (their buffers allocated
 *       and zeroed by the JVM each time);</li>
 *   <li>{@code hvp_cached_ms}: one apply on a prebuilt Curvature (what an eigen-solver pays per product);</li>
 *   <li>{@code construction_ms}: building a new Curvature alone;</li>
 *   <li>{@code ggn_cached_ms}: one Gauss-Newton product on the prebuilt Curvature.</li>
 * </ul>
 * The three HVPs must be the same numbers: {@code paths_rel_diff} is their largest difference relative to the
 * product's largest entry.
 *
 * <p>Usage: {@code PeerCompare DIR [warmup runs] [--precision f64|f32]} (defaults 10, 20, f64).
 * {@code --precision f32} times the float32 engine (docs/precision.md; compare-pytorch.sh's PRECISION=f32) the
 * same way: the gradient on a {@link Workspace32} from float θ (rounded once before timing, as PyTorch casts its
 * model once; the float gradient is widened for the file after timing), the HVPs on {@link Float32Curvature}; the products it writes are the float64 sums of
 * the float per-batch products.
 */
public final class PeerCompare {
  private PeerCompare() {}

  /** A timed action; returns something derived from its output so the JIT cannot drop it. */
  interface Action {
    double run();
  }

  public static void main(String[] args) throws IOException {
    String precision = "f64";
    int p = Arrays.asList(args).indexOf("--precision");
    if (p >= 0) {
      if (p + 1 >= args.length) throw new IllegalArgumentException("--precision: expected f64 or f32 after it, got nothing");
      precision = args[p + 1];
      List<String> rest = new ArrayList<>(Arrays.asList(args));
      rest.subList(p, p + 2).clear();
      args = rest.toArray(new String[0]);
    }
    if (!precision.equals("f64") && !precision.equals("f32")) {
      throw new IllegalArgumentException("--precision: expected f64 or f32, got '" + precision + "'");
    }
    if (args.length < 1 || args.length > 3) {
      throw new IllegalArgumentException("usage: PeerCompare DIR [warmup runs] [--precision f64|f32], got "
          + args.length + " arguments");
    }
    Path dir = Path.of(args[0]);
    int warmup = args.length > 1 ? positive("warmup", args[1]) : 10;
    int runs = args.length > 2 ? positive("runs", args[2]) : 20;

    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[] v = ModelFiles.readParameters(net, dir.resolve("v.safetensors"));
    double[][] data = readCsv(dir.resolve("data.csv"), net.inputSize());
    double[] x = data[0];
    double[] y = data[1];
    int batch = y.length;

    Timed timed = precision.equals("f32") ? float32(net, theta, v, x, y, batch) : float64(net, theta, v, x, y, batch);
    List<Action> actions = timed.actions();
    double[] grad = timed.grad();
    double[] hv = timed.hv();
    double[] hvFresh = timed.hvFresh();
    double[] hvCached = timed.hvCached();

    // Warm every path first (JIT), then time them interleaved so background load hits all alike.
    double sink = 0;
    for (int w = 0; w < warmup; w++) for (Action a : actions) sink += a.run();
    double[][] t = new double[actions.size()][runs];
    for (int r = 0; r < runs; r++) {
      for (int i = 0; i < actions.size(); i++) {
        long t0 = System.nanoTime();
        sink += actions.get(i).run();
        t[i][r] = (System.nanoTime() - t0) * 1e-6;
      }
    }
    timed.widenOutputs().run();
    // The last runs left the answers in grad, hv, hvFresh and hvCached: the three HVPs must be the same numbers.
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < hv.length; i++) {
      diff = Math.max(diff, Math.max(Math.abs(hv[i] - hvCached[i]), Math.abs(hv[i] - hvFresh[i])));
      scale = Math.max(scale, Math.abs(hv[i]));
    }

    ModelFiles.writeParameters(net, grad, dir.resolve("hesse_grad.safetensors"));
    ModelFiles.writeParameters(net, hv, dir.resolve("hesse_hvp.safetensors"));
    String json = String.format(Locale.ROOT,
        "{\"grad_ms\": %.4f, \"hvp_ms\": %.4f, \"hvp_fresh_ms\": %.4f, \"hvp_cached_ms\": %.4f, "
            + "\"construction_ms\": %.4f, \"ggn_cached_ms\": %.4f, \"loss\": %.17g, \"paths_rel_diff\": %.3e, "
            + "\"runs\": %d, \"warmup\": %d, \"precision\": \"%s\", \"blas\": \"%s\", \"kernels\": \"%s\", "
            + "\"sink\": %.3e}%n",
        median(t[0]), median(t[1]), median(t[2]), median(t[3]), median(t[4]), median(t[5]), timed.loss().getAsDouble(),
        diff / scale, runs, warmup, precision, Linalg.blasName(), KernelProvider.get().name(), sink);
    Files.writeString(dir.resolve("hesse.json"), json, StandardCharsets.UTF_8);
    System.out.print(json);
  }

  /** The timed actions (gradient, HVP updated, HVP fresh, HVP cached, construction, GGN cached) and their outputs. */
  record Timed(List<Action> actions, double[] grad, double[] hv, double[] hvFresh, double[] hvCached,
      DoubleSupplier loss, Runnable widenOutputs) {}

  static Timed float64(Network net, double[] theta, double[] v, double[] x, double[] y, int batch) {
    Workspace ws = net.newWorkspace(batch);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    double[] grad = new double[net.paramCount()];
    double[] hv = new double[net.paramCount()];
    double[] hvCached = new double[net.paramCount()];
    double[] gv = new double[net.paramCount()];

    Action gradient = () -> {
      Arrays.fill(grad, 0.0);
      return net.lossAndGradient(theta, ws, y, batch, 1.0 / batch, grad);
    };
    Curvature reused = Curvature.of(net, theta, x, y, batch);
    CurvatureOperator reusedHvp = reused.full(Kind.HESSIAN);
    Action hvpUpdated = () -> {
      reused.update(theta);
      reusedHvp.apply(v, hv);
      return hv[0];
    };
    double[] hvFresh = new double[net.paramCount()];
    Action hvpFresh = () -> {
      Curvature c = Curvature.of(net, theta, x, y, batch);
      c.full(Kind.HESSIAN).apply(v, hvFresh);
      return hvFresh[0];
    };
    Action construction = () -> Curvature.of(net, theta, x, y, batch).loss();
    Curvature cached = Curvature.of(net, theta, x, y, batch);
    CurvatureOperator hvp = cached.full(Kind.HESSIAN);
    CurvatureOperator ggn = cached.full(Kind.GGN);
    Action hvpCachedAction = () -> {
      hvp.apply(v, hvCached);
      return hvCached[0];
    };
    Action ggnCached = () -> {
      ggn.apply(v, gv);
      return gv[0];
    };
    return new Timed(List.of(gradient, hvpUpdated, hvpFresh, hvpCachedAction, construction, ggnCached), grad, hv,
        hvFresh, hvCached, cached::loss, () -> {});
  }

  /**
   * The same actions on the float32 engine, float in and float out as PyTorch's float32 side: θ and v rounded once,
   * untimed (PyTorch casts its model and v once), the HVPs through {@link Float32Curvature}'s float interface
   * (update(float θ), apply(float v, float Hv)); the float results are widened for the files after timing.
   */
  static Timed float32(Network net, double[] theta, double[] v, double[] x, double[] y, int batch) {
    Workspace32 ws = net.newWorkspace32(batch);
    float[] input = ws.input();
    for (int i = 0; i < x.length; i++) input[i] = (float) x[i];
    // θ rounded once, untimed: PyTorch's side casts its model to float32 once before timing (net.float()); a
    // float32 model's gradient starts from float parameters, as does the HVP's update.
    float[] thetaF = Precision.round(theta, null);
    float[] vF = Precision.round(v, null);
    float[] gradF = new float[net.paramCount()];
    double[] grad = new double[net.paramCount()];
    int p = net.paramCount();
    double[] hv = new double[p];
    double[] hvCached = new double[p];
    double[] hvFresh = new double[p];
    float[] hvF = new float[p];
    float[] hvCachedF = new float[p];
    float[] hvFreshF = new float[p];
    float[] gvF = new float[p];

    Action gradient = () -> {
      Arrays.fill(gradF, 0f);
      return net.lossAndGradient(thetaF, ws, y, batch, 1.0 / batch, gradF);
    };
    Float32Curvature reused = Float32Curvature.of(net, theta, x, y, batch);
    Float32Curvature.FloatOperator reusedHvp = reused.full(Kind.HESSIAN);
    Action hvpUpdated = () -> {
      reused.update(thetaF);
      reusedHvp.apply(vF, hvF);
      return hvF[0];
    };
    Action hvpFresh = () -> {
      Float32Curvature c = Float32Curvature.of(net, theta, x, y, batch);
      c.full(Kind.HESSIAN).apply(vF, hvFreshF);
      return hvFreshF[0];
    };
    Action construction = () -> Float32Curvature.of(net, theta, x, y, batch).loss();
    Float32Curvature cached = Float32Curvature.of(net, theta, x, y, batch);
    Float32Curvature.FloatOperator hvp = cached.full(Kind.HESSIAN);
    Float32Curvature.FloatOperator ggn = cached.full(Kind.GGN);
    Action hvpCachedAction = () -> {
      hvp.apply(vF, hvCachedF);
      return hvCachedF[0];
    };
    Action ggnCached = () -> {
      ggn.apply(vF, gvF);
      return gvF[0];
    };
    return new Timed(List.of(gradient, hvpUpdated, hvpFresh, hvpCachedAction, construction, ggnCached), grad, hv,
        hvFresh, hvCached, cached::loss, () -> {
          // untimed: PyTorch's float results stay float
          for (int i = 0; i < p; i++) {
            grad[i] = gradF[i];
            hv[i] = hvF[i];
            hvFresh[i] = hvFreshF[i];
            hvCached[i] = hvCachedF[i];
          }
        });
  }

  static int positive(String name, String s) {
    int n;
    try {
      n = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": expected a positive integer, got '" + s + "'");
    }
    if (n <= 0) throw new IllegalArgumentException(name + ": expected a positive integer, got " + n);
    return n;
  }

  static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }

  /** data.csv: a header, then per row the feature columns and the target column(s). */
  static double[][] readCsv(Path file, int features) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.size() < 2) throw new IllegalArgumentException("data: " + file + " has no rows");
    int cols = lines.get(0).split(",").length;
    if (cols <= features) {
      throw new IllegalArgumentException("data: " + file + " has " + cols + " columns, expected " + features
          + " features and at least one target");
    }
    int n = lines.size() - 1;
    int tw = cols - features;
    double[] x = new double[n * features];
    double[] y = new double[n * tw];
    for (int i = 0; i < n; i++) {
      String[] c = lines.get(i + 1).split(",");
      if (c.length != cols) {
        throw new IllegalArgumentException("data: " + file + " row " + (i + 1) + " has " + c.length
            + " columns, expected " + cols);
      }
      for (int j = 0; j < cols; j++) {
        double val = Double.parseDouble(c[j]);
        if (j < features) x[i * features + j] = val;
        else y[i * tw + j - features] = val;
      }
    }
    return new double[][] {x, y};
  }
}
