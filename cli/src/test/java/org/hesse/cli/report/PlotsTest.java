package org.hesse.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hesse.cli.report.Plots.Scale;
import org.hesse.cli.report.Plots.Series;
import org.hesse.cli.report.Plots.Ticks;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.SpectralMetrics;
import org.junit.jupiter.api.Test;

/** Tick positions and labels, the axis choice, and what the SVG charts contain. */
class PlotsTest {
  @Test
  void logTicksAreDecadesLabelledAsPlainNumbers() {
    Ticks t = Plots.ticks(0.0013, 870, Scale.LOG);
    assertArrayEquals(new String[] {"0.001", "0.01", "0.1", "1", "10", "100", "1000"}, t.labels());
    for (int i = 0; i < t.at().length; i++) assertEquals(Math.pow(10, i - 3), t.at()[i], 1e-12 * t.at()[i]);
    assertEquals(0.001, t.lo(), 1e-18);
    assertEquals(1000, t.hi(), 1e-9);
    // minor ticks at 2..9 × 10^k inside the range: 8 per decade
    assertEquals(6 * 8, t.minor().length);
    assertEquals(0.002, t.minor()[0], 1e-15);
    // Many decades: every second one labelled, no minor ticks.
    Ticks wide = Plots.ticks(1e-9, 3e2, Scale.LOG);
    assertArrayEquals(new String[] {"1e-9", "1e-7", "1e-5", "0.001", "0.1", "10", "1000"}, wide.labels());
    assertEquals(0, wide.minor().length);
  }

  @Test
  void labelsAreReadableNumbersNeverRawLogarithms() {
    assertEquals("0.05", Plots.label(Math.pow(10, -1.301029995663981)));
    assertEquals("0.05", Plots.label(0.05));
    assertEquals("2.5", Plots.label(2.5));
    assertEquals("1000", Plots.label(1000));
    assertEquals("0.0001", Plots.label(1e-4));
    assertEquals("1e-5", Plots.label(1e-5));
    assertEquals("2.5e6", Plots.label(2.5e6));
    assertEquals("-3.2e-7", Plots.label(-3.2e-7));
    assertEquals("1e6", Plots.label(999999.9));
    assertEquals("0", Plots.label(-0.0));
    assertEquals("0.3333", Plots.label(1.0 / 3));
  }

  @Test
  void linearTicksAreRoundSteps() {
    Ticks t = Plots.ticks(0.0, 0.97, Scale.LINEAR);
    assertArrayEquals(new String[] {"0", "0.2", "0.4", "0.6", "0.8", "1"}, t.labels());
    Ticks neg = Plots.ticks(-0.013, 0.041, Scale.LINEAR);
    assertArrayEquals(new String[] {"-0.02", "-0.01", "0", "0.01", "0.02", "0.03", "0.04", "0.05"}, neg.labels());
    Ticks big = Plots.ticks(12000, 98000, Scale.LINEAR);
    assertArrayEquals(new String[] {"0", "20000", "40000", "60000", "80000", "100000"}, big.labels());
    Ticks flat = Plots.ticks(5, 5, Scale.LINEAR);
    assertTrue(flat.lo() < 5 && flat.hi() > 5, "a constant series gets a range around its value");
  }

  @Test
  void aSeriesSpanningMoreThanTwoDecadesGetsALogAxisUnlessItHasANonPositiveValue() {
    double[] x = {0, 1, 2};
    assertEquals(Scale.LOG, Plots.scaleFor(List.of(new Series("a", x, new double[] {2.3, 0.01, 0.0009}))));
    assertEquals(Scale.LINEAR, Plots.scaleFor(List.of(new Series("a", x, new double[] {2.3, 0.5, 0.03}))), "< 2 decades");
    assertEquals(Scale.LINEAR, Plots.scaleFor(List.of(new Series("a", x, new double[] {2.3, 0.0, 0.0009}))), "a zero");
    assertEquals(Scale.LINEAR, Plots.scaleFor(List.of(new Series("a", x, new double[] {2.3, -1e-4, 0.0009}))), "a negative");
    // across series: the axis is shared
    assertEquals(Scale.LOG, Plots.scaleFor(List.of(new Series("a", x, new double[] {1, 2, 3}), new Series("b", x, new double[] {1e-3, 1e-3, 1e-3}))));
    assertEquals(Scale.LINEAR, Plots.scaleFor(List.of(new Series("a", x, new double[] {Double.NaN, Double.NaN, Double.NaN}))));
  }

