package org.hesse.bench;
import java.nio.file.Path;
import java.util.*;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;
/**
 * The element-wise split ({@code -Dhesse.kernels.split}, KernelThreads) on and off in one JVM, alternating per call
 * (which goes first alternates too), on compare-pytorch.sh's case: the gradient and the HVP (update + apply), each
 * setting's minimum and median and the median per-run ratio on/off (docs/performance.md, "Roofline").
 *
 * <p>Usage: {@code SplitAB DIR f32|f64 runs}; OpenBLAS threads from OPENBLAS_NUM_THREADS (the split needs ≥ 2).
 */
public final class SplitAB {
  private SplitAB() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]); String prec = args[1]; int runs = Integer.parseInt(args[2]);
    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    double[] v = ModelFiles.readParameters(net, dir.resolve("v.safetensors"));
    double[][] data = PeerCompare.readCsv(dir.resolve("data.csv"), net.inputSize());
    PeerCompare.Timed t = prec.equals("f32") ? PeerCompare.float32(net, theta, v, data[0], data[1], 256)
        : PeerCompare.float64(net, theta, v, data[0], data[1], 256);
    String[] names = {"grad", "hvp"};
    for (int w = 0; w < 20; w++) for (int i = 0; i < 2; i++) for (String sp : new String[] {"true", "false"}) { System.setProperty("hesse.kernels.split", sp); t.actions().get(i).run(); }
    double[][][] ms = new double[2][2][runs];  // action, split(0 off,1 on), run
    for (int r = 0; r < runs; r++) for (int i = 0; i < 2; i++) for (int s0 = 0; s0 < 2; s0++) {
      int s = (r + s0) % 2;  // alternate which goes first
      System.setProperty("hesse.kernels.split", s == 1 ? "true" : "false");
      long t0 = System.nanoTime(); t.actions().get(i).run(); ms[i][s][r] = (System.nanoTime() - t0) * 1e-6;
    }
    for (int i = 0; i < 2; i++) {
      double[] ratio = new double[runs];
      for (int r = 0; r < runs; r++) ratio[r] = ms[i][1][r] / ms[i][0][r];
      System.out.printf(Locale.ROOT, "%s %s OPENBLAS=%s: split off min %.3f median %.3f ms; on min %.3f median %.3f ms; median per-run on/off %.3f%n",
          prec, names[i], System.getenv("OPENBLAS_NUM_THREADS"), Arrays.stream(ms[i][0]).min().getAsDouble(), PeerCompare.median(ms[i][0]),
          Arrays.stream(ms[i][1]).min().getAsDouble(), PeerCompare.median(ms[i][1]), PeerCompare.median(ratio));
    }
  }
}
