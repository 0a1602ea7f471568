package org.hesse.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;

/**
 * How much of Hesse's gradient on compare-pytorch.sh's case is BLAS: the gradient exactly as PeerCompare times it
 * (its first action: zero the gradient, forward, loss, backward) alternating, call by call, with the same GEMMs
 * replayed back to back on their own operands ({@link Roofline#GRADIENT}: shapes, transposes, beta). The replay is the
 * gradient with zero element-wise work, so gradient − replay is what Hesse spends outside its GEMMs, and the
 * replay's median against PyTorch's gradient (compare-pytorch.sh, the same minutes) is the ratio this BLAS allows.
 * Alternating call by call puts both under the same background load.
 *
 * <p>Usage: {@code GradientGemmShare DIR [f32|f64] [calls] [rounds]} (defaults f32, 200, 6), DIR a case of
 * compare_pytorch.py (model.json, model.safetensors, v.safetensors, data.csv). Per round: median and least time of
 * each, and the median of the per-call differences.
 */
public final class GradientGemmShare {
  private GradientGemmShare() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 4) {
      throw new IllegalArgumentException("usage: GradientGemmShare DIR [f32|f64] [calls] [rounds], got " + args.length + " arguments");
    }
    Path dir = Path.of(args[0]);
    String precision = args.length > 1 ? args[1] : "f32";
    if (!precision.equals("f32") && !precision.equals("f64")) {
      throw new IllegalArgumentException("precision: expected f32 or f64, got '" + precision + "'");
    }
    boolean f32 = precision.equals("f32");
    int calls = args.length > 2 ? PeerCompare.positive("calls", args[2]) : 200;
    int rounds = args.length > 3 ? PeerCompare.positive("rounds", args[3]) : 6;

    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[] v = ModelFiles.readParameters(net, dir.resolve("v.safetensors"));
    double[][] data = PeerCompare.readCsv(dir.resolve("data.csv"), net.inputSize());
    int batch = data[1].length;
    PeerCompare.Timed timed = f32 ? PeerCompare.float32(net, theta, v, data[0], data[1], batch)
        : PeerCompare.float64(net, theta, v, data[0], data[1], batch);
    PeerCompare.Action gradient = timed.actions().get(0);
    SplittableRandom r = new SplittableRandom(1);
    Runnable[] gemms = new Runnable[Roofline.GRADIENT.length];
    for (int i = 0; i < gemms.length; i++) gemms[i] = Roofline.call(Roofline.GRADIENT[i], f32, r);

    System.out.printf(Locale.ROOT, "%s gradient, batch %d, against its %d GEMMs replayed; %d alternating calls a round%n",
        precision, batch, gemms.length, calls);
    double sink = 0;
    for (int w = 0; w < 50; w++) {
      sink += gradient.run();
      for (Runnable g : gemms) g.run();
    }
    for (int round = 0; round < rounds; round++) {
      double[] grad = new double[calls];
      double[] replay = new double[calls];
      double[] outside = new double[calls];
      for (int i = 0; i < calls; i++) {
        long t0 = System.nanoTime();
        sink += gradient.run();
        long t1 = System.nanoTime();
        for (Runnable g : gemms) g.run();
        long t2 = System.nanoTime();
        grad[i] = (t1 - t0) * 1e-6;
        replay[i] = (t2 - t1) * 1e-6;
        outside[i] = grad[i] - replay[i];
      }
      System.out.printf(Locale.ROOT, "round %d: gradient median %.3f ms (least %.3f), GEMMs replayed median %.3f ms "
              + "(least %.3f), outside the GEMMs (median of the differences) %.3f ms%n",
          round, PeerCompare.median(grad), min(grad), PeerCompare.median(replay), min(replay), PeerCompare.median(outside));
    }
    System.out.printf(Locale.ROOT, "sink %.3e%n", sink);
  }

  private static double min(double[] a) {
    return Arrays.stream(a).min().orElse(Double.NaN);
  }
}
