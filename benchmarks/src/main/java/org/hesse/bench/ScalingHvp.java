package org.hesse.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.hesse.data.Dataset;
import org.hesse.data.Idx;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;

/**
 * The Hesse side of benchmarks/scaling.sh: the full Hessian-vector product of the mean loss over the first N
 * Fashion-MNIST training images, in the library's own batches ({@link Curvature} of contiguous rows of at most
 * BATCH, the CLI's default 256), at the parameters and direction a case directory holds ({@code model.json},
 * {@code model.safetensors}, {@code v.safetensors}, written by scaling_pytorch.py).
 *
 * <p>Times, each the median over runs, in milliseconds, the two interleaved:
 * <ul>
 *   <li>{@code hvp_ms}: {@link Curvature#update} (forward, loss, signals of all N at θ) plus one apply — what
 *       PyTorch's double backward redoes per product;</li>
 *   <li>{@code hvp_cached_ms}: one apply on the built curvature (what an eigen-solver pays per product): the tangent
 *       passes when the forward data are cached, the forward recomputed batch by batch too when streaming.</li>
 * </ul>
 * Also {@code build_ms} (the first {@code Curvature.of}), {@code cache_bytes} ({@link Curvature#cacheBytes}) and
 * {@code cache}, what ran ({@link Curvature#ran}: all, none when streaming, or partial; chosen by the system property
 * {@value org.hesse.hvp.curvature.Curvature.CacheMode#PROPERTY}, default auto, and the memory budget) with
 * {@code cached_batches} of {@code batches}.
 * Writes the product to {@code DIR/hesse_hvp.safetensors} and the figures as one JSON line to stdout.
 *
 * <p>Usage: {@code ScalingHvp DIR N [warmup runs batch]} (defaults 1, 3, 256).
 */
public final class ScalingHvp {
  private ScalingHvp() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2 && args.length != 5) {
      throw new IllegalArgumentException("usage: ScalingHvp DIR N [warmup runs batch], got " + args.length + " arguments");
    }
    Path dir = Path.of(args[0]);
    int n = PeerCompare.positive("N", args[1]);
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    if (warmup < 0) throw new IllegalArgumentException("warmup: expected >= 0 runs, got " + warmup);
    int runs = args.length > 2 ? PeerCompare.positive("runs", args[3]) : 3;
    int batch = args.length > 2 ? PeerCompare.positive("batch", args[4]) : 256;

    Case scalingCase = Case.read(dir, n);
    Network net = scalingCase.net();
    double[] theta = scalingCase.theta();
    double[] v = scalingCase.v();
    Dataset d = scalingCase.data();
    double[] y = scalingCase.y();

    long t0 = System.nanoTime();
    Curvature c = Curvature.of(net, theta, d.x(), y, batch);
    double buildMs = (System.nanoTime() - t0) * 1e-6;
    CurvatureOperator h = c.full(Kind.HESSIAN);
    double[] hv = new double[net.paramCount()];
    double[] hvCached = new double[net.paramCount()];
    double[] updated = new double[runs];
    double[] cached = new double[runs];
    for (int r = -warmup; r < runs; r++) {
      long a = System.nanoTime();
      c.update(theta);
      h.apply(v, hv);
      long b = System.nanoTime();
      h.apply(v, hvCached);
      long e = System.nanoTime();
      if (r >= 0) {
        updated[r] = (b - a) * 1e-6;
        cached[r] = (e - b) * 1e-6;
      }
    }
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < hv.length; i++) {
      diff = Math.max(diff, Math.abs(hv[i] - hvCached[i]));
      scale = Math.max(scale, Math.abs(hv[i]));
    }
    ModelFiles.writeParameters(net, hv, dir.resolve("hesse_hvp.safetensors"));
    String json = String.format(Locale.ROOT,
        "{\"samples\": %d, \"batch\": %d, \"hvp_ms\": %.3f, \"hvp_cached_ms\": %.3f, \"build_ms\": %.3f, "
            + "\"cache_bytes\": %d, \"loss\": %.17g, \"paths_rel_diff\": %.3e, \"runs\": %d, \"warmup\": %d, "
            + "\"max_heap\": %d, \"cache\": \"%s\", \"cached_batches\": %d, \"batches\": %d}%n",
        n, batch, PeerCompare.median(updated), PeerCompare.median(cached), buildMs, Curvature.cacheBytes(net, n),
        c.loss(), diff / scale, runs, warmup, Runtime.getRuntime().maxMemory(), c.ran(), c.cachedBatches(), c.batches());
    Files.writeString(dir.resolve("hesse.json"), json, StandardCharsets.UTF_8);
    System.out.print(json);
  }

  /** A scaling case: the model, its parameters and direction from DIR, the first N Fashion-MNIST training images. */
  record Case(Network net, double[] theta, double[] v, Dataset data, double[] y) {
    static Case read(Path dir, int n) throws IOException {
      Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
      double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
      double[] v = ModelFiles.readParameters(net, dir.resolve("v.safetensors"));
      Dataset d = Idx.fashionMnist(Path.of(System.getProperty("hesse.fashion-mnist.dir", "/usr/share/datasets/fashion-mnist")),
          "train", n);
      if (d.size() != n) throw new IllegalArgumentException("N: Fashion-MNIST has " + d.size() + " training images, asked " + n);
      double[] y = new double[n];
      for (int i = 0; i < n; i++) y[i] = d.labels()[i];
      return new Case(net, theta, v, d, y);
    }
  }
}
