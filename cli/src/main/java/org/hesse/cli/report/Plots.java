package org.hesse.cli.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Charts of the report as inline SVG (text stays text: searchable, selectable, testable). Axis rules, in one
 * place: a y axis is logarithmic when every finite value is positive and they span more than {@link #LOG_DECADES}
 * decades ({@link #scaleFor}); a series with a zero or negative value keeps the axis linear, since a log axis
 * could not show that point. Log axes have ticks at decades, labelled as plain numbers (0.001, 0.01, ..., 1000;
 * 1e-5 beyond 1e-4 … 1e6), with unlabelled minor ticks at 2–9 × 10^k. Error bands are ± one standard error, drawn
 * only where the caller passes one; on a log axis a band reaching zero or below is cut at the axis's lower edge.
 */
public final class Plots {
  private Plots() {}

  public static final int WIDTH = 560;
  public static final int HEIGHT = 340;
  private static final int LEFT = 72;
  private static final int TOP = 30;
  private static final int BOTTOM = 46;
  private static final int LEGEND = 175;
  private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
      "#7f7f7f", "#bcbd22", "#17becf"};
  /** A positive series spanning more than this many decades gets a log axis. */
  public static final double LOG_DECADES = 2;

  /**
   * One named series of (x, y) points, with an optional standard error per point ({@code se} null = none; NaN
   * entries = none at that point). Non-finite points are left out (the line breaks there).
   */
  public record Series(String name, double[] x, double[] y, double[] se) {
    public Series(String name, double[] x, double[] y) {
      this(name, x, y, null);
    }
  }

  public enum Scale { LINEAR, LOG }

  /** Log when every finite y is > 0 and max/min > 10^{@link #LOG_DECADES}; linear otherwise (also with no data). */
  public static Scale scaleFor(List<Series> series) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.y().length; i++) {
        double y = s.y()[i];
        if (!Double.isFinite(y) || !Double.isFinite(s.x()[i])) continue;
        if (y <= 0) return Scale.LINEAR;
        lo = Math.min(lo, y);
        hi = Math.max(hi, y);
      }
    }
    return lo <= hi && Math.log10(hi / lo) > LOG_DECADES ? Scale.LOG : Scale.LINEAR;
  }

  /** Ticks of an axis: major positions with their labels, unlabelled minor positions, and the axis's range. */
  public record Ticks(double lo, double hi, double[] at, String[] labels, double[] minor) {}

  /**
   * Ticks for data in [lo, hi]. Log (lo > 0): the range widens to whole decades, a label at every decade (every
   * second or third when there are more than 6), minor ticks at 2..9 × 10^k when every decade is labelled. Linear:
   * about five steps of 1, 2 or 5 × 10^k, the range widened to whole steps.
   */
  public static Ticks ticks(double lo, double hi, Scale scale) {
    if (scale == Scale.LOG) {
      int k0 = (int) Math.floor(Math.log10(lo) + 1e-9);
      int k1 = (int) Math.ceil(Math.log10(hi) - 1e-9);
      if (k1 <= k0) k1 = k0 + 1;
      int step = (int) Math.ceil((k1 - k0) / 6.0);
      List<Double> at = new ArrayList<>();
      for (int k = k0; k <= k1; k += step) at.add(Math.pow(10, k));
      List<Double> minor = new ArrayList<>();
      if (step == 1) for (int k = k0; k < k1; k++) for (int m = 2; m <= 9; m++) minor.add(m * Math.pow(10, k));
      double[] a = at.stream().mapToDouble(Double::doubleValue).toArray();
      String[] l = new String[a.length];
      for (int i = 0; i < a.length; i++) l[i] = label(a[i]);
      return new Ticks(Math.pow(10, k0), Math.pow(10, k1), a, l, minor.stream().mapToDouble(Double::doubleValue).toArray());
    }
    if (!(hi > lo)) {
      double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
    double raw = (hi - lo) / 5;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double norm = raw / mag;
    double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    long i0 = (long) Math.floor(lo / step + 1e-9);
    long i1 = (long) Math.ceil(hi / step - 1e-9);
    int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
    double[] a = new double[(int) (i1 - i0 + 1)];
    String[] l = new String[a.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (i0 + i) * step;
      double r = Math.abs(a[i]) < 1e-12 * step ? 0 : a[i];
      l[i] = Math.abs(r) >= 1e6 || (r != 0 && Math.abs(r) < 1e-4) ? label(r)
          : new BigDecimal(r).setScale(decimals, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
      if (l[i].equals("-0")) l[i] = "0";
    }
    return new Ticks(i0 * step, i1 * step, a, l, new double[0]);
  }

  /** A number as a reader writes it: 0.05, 1000, 2.5; 4 significant digits; 1e-5 / 2.5e6 outside [1e-4, 1e6). */
  public static String label(double v) {
    if (v == 0) return "0";
    if (!Double.isFinite(v)) return String.valueOf(v);
    double a = Math.abs(v);
    if (a >= 1e-4 && a < 1e6) {
      BigDecimal r = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
      if (r.abs().compareTo(BigDecimal.valueOf(1_000_000)) < 0) return r.toPlainString();   // 999999.9 rounds up to 1e6
    }
    int e = (int) Math.floor(Math.log10(a));
    BigDecimal m = new BigDecimal(v / Math.pow(10, e)).round(new MathContext(3)).stripTrailingZeros();
    if (m.abs().compareTo(BigDecimal.TEN) >= 0) {
      m = m.movePointLeft(1).stripTrailingZeros();
      e++;
    }
    return m.toPlainString() + "e" + e;
  }

  /** A line chart with a linear x axis and the y axis of {@link #scaleFor}. */
  public static String lines(String title, String xTitle, String yTitle, List<Series> series) {
    return lines(title, xTitle, yTitle, series, Scale.LINEAR, scaleFor(series));
  }

  /** A line chart; on a log axis points ≤ 0 are left out. */
  public static String lines(String title, String xTitle, String yTitle, List<Series> series, Scale xScale, Scale yScale) {
    return chart(title, xTitle, yTitle, series, xScale, yScale, true, List.of());
  }

  /** An event at x (e.g. an alarm): a dashed vertical line labelled at the top, its x in {@code data-x}. */
  public record Mark(double x, String label) {}

  /** A line chart (axes as {@link #lines(String, String, String, List)}) with events marked. */
  public static String lines(String title, String xTitle, String yTitle, List<Series> series, List<Mark> marks) {
    return chart(title, xTitle, yTitle, series, Scale.LINEAR, scaleFor(series), true, marks);
  }

  /** A scatter plot (points only, one colour per series); on a log axis points ≤ 0 are left out. */
  public static String scatter(String title, String xTitle, String yTitle, List<Series> series, Scale xScale, Scale yScale) {
    return chart(title, xTitle, yTitle, series, xScale, yScale, false, List.of());
  }

  private static String chart(String title, String xTitle, String yTitle, List<Series> series, Scale xScale, Scale yScale,
                              boolean connect, List<Mark> marks) {
    double[] xr = range(series, true, xScale);
    double[] yr = range(series, false, yScale);
    Svg g = new Svg(title);
    int right = WIDTH - LEGEND;
    int bottom = HEIGHT - BOTTOM;
    if (xr == null || yr == null) {
      g.text(LEFT + (right - LEFT) / 2.0, TOP + (bottom - TOP) / 2.0, "middle", "no data", "muted");
      return g.end();
    }
    Ticks xt = ticks(xr[0], xr[1], xScale);
    Ticks yt = ticks(yr[0], yr[1], yScale);
    Axis x = new Axis(xt.lo(), xt.hi(), xScale, LEFT, right);
    Axis y = new Axis(yt.lo(), yt.hi(), yScale, bottom, TOP);
    g.axes(x, xt, y, yt, xTitle, yTitle + (yScale == Scale.LOG ? " (log scale)" : ""));
    boolean anyBand = false;
    int si = 0;
    for (Series s : series) {
      String colour = COLOURS[si++ % COLOURS.length];
      List<List<double[]>> runs = new ArrayList<>();
      List<double[]> run = new ArrayList<>();
      int points = 0;
      for (int i = 0; i < s.x().length; i++) {
        double xv = s.x()[i];
        double yv = s.y()[i];
        boolean ok = Double.isFinite(xv) && Double.isFinite(yv) && (xScale == Scale.LINEAR || xv > 0) && (yScale == Scale.LINEAR || yv > 0);
        if (!ok) {
          if (!run.isEmpty()) runs.add(run);
          run = new ArrayList<>();
          continue;
        }
        double se = s.se() == null || !Double.isFinite(s.se()[i]) ? Double.NaN : s.se()[i];
        run.add(new double[] {xv, yv, se});
        points++;
      }
      if (!run.isEmpty()) runs.add(run);
      for (List<double[]> r : runs) anyBand |= g.band(r, x, y, colour);
      for (List<double[]> r : runs) {
        if (connect) g.polyline(r, x, y, colour, points <= 40);
        else g.points(r, x, y, colour);
      }
      g.legend(si - 1, s.name(), colour);
    }
    if (anyBand) g.legendNote(si, "shaded / bars: ± 1 s.e.");
    int mi = 0;
    for (Mark m : marks) {
      if (!(m.x() >= x.lo() && m.x() <= x.hi())) continue;
      double px = x.px(m.x());
      g.b.append("<line class=\"mark\" data-x=\"").append(m.x()).append("\" x1=\"").append(Svg.f(px)).append("\" y1=\"")
          .append(Svg.f(y.p0())).append("\" x2=\"").append(Svg.f(px)).append("\" y2=\"").append(Svg.f(y.p1()))
          .append("\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>");
      g.text(px + 3, y.p1() + 12 + 12 * (mi++ % 3), "start", m.label(), "mark");
    }
    return g.end();
  }

  /** [lo, hi] of the finite (and on a log axis positive) values incl. error bands; null if none. */
  private static double[] range(List<Series> series, boolean ofX, Scale scale) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        double xv = s.x()[i];
        double yv = s.y()[i];
        if (!Double.isFinite(xv) || !Double.isFinite(yv)) continue;
        double v = ofX ? xv : yv;
        double se = ofX || s.se() == null || !Double.isFinite(s.se()[i]) ? 0 : s.se()[i];
        for (double w : new double[] {v, v - se, v + se}) {
          if (scale == Scale.LOG && !(w > 0)) continue;
          lo = Math.min(lo, w);
          hi = Math.max(hi, w);
        }
      }
    }
    return lo <= hi ? new double[] {lo, hi} : null;
  }

  /**
   * A matrix of values in [−1, 1] (e.g. rank correlations) as coloured cells with their values printed: blue for
   * negative, red for positive, white at 0; an empty cell for NaN.
   */
  public static String matrix(String title, List<String> rows, List<String> cols, double[][] v) {
    Svg g = new Svg(title);
    double left = 190;
    double top = TOP + 18;
    double w = (WIDTH - left - 20) / Math.max(1, cols.size());
    double h = Math.min(24, (HEIGHT - top - 10) / Math.max(1, rows.size()));
    for (int j = 0; j < cols.size(); j++) g.text(left + (j + 0.5) * w, top - 6, "middle", cols.get(j), "tick");
    for (int i = 0; i < rows.size(); i++) {
      g.text(left - 6, top + (i + 0.5) * h + 4, "end", rows.get(i), "tick");
      for (int j = 0; j < cols.size(); j++) {
        double x = v[i][j];
        if (!Double.isFinite(x)) continue;
        g.rect(left + j * w, top + i * h, w - 1, h - 1, diverging(x));
        g.text(left + (j + 0.5) * w, top + (i + 0.5) * h + 4, "middle", String.format(Locale.ROOT, "%.2f", x), "cell");
      }
    }
    return g.end();
  }

  /**
   * A symmetric matrix of non-negative values over labelled items (e.g. a metric over layer pairs) as coloured cells:
   * colour linear in value / the largest value (viridis, dark = 0), the value printed in the cell, and in the cell's
   * {@code data-value} (and {@code data-se}, its standard error, when given) at full precision; NaN cells (e.g. the
   * diagonal) are left empty.
   */
  public static String heatMap(String title, List<String> labels, double[][] v, double[][] se) {
    Svg g = new Svg(title);
    double max = 0;
    for (double[] row : v) for (double x : row) if (Double.isFinite(x)) max = Math.max(max, x);
    double left = 150;
    double top = TOP + 22;
    int n = labels.size();
    double cell = Math.min(60, Math.min((WIDTH - left - 20) / Math.max(1, n), (HEIGHT - top - 20) / Math.max(1, n)));
    for (int j = 0; j < n; j++) g.text(left + (j + 0.5) * cell, top - 6, "middle", labels.get(j), "tick");
    for (int i = 0; i < n; i++) {
      g.text(left - 6, top + (i + 0.5) * cell + 4, "end", labels.get(i), "tick");
      for (int j = 0; j < n; j++) {
        double x = v[i][j];
        if (!Double.isFinite(x)) continue;
        double t = max > 0 ? x / max : 0;
        g.b.append("<rect class=\"cell\" data-row=\"").append(HtmlReport.esc(labels.get(i))).append("\" data-col=\"")
            .append(HtmlReport.esc(labels.get(j))).append("\" data-value=\"").append(x).append('"');
        if (se != null && Double.isFinite(se[i][j])) g.b.append(" data-se=\"").append(se[i][j]).append('"');
        g.b.append(" x=\"").append(Svg.f(left + j * cell)).append("\" y=\"").append(Svg.f(top + i * cell)).append("\" width=\"")
            .append(Svg.f(cell - 1)).append("\" height=\"").append(Svg.f(cell - 1)).append("\" fill=\"").append(colour(t)).append("\"/>");
        g.b.append("<text x=\"").append(Svg.f(left + (j + 0.5) * cell)).append("\" y=\"").append(Svg.f(top + (i + 0.5) * cell + 4))
            .append("\" text-anchor=\"middle\" font-size=\"10\" fill=\"").append(t > 0.6 ? "#000" : "#fff").append("\">")
            .append(label(x)).append("</text>");
      }
    }
    return g.end();
  }

  /** −1 → blue, 0 → white, +1 → red (values beyond ±1 clipped). */
  static String diverging(double v) {
    double t = Math.max(-1, Math.min(1, v));
    int r = t < 0 ? (int) Math.round(255 * (1 + t) + 33 * -t) : 255;
    int gr = (int) Math.round(255 * (1 - Math.abs(t)) + 100 * Math.abs(t));
    int b = t > 0 ? (int) Math.round(255 * (1 - t) + 33 * t) : 255;
    return String.format(Locale.ROOT, "#%02x%02x%02x", Math.min(255, r), Math.min(255, gr), Math.min(255, b));
  }

  /** Rows (eigenvalue bins) of a density heat map. */
  public static final int HEAT_BINS = 50;
  /** Gaussian broadening of the heat map's density, as a fraction of the plotted eigenvalue range. */
  public static final double HEAT_SIGMA = 0.02;
  /** Lowest log10 of density relative to the peak that gets a colour of its own. */
  public static final double HEAT_FLOOR = -6;
  /** Title of the heat maps' colour bar. */
  public static final String COLOUR_BAR_TITLE = "density / peak";
  private static final int[][] VIRIDIS = {{0x44, 0x01, 0x54}, {0x3B, 0x52, 0x8B}, {0x21, 0x91, 0x8C}, {0x5E, 0xC9, 0x62},
      {0xFD, 0xE7, 0x25}};

  /**
   * A layer's spectral density over training as a heat map: one column per checkpoint, one row per eigenvalue
   * bin, colour = density relative to the map's peak on a log scale (floored at 10^{@link #HEAT_FLOOR}), with a
   * labelled colour bar. The density is the spectrum's weighted points (SLQ nodes and weights, or the full
   * spectrum) broadened by a Gaussian of width {@link #HEAT_SIGMA} × the plotted range, the same for every
   * column, so columns compare.
   */
  public static String densityHeatMap(String title, List<String> columns, List<double[][]> nodes, List<double[][]> weights) {
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
    Svg g = new Svg(title);
    int right = WIDTH - 120;
    int bottom = HEIGHT - BOTTOM;
    Ticks yt = ticks(lo, hi, Scale.LINEAR);
    Axis y = new Axis(lo, hi, Scale.LINEAR, bottom, TOP);
    double cw = (right - LEFT) / (double) Math.max(1, nc);
    double ch = (bottom - TOP) / (double) HEAT_BINS;
    for (int k = 0; k < nc; k++) {
      for (int j = 0; j < HEAT_BINS; j++) {
        double r = peak > 0 && phi[k][j] > 0 ? Math.max(HEAT_FLOOR, Math.log10(phi[k][j] / peak)) : HEAT_FLOOR;
        g.rect(LEFT + k * cw, bottom - (j + 1) * ch, cw, ch, colour((r - HEAT_FLOOR) / -HEAT_FLOOR));   // crisp cells: see rect()
      }
    }
    // x: the checkpoints' epochs, at most ~10 labels
    int every = Math.max(1, (int) Math.ceil(nc / 10.0));
    List<double[]> xs = new ArrayList<>();
    List<String> xl = new ArrayList<>();
    for (int k = 0; k < nc; k += every) {
      xs.add(new double[] {LEFT + (k + 0.5) * cw});
      xl.add(columns.get(k));
    }
    g.frame(LEFT, TOP, right, bottom);
    for (int i = 0; i < xs.size(); i++) g.xTick(xs.get(i)[0], bottom, xl.get(i));
    for (int i = 0; i < yt.at().length; i++) {
      if (yt.at()[i] < lo || yt.at()[i] > hi) continue;
      g.yTick(LEFT, y.px(yt.at()[i]), yt.labels()[i]);
    }
    g.xTitle((LEFT + right) / 2.0, "checkpoint (epoch)");
    g.yTitle("eigenvalue λ");
    g.colourBar(title, right + 28, TOP, 16, bottom - TOP);
    return g.end();
  }

  /** Viridis-like colour for t in [0, 1]. */
  static String colour(double t) {
    double u = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    int i = Math.min(VIRIDIS.length - 2, (int) u);
    double f = u - i;
    int[] c = new int[3];
    for (int q = 0; q < 3; q++) c[q] = (int) Math.round(VIRIDIS[i][q] + f * (VIRIDIS[i + 1][q] - VIRIDIS[i][q]));
    return String.format(Locale.ROOT, "#%02x%02x%02x", c[0], c[1], c[2]);
  }

  /** Data → pixel along one axis. */
  record Axis(double lo, double hi, Scale scale, double p0, double p1) {
    double px(double v) {
      double t = scale == Scale.LOG ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
      return p0 + t * (p1 - p0);
    }
  }

  /** A small SVG writer: one chart. */
  private static final class Svg {
    final StringBuilder b = new StringBuilder(8192);
    final String id;

    Svg(String title) {
      id = "p" + Integer.toHexString(title.hashCode());
      b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
          .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" role=\"img\" font-family=\"sans-serif\">")
          .append("<title>").append(HtmlReport.esc(title)).append("</title>")
          .append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
      text(WIDTH / 2.0, 18, "middle", title, "title");
    }

    void text(double x, double y, String anchor, String s, String cls) {
      b.append("<text x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" text-anchor=\"").append(anchor).append('"');
      switch (cls) {
        case "title": b.append(" font-size=\"13\" font-weight=\"bold\""); break;
        case "muted": b.append(" font-size=\"11\" fill=\"#666\""); break;
        default: b.append(" font-size=\"11\"");
      }
      b.append(" class=\"").append(cls).append("\">").append(HtmlReport.esc(s)).append("</text>");
    }

    void frame(double x0, double y0, double x1, double y1) {
      b.append("<rect x=\"").append(f(x0)).append("\" y=\"").append(f(y0)).append("\" width=\"").append(f(x1 - x0))
          .append("\" height=\"").append(f(y1 - y0)).append("\" fill=\"none\" stroke=\"#999\"/>");
    }

    void line(double x0, double y0, double x1, double y1, String stroke) {
      b.append("<line x1=\"").append(f(x0)).append("\" y1=\"").append(f(y0)).append("\" x2=\"").append(f(x1)).append("\" y2=\"")
          .append(f(y1)).append("\" stroke=\"").append(stroke).append("\"/>");
    }

    void rect(double x, double y, double w, double h, String fill) {
      b.append("<rect x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" width=\"").append(f(w + 0.3)).append("\" height=\"")
          .append(f(h + 0.3)).append("\" fill=\"").append(fill).append("\" shape-rendering=\"crispEdges\"/>");
    }

    void xTick(double px, double bottom, String label) {
      line(px, bottom, px, bottom + 4, "#666");
      text(px, bottom + 16, "middle", label, "tick");
    }

    void yTick(double left, double py, String label) {
      line(left - 4, py, left, py, "#666");
      text(left - 6, py + 4, "end", label, "tick");
    }

    void xTitle(double cx, String s) {
      text(cx, HEIGHT - 10, "middle", s, "axis-title");
    }

    void yTitle(String s) {
      double cy = TOP + (HEIGHT - BOTTOM - TOP) / 2.0;
      b.append("<g transform=\"translate(14 ").append(f(cy)).append(") rotate(-90)\">");
      text(0, 0, "middle", s, "axis-title");
      b.append("</g>");
    }

    void axes(Axis x, Ticks xt, Axis y, Ticks yt, String xTitle, String yTitle) {
      for (double v : yt.at()) line(x.p0(), y.px(v), x.p1(), y.px(v), "#eee");
      for (double v : xt.at()) line(x.px(v), y.p0(), x.px(v), y.p1(), "#eee");
      frame(x.p0(), y.p1(), x.p1(), y.p0());
      for (int i = 0; i < xt.at().length; i++) xTick(x.px(xt.at()[i]), y.p0(), xt.labels()[i]);
      for (int i = 0; i < yt.at().length; i++) yTick(x.p0(), y.px(yt.at()[i]), yt.labels()[i]);
      for (double v : xt.minor()) line(x.px(v), y.p0(), x.px(v), y.p0() + 2.5, "#999");
      for (double v : yt.minor()) line(x.p0() - 2.5, y.px(v), x.p0(), y.px(v), "#999");
      xTitle((x.p0() + x.p1()) / 2, xTitle);
      yTitle(yTitle);
    }

    /** ± s.e. as a shaded band (or a bar for a lone point); false when the run has no standard errors. */
    boolean band(List<double[]> r, Axis x, Axis y, String colour) {
      List<double[]> pts = new ArrayList<>();
      for (double[] p : r) if (Double.isFinite(p[2])) pts.add(p);
      if (pts.isEmpty()) return false;
      double floor = y.scale() == Scale.LOG ? y.lo() : Double.NEGATIVE_INFINITY;
      if (pts.size() == 1 || pts.size() < r.size()) {
        for (double[] p : pts) {
          double px = x.px(p[0]);
          double top = y.px(p[1] + p[2]);
          double low = y.px(Math.max(floor, p[1] - p[2]));
          b.append("<path d=\"M").append(f(px)).append(',').append(f(top)).append("V").append(f(low)).append("M").append(f(px - 3))
              .append(',').append(f(top)).append("h6M").append(f(px - 3)).append(',').append(f(low)).append("h6\" stroke=\"")
              .append(colour).append("\" fill=\"none\"/>");
        }
        return true;
      }
      b.append("<polygon fill=\"").append(colour).append("\" fill-opacity=\"0.18\" stroke=\"none\" points=\"");
      for (double[] p : pts) b.append(f(x.px(p[0]))).append(',').append(f(y.px(p[1] + p[2]))).append(' ');
      for (int i = pts.size() - 1; i >= 0; i--) {
        double[] p = pts.get(i);
        b.append(f(x.px(p[0]))).append(',').append(f(y.px(Math.max(floor, p[1] - p[2])))).append(' ');
      }
      b.append("\"/>");
      return true;
    }

    void polyline(List<double[]> r, Axis x, Axis y, String colour, boolean markers) {
      b.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.6\" points=\"");
      for (double[] p : r) b.append(f(x.px(p[0]))).append(',').append(f(y.px(p[1]))).append(' ');
      b.append("\"/>");
      if (markers) {
        for (double[] p : r) {
          b.append("<circle cx=\"").append(f(x.px(p[0]))).append("\" cy=\"").append(f(y.px(p[1]))).append("\" r=\"2.5\" fill=\"")
              .append(colour).append("\"/>");
        }
      }
    }

    void points(List<double[]> r, Axis x, Axis y, String colour) {
      for (double[] p : r) {
        b.append("<circle cx=\"").append(f(x.px(p[0]))).append("\" cy=\"").append(f(y.px(p[1]))).append("\" r=\"2.5\" fill=\"")
            .append(colour).append("\" fill-opacity=\"0.7\"/>");
      }
    }

    void legend(int i, String name, String colour) {
      double lx = WIDTH - LEGEND + 14;
      double ly = TOP + 8 + 16 * i;
      line(lx, ly, lx + 18, ly, colour);
      b.append("<circle cx=\"").append(f(lx + 9)).append("\" cy=\"").append(f(ly)).append("\" r=\"2.5\" fill=\"").append(colour).append("\"/>");
      text(lx + 24, ly + 4, "start", name, "legend");
    }

    void legendNote(int i, String s) {
      text(WIDTH - LEGEND + 14, TOP + 12 + 16 * i, "start", s, "muted");
    }

    /** The colour scale: a gradient with its title, unit and tick values (density / peak at each decade). */
    void colourBar(String title, double x, double y, double w, double h) {
      String gid = id + "-cb";
      b.append("<defs><linearGradient id=\"").append(gid).append("\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
      for (int i = 0; i < VIRIDIS.length; i++) {
        b.append("<stop offset=\"").append(f(i / (double) (VIRIDIS.length - 1))).append("\" stop-color=\"")
            .append(colour(i / (double) (VIRIDIS.length - 1))).append("\"/>");
      }
      b.append("</linearGradient></defs>");
      b.append("<rect x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" width=\"").append(f(w)).append("\" height=\"")
          .append(f(h)).append("\" fill=\"url(#").append(gid).append(")\" stroke=\"#999\" class=\"colour-bar\"/>");
      for (int k = 0; k >= (int) HEAT_FLOOR; k -= 2) {
        double py = y + h * (k / HEAT_FLOOR);
        line(x + w, py, x + w + 4, py, "#666");
        text(x + w + 6, py + 4, "start", label(Math.pow(10, k)), "tick");
      }
      double cx = x - 8;
      double cy = y + h / 2;
      b.append("<g transform=\"translate(").append(f(cx)).append(' ').append(f(cy)).append(") rotate(-90)\">");
      text(0, 0, "middle", COLOUR_BAR_TITLE + " (log scale, no unit)", "colour-bar-title");
      b.append("</g>");
    }

    String end() {
      b.append("</svg>");
      return b.toString();
    }

    static String f(double v) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
  }
}
