package org.hesse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.List;

/** JSON for reports: one mapper; non-finite numbers become null (JSON has no NaN). */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  /** A number, or null when NaN or infinite. */
  static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  static List<Double> nums(double[] a) {
    if (a == null) return null;
    List<Double> out = new ArrayList<>(a.length);
    for (double v : a) out.add(num(v));
    return out;
  }

  static String write(Object o) {
    try {
      return MAPPER.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("JSON serialisation failed: " + e.getMessage(), e);
    }
  }
}
