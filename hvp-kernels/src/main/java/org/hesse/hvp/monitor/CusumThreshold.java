package org.hesse.hvp.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The CUSUM threshold calibrated on clean runs, stored as data ({@code cusum-threshold.properties} next to this
 * class): the settings, the target false-alarm rate and horizon it was calibrated for, and how (the runs, the
 * command, the false alarms on the clean series themselves).
 */
public record CusumThreshold(Cusum.Settings settings, double alpha, int horizon, String method) {
  static final String RESOURCE = "cusum-threshold.properties";

  public static CusumThreshold calibrated() {
    Properties p = new Properties();
    try (InputStream in = CusumThreshold.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException(RESOURCE + ": missing from the class path");
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(RESOURCE + ": cannot read", e);
    }
    return new CusumThreshold(new Cusum.Settings(Integer.parseInt(p.getProperty("window")),
        Double.parseDouble(p.getProperty("k")), Double.parseDouble(p.getProperty("h"))),
        Double.parseDouble(p.getProperty("alpha")), Integer.parseInt(p.getProperty("horizon")), p.getProperty("method"));
  }
}
