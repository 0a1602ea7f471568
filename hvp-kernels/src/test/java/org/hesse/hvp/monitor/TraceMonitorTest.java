package org.hesse.hvp.monitor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.hesse.train.Sgd;
import org.hesse.train.Schedule;
import org.hesse.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor in a training loop: training unchanged, the stream complete, the estimates near the exact traces. */
class TraceMonitorTest {
  @TempDir Path dir;

  @Test
  void monitorsEveryKthStepWithoutChangingTrainingAndEstimatesTheProbeBatchTraces() throws Exception {
    Network net = Nets.mlp(3, 5, 4, 3, Activation.TANH, "cross_entropy");
    int n = 40;
    double[] x = Nets.features(n, 3, 1.0, 8);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = x[3 * i] > 0 ? (x[3 * i + 1] > 0 ? 2 : 1) : 0;
    double[] probeX = java.util.Arrays.copyOf(x, 10 * 3);
    double[] probeY = java.util.Arrays.copyOf(y, 10);
    double[] theta0 = Init.PYTORCH.init(net, 4);

    double[] plain = theta0.clone();
    Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 0, false), Schedule.constant(0.1)).batchSize(8).epochs(3)
        .seed(1).build().fit(plain, x, y);

    Path csv = dir.resolve("monitor.csv");
    int probes = 400;  // many, so the check below is tight
    TraceMonitor monitor = TraceMonitor.builder(net).probes(probes).seed(3).probeBatch(probeX, probeY).csv(csv).build();
    List<double[]> thetas = new ArrayList<>();
    List<double[][]> batches = new ArrayList<>();
    double[] monitored = theta0.clone();
    Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 0, false), Schedule.constant(0.1)).batchSize(8).epochs(3)
        .seed(1).stepListener(4, (step, epoch, th, xb, yb, rows) -> {
          thetas.add(th.clone());
          batches.add(new double[][] {java.util.Arrays.copyOf(xb, rows * 3), java.util.Arrays.copyOf(yb, rows)});
          monitor.onStep(step, epoch, th, xb, yb, rows);
        }).build().fit(monitored, x, y);
    assertArrayEquals(plain, monitored, 0.0);  // same bits with the monitor

    // 15 steps, every 4th: steps 4, 8, 12; 2 sources × 3 layers each
    List<String> lines = Files.readAllLines(csv);
    assertEquals(TraceMonitor.HEADER, lines.get(0));
    assertEquals(1 + 3 * 2 * 3, lines.size());
    assertEquals(18, monitor.rows().size());
    for (int i = 0; i < 18; i++) assertEquals(monitor.rows().get(i).csv(), lines.get(i + 1));
    assertEquals(List.of(4L, 8L, 12L), monitor.rows().stream().map(TraceMonitor.Row::step).distinct().toList());
    assertEquals("0", lines.get(1).split(",")[3]);  // PyTorch-style layer names: "0", "2", "4" for Sequential

    // the probe-batch estimate at each θ against the exact block trace of the dense Hessian by differences, within
    // 4.5 analytic standard errors (P = 400)
    int p = net.paramCount();
    List<Integer> layers = net.parametrisedLayers();
    for (int call = 0; call < 3; call++) {
      double[] h = LayerTracesTest.denseHessian(net, thetas.get(call), probeX, probeY, 10);
      for (int i = 0; i < layers.size(); i++) {
        TraceMonitor.Row r = monitor.rows().get(call * 6 + 3 + i);
        assertEquals("probe", r.source());
        int from = net.offset(layers.get(i));
        int to = from + net.layer(layers.get(i)).paramCount();
        double trace = 0;
        for (int j = from; j < to; j++) trace += h[j * p + j];
        double se = Math.sqrt(LayerTraces.variance(h, p, from, to) / probes);
        assertTrue(Math.abs(r.trace() - trace) < 4.5 * se, "call " + call + " layer " + i + ": " + r.trace()
            + " vs exact " + trace + " (se " + se + ")");
        assertEquals(1.0, r.se() / se, 0.35, "the estimator's own standard error near the analytic one");
      }
    }

    // the mini-batch estimates (one curvature moved to each step's θ and batch) equal those of a curvature built
    // afresh on the step's batch, bit for bit, with the probes drawn in the same order (batch, then probe batch)
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (int call = 0; call < 3; call++) {
      double[][] b = batches.get(call);
      LayerTraces.Estimate e = LayerTraces.estimate(
          org.hesse.hvp.curvature.Curvature.of(net, thetas.get(call), b[0], b[1], 8),
          org.hesse.hvp.curvature.Curvature.Kind.HESSIAN, probes, rng);
      LayerTraces.estimate(org.hesse.hvp.curvature.Curvature.of(net, thetas.get(call), probeX, probeY, 10),
          org.hesse.hvp.curvature.Curvature.Kind.HESSIAN, probes, rng);  // the probe batch's draws
      for (int i = 0; i < layers.size(); i++) {
        TraceMonitor.Row r = monitor.rows().get(call * 6 + i);
        assertEquals("batch", r.source());
        assertEquals(e.trace()[i], r.trace(), 0.0, "call " + call + " layer " + i);
        assertEquals(e.standardError()[i], r.se(), 0.0, "call " + call + " layer " + i);
      }
    }
  }
}
