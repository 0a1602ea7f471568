package org.hesse.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The diagnostics' thresholds as data: fitted by {@code hesse suite}'s analysis on runs whose answer is known (label
 * noise, capacity class) and stored with the suite's name and version in the resource {@value #RESOURCE}. Each rule
 * names a {@link RunFeatures} feature, a direction and a threshold, and carries the detection rate and false-alarm
 * rate the leave-datasets-out cross-validation measured for it; a rule the study does not support is kept only as
 * a name with the reason.
 */
public record Calibration(String suite, int suiteVersion, int runs, int datasets, String protocol, List<Rule> rules,
                          List<Unsupported> unsupported) {
  public static final String RESOURCE = "calibration.json";

  /**
   * A calibrated rule: fires when {@code sign · feature ≥ sign · threshold} (sign +1: "at or above"). {@code
   * classificationOnly}: its ground truth exists only for classification runs (label noise).
   */
  public record Rule(String id, String name, String groundTruth, String feature, int sign, double threshold,
                     double cvDetectionRate, double cvFalseAlarmRate, double cvAuroc, int cvRuns, boolean supported,
                     boolean classificationOnly, String reading) {
    public boolean fires(double v) {
      return Double.isFinite(v) && sign * v >= sign * threshold;
    }

    public String condition() {
      return String.format(Locale.ROOT, "%s %s %.4g", feature, sign > 0 ? "≥" : "≤", threshold);
    }

    public String rates() {
      return String.format(Locale.ROOT, "detection rate %.2f, false-alarm rate %.2f (leave-datasets-out cross-validation, %d runs)",
          cvDetectionRate, cvFalseAlarmRate, cvRuns);
    }
  }

  /** A rule the study could not support, and why. */
  public record Unsupported(String id, String name, String reason) {}

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static volatile Calibration current;

  /** The calibration shipped with this build. */
  public static Calibration current() {
    Calibration c = current;
    if (c == null) {
      try (InputStream in = Calibration.class.getResourceAsStream(RESOURCE)) {
        if (in == null) throw new IllegalStateException("resource " + RESOURCE + " missing from the jar");
        c = fromJson(MAPPER.readTree(in));
      } catch (IOException e) {
        throw new IllegalStateException("resource " + RESOURCE + " unreadable: " + e.getMessage(), e);
      }
      current = c;
    }
    return c;
  }

  public String label() {
    return String.format(Locale.ROOT, "calibrated on suite '%s' v%d (%d runs, %d data sets)", suite, suiteVersion, runs, datasets);
  }

  public static Calibration fromJson(JsonNode n) {
    List<Rule> rules = new ArrayList<>();
    for (JsonNode r : n.get("rules")) {
      rules.add(new Rule(r.get("id").asText(), r.get("name").asText(), r.get("ground_truth").asText(), r.get("feature").asText(),
          r.get("sign").asInt(), d(r.get("threshold")), d(r.get("cv_detection_rate")), d(r.get("cv_false_alarm_rate")),
          d(r.get("cv_auroc")), r.get("cv_runs").asInt(), r.get("supported").asBoolean(), r.get("classification_only").asBoolean(),
          r.get("reading").asText()));
    }
    List<Unsupported> un = new ArrayList<>();
    for (JsonNode u : n.get("unsupported")) un.add(new Unsupported(u.get("id").asText(), u.get("name").asText(), u.get("reason").asText()));
    return new Calibration(n.get("suite").asText(), n.get("suite_version").asInt(), n.get("runs").asInt(), n.get("datasets").asInt(),
        n.get("protocol").asText(), List.copyOf(rules), List.copyOf(un));
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("suite", suite);
    m.put("suite_version", suiteVersion);
    m.put("runs", runs);
    m.put("datasets", datasets);
    m.put("protocol", protocol);
    List<Object> rs = new ArrayList<>();
    for (Rule r : rules) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("id", r.id());
      e.put("name", r.name());
      e.put("ground_truth", r.groundTruth());
      e.put("feature", r.feature());
      e.put("sign", r.sign());
      e.put("threshold", num(r.threshold()));
      e.put("cv_detection_rate", num(r.cvDetectionRate()));
      e.put("cv_false_alarm_rate", num(r.cvFalseAlarmRate()));
      e.put("cv_auroc", num(r.cvAuroc()));
      e.put("cv_runs", r.cvRuns());
      e.put("supported", r.supported());
      e.put("classification_only", r.classificationOnly());
      e.put("reading", r.reading());
      rs.add(e);
    }
    m.put("rules", rs);
    List<Object> us = new ArrayList<>();
    for (Unsupported u : unsupported) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("id", u.id());
      e.put("name", u.name());
      e.put("reason", u.reason());
      us.add(e);
    }
    m.put("unsupported", us);
    return m;
  }

  private static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static double d(JsonNode v) {
    return v == null || v.isNull() ? Double.NaN : v.asDouble();
  }
}
