package org.hesse.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.hesse.data.Dataset;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.CacheMode;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;

/**
 * Time per Hessian-vector product of the three cache plans in one JVM on the scaling case (issue 13, item 4): all
 * batches cached, the first {@code cached} cached and the rest streamed (auto under the budget that fits them:
 * {@link Curvature#planBytes}), none cached. Each round applies the three operators in turn, the order rotated every
 * round; prints per plan the median apply time and the largest |difference| from the all-cached product (0: the same
 * bits).
 *
 * <p>Usage: {@code CachePlanHvp DIR N cached [rounds batch]} (defaults 7, 256); DIR as for {@link ScalingHvp}.
 */
public final class CachePlanHvp {
  private CachePlanHvp() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3 && args.length != 5) {
      throw new IllegalArgumentException("usage: CachePlanHvp DIR N cached [rounds batch], got " + args.length + " arguments");
    }
    Path dir = Path.of(args[0]);
    int n = PeerCompare.positive("N", args[1]);
    int cached = PeerCompare.positive("cached", args[2]);
    int rounds = args.length > 3 ? PeerCompare.positive("rounds", args[3]) : 7;
    int batch = args.length > 3 ? PeerCompare.positive("batch", args[4]) : 256;
    ScalingHvp.Case scalingCase = ScalingHvp.Case.read(dir, n);
    Network net = scalingCase.net();
    double[] theta = scalingCase.theta();
    double[] v = scalingCase.v();
    Dataset d = scalingCase.data();
    double[] y = scalingCase.y();

    Curvature[] c = new Curvature[3];
    c[0] = Curvature.of(net, theta, null, Mode.ANALYSIS, d.x(), y, batch, CacheMode.ALL);
    MemoryBudget saved = MemoryBudget.current();
    MemoryBudget.install(MemoryBudget.of(Curvature.planBytes(net, n, batch, cached,
        org.hesse.runtime.ThreadPolicy.current().javaWorkers())));
    c[1] = Curvature.of(net, theta, null, Mode.ANALYSIS, d.x(), y, batch, CacheMode.AUTO);
    MemoryBudget.install(saved);
    c[2] = Curvature.of(net, theta, null, Mode.ANALYSIS, d.x(), y, batch, CacheMode.NONE);
    if (c[1].cachedBatches() != cached) {
      throw new IllegalStateException("expected " + cached + " cached batches, auto cached " + c[1].cachedBatches());
    }
    CurvatureOperator[] h = new CurvatureOperator[3];
    double[][] out = new double[3][net.paramCount()];
    double[][] ms = new double[3][rounds];
    for (int i = 0; i < 3; i++) h[i] = c[i].full(Kind.HESSIAN);
    for (int i = 0; i < 3; i++) h[i].apply(v, out[i]);  // warm-up
    for (int r = 0; r < rounds; r++) {
      for (int j = 0; j < 3; j++) {
        int i = (j + r) % 3;
        long t = System.nanoTime();
        h[i].apply(v, out[i]);
        ms[i][r] = (System.nanoTime() - t) * 1e-6;
      }
    }
    String[] names = {"all", "partial", "none"};
    for (int i = 0; i < 3; i++) {
      double diff = 0;
      for (int k = 0; k < out[i].length; k++) diff = Math.max(diff, Math.abs(out[i][k] - out[0][k]));
      double[] s = ms[i].clone();
      Arrays.sort(s);
      System.out.printf(Locale.ROOT, "%s %d/%d batches cached: median apply %.0f ms (min %.0f, max %.0f), max |Hv - Hv_all| %s%n",
          names[i], c[i].cachedBatches(), c[i].batches(), s[rounds / 2], s[0], s[rounds - 1], diff);
    }
  }
}