  static List<String> texts(String svg) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("<text[^>]*>([^<]*)</text>").matcher(svg);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  @Test
  void aLineChartHasItsTitlesReadableTicksAndBandsOnlyWhereAStandardErrorIsGiven() {
    double[] x = {0, 5, 10, 15};
    double[] y = {2.3, 0.05, 0.004, 0.0013};
    String plain = Plots.lines("Loss", "epoch", "loss", List.of(new Series("train", x, y)));
    List<String> t = texts(plain);
    assertTrue(t.containsAll(List.of("Loss", "epoch", "loss (log scale)", "train", "0.001", "0.01", "0.1", "1", "10")), t.toString());
    assertFalse(plain.contains("<polygon"), "no band without a standard error");
    for (String s : t) assertFalse(s.matches("-?\\d\\.\\d{6,}"), "raw float label " + s);

    String banded = Plots.lines("Trace", "epoch", "trace", List.of(new Series("layer 0", x, new double[] {1, 2, 3, 4},
        new double[] {0.1, 0.2, 0.3, 0.4})));
    assertTrue(banded.contains("<polygon") && texts(banded).contains("shaded / bars: ± 1 s.e."), banded);
    assertTrue(texts(banded).contains("trace"), "linear axis (1 to 4): no log-scale note");
    // Every pixel coordinate is finite: a band reaching below zero on a log axis is cut, not NaN.
    String cut = Plots.lines("T", "epoch", "v", List.of(new Series("a", x, y, new double[] {3, 0.1, 0.01, 0.01})),
        Scale.LINEAR, Scale.LOG);
    assertFalse(cut.contains("NaN") || cut.contains("Infinity"), cut);
  }

  @Test
  void theHeatMapHasALabelledColourBar() {
    double[][] nodes = {{-0.1, 0.0, 0.5, 2.0}, {-0.05, 0.01, 0.6, 1.9}};
    double[][] weights = {{0.1, 0.6, 0.2, 0.1}, {0.1, 0.6, 0.2, 0.1}};
    String svg = Plots.densityHeatMap("Layer 0", List.of("0", "5", "10"), List.of(nodes, nodes, nodes), List.of(weights, weights, weights));
    List<String> t = texts(svg);
    assertTrue(t.contains(Plots.COLOUR_BAR_TITLE + " (log scale, no unit)"), t.toString());
    assertTrue(t.containsAll(List.of("1", "0.01", "0.0001", "1e-6", "eigenvalue λ", "checkpoint (epoch)", "0", "5", "10")), t.toString());
    assertTrue(svg.contains("<linearGradient") && svg.contains("class=\"colour-bar\""), "a gradient bar");
    assertFalse(svg.contains("NaN"), svg);
  }

  /**
   * The jackknife of a statistic linear in the probes is the ordinary standard error of the probe mean: for the
   * SLQ trace n · mean_p Σ τθ that is {@link SlqResult#traceStandardError()}, computed independently.
   */
  @Test
  void theJackknifeOfTheTraceIsTheProbeMeansStandardError() {
    Random r = new Random(7);
    int probes = 6;
    int n = 200;
    double[][] nodes = new double[probes][];
    double[][] weights = new double[probes][];
    int[] steps = new int[probes];
    for (int p = 0; p < probes; p++) {
      int k = 5 + r.nextInt(4);
      nodes[p] = new double[k];
      weights[p] = new double[k];
      double sum = 0;
      for (int i = 0; i < k; i++) {
        nodes[p][i] = r.nextGaussian();
        weights[p][i] = r.nextDouble();
        sum += weights[p][i];
      }
      for (int i = 0; i < k; i++) weights[p][i] /= sum;
      java.util.Arrays.sort(nodes[p]);
      steps[p] = k;
    }
    SlqResult slq = new SlqResult(n, 8, steps, nodes, weights, 0, 0);
    RunData.LayerPoint l = new RunData.LayerPoint("0", "dense", n, slq.trace(), 1, -1, 10, 10, 0.5, 0.5, 0.1, "slq", null, nodes, weights);
    double se = Jackknife.standardError(l, SpectralMetrics::trace);
    assertEquals(slq.traceStandardError(), se, 1e-12 * Math.abs(slq.traceStandardError()));
    assertTrue(Jackknife.standardError(l, SpectralMetrics::negativeMass) > 0);
    RunData.LayerPoint exact = new RunData.LayerPoint("0", "dense", n, 1, 1, -1, 10, 10, 0.5, 0.5, 0.1, "dense", null, nodes, weights);
    assertTrue(Double.isNaN(Jackknife.standardError(exact, SpectralMetrics::trace)), "no sampling error for a full spectrum");
  }
}
