package org.hesse.cli.report;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.HeatMapStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Charts of the report, drawn by XChart off-screen and encoded as base64 PNG for an {@code <img>} data URL. */
public final class Plots {
  static {
    // No display is needed (or wanted) to draw into an image.
    System.setProperty("java.awt.headless", "true");
  }

  public static final int WIDTH = 560;
  public static final int HEIGHT = 340;

  private Plots() {}

  /** One named series of (x, y) points; non-finite points are dropped when drawn. */
  public record Series(String name, double[] x, double[] y) {}

  /** A line chart; {@code logY} draws y on a log axis (non-positive values are dropped). */
  public static XYChart lines(String title, String xTitle, String yTitle, List<Series> series, boolean logY) {
    XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    style(c);
    c.getStyler().setYAxisLogarithmic(logY);
    for (Series s : series) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (int i = 0; i < s.x().length; i++) {
        double y = s.y()[i];
        if (Double.isFinite(s.x()[i]) && Double.isFinite(y) && (!logY || y > 0)) {
          xs.add(s.x()[i]);
          ys.add(y);
        }
      }
      if (xs.isEmpty()) continue;
      XYSeries xy = c.addSeries(s.name(), xs, ys);
      if (xs.size() > 40) xy.setMarker(SeriesMarkers.NONE);
    }
    return c;
  }

  /** Rows (eigenvalue bins) of a density heat map. */
  public static final int HEAT_BINS = 50;
  /** Gaussian broadening of the heat map's density, as a fraction of the plotted eigenvalue range. */
  public static final double HEAT_SIGMA = 0.02;
  /** Lowest log10 of density relative to the peak that gets a colour of its own. */
  public static final double HEAT_FLOOR = -6;

  /**
   * A layer's spectral density over training as a heat map: one column per checkpoint, one row per eigenvalue
   * bin, colour = log10 of the density relative to the map's peak (floored at {@link #HEAT_FLOOR}). The density
   * is the spectrum's weighted points (SLQ nodes and weights, or the full spectrum) broadened by a Gaussian of
   * width {@link #HEAT_SIGMA} × the plotted range, the same for every column, so columns compare.
   */
  public static HeatMapChart densityHeatMap(String title, List<String> columns, List<double[][]> nodes, List<double[][]> weights) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[][] n : nodes) for (double[] p : n) for (double v : p) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    double range = hi > lo ? hi - lo : Math.max(1e-12, Math.abs(hi));
    double sigma = HEAT_SIGMA * range;
    lo -= 3 * sigma;
    hi += 3 * sigma;
    double[] centre = new double[HEAT_BINS];
    for (int j = 0; j < HEAT_BINS; j++) centre[j] = lo + (hi - lo) * (j + 0.5) / HEAT_BINS;
    int nc = columns.size();
    double[][] phi = new double[nc][HEAT_BINS];
    double peak = 0;
    for (int k = 0; k < nc; k++) {
      double[][] n = nodes.get(k);
      double[][] w = weights.get(k);
      for (int p = 0; p < n.length; p++) {
        for (int i = 0; i < n[p].length; i++) {
          double c = w[p][i] / n.length;
          for (int j = 0; j < HEAT_BINS; j++) {
            double u = (centre[j] - n[p][i]) / sigma;
            phi[k][j] += c * Math.exp(-0.5 * u * u);
          }
        }
      }
      for (double v : phi[k]) peak = Math.max(peak, v);
    }
    HeatMapChart c = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("checkpoint (epoch)")
        .yAxisTitle("eigenvalue λ").build();
    HeatMapStyler s = c.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBorderVisible(false);
    s.setPlotGridLinesVisible(false);
    s.setShowValue(false);
    s.setDrawBorder(false);
    s.setMin(HEAT_FLOOR);
    s.setMax(0);
    s.setRangeColors(new Color[] {new Color(0x44, 0x01, 0x54), new Color(0x3B, 0x52, 0x8B), new Color(0x21, 0x91, 0x8C),
        new Color(0x5E, 0xC9, 0x62), new Color(0xFD, 0xE7, 0x25)});
    s.setHeatMapDecimalValueFormatter(v -> String.format(java.util.Locale.ROOT, "%.0f", v));
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    List<String> ys = new ArrayList<>();
    for (int j = 0; j < HEAT_BINS; j++) {
      // Every tenth bin is labelled; the others get distinct blank labels (the axis is categorical).
      ys.add(j % 10 == 0 || j == HEAT_BINS - 1 ? String.format(java.util.Locale.ROOT, "%.3g", centre[j]) : " ".repeat(1 + j % 10));
    }
    List<Number[]> z = new ArrayList<>();
    for (int k = 0; k < nc; k++) {
      for (int j = 0; j < HEAT_BINS; j++) {
        double r = peak > 0 && phi[k][j] > 0 ? Math.log10(phi[k][j] / peak) : HEAT_FLOOR;
        z.add(new Number[] {k, j, Math.max(HEAT_FLOOR, r)});
      }
    }
    c.addSeries("log10 density / peak", columns, ys, z);
    return c;
  }

  private static void style(XYChart c) {
    Styler s = c.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderVisible(false);
    s.setLegendPosition(Styler.LegendPosition.OutsideE);
    s.setLegendBorderColor(Color.WHITE);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    c.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    s.setAntiAlias(true);
  }

  /** The chart as a PNG data URL. */
  public static String dataUrl(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
    try {
      return "data:image/png;base64," + Base64.getEncoder().encodeToString(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    } catch (IOException e) {
      throw new UncheckedIOException("PNG encoding of chart '" + chart.getTitle() + "' failed", e);
    }
  }
}
