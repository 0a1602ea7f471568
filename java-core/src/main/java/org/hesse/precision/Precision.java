package org.hesse.precision;

import java.util.Locale;

/**
 * The storage precision of activations, tangents and products: float64, or float32 with SGEMM (reductions, losses
 * and eigen-solver vectors stay float64 either way; docs/precision.md).
 */
public enum Precision {
  F32("f32", Float.BYTES), F64("f64", Double.BYTES);

  /** The command-line and report spelling. */
  public final String id;

  /** Bytes of one stored value. */
  public final int bytes;

  Precision(String id, int bytes) {
    this.id = id;
    this.bytes = bytes;
  }

  /**
   * The precision of a value array type, {@code double[].class} or {@code float[].class}: how code with a float32
   * twin (docs/precision.md) names its own precision, since the generator turns {@code double[]} into {@code float[]}.
   */
  public static Precision of(Class<?> arrayType) {
    if (arrayType == double[].class) return F64;
    if (arrayType == float[].class) return F32;
    throw new IllegalArgumentException("array type: expected double[] or float[], got " + arrayType.getSimpleName());
  }

  /** "f32"/"float32" or "f64"/"float64" (case-insensitive). */
  public static Precision parse(String s) {
    switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "f32": case "float32": return F32;
      case "f64": case "float64": return F64;
      default: throw new IllegalArgumentException("precision: expected f32 or f64, got '" + s + "'");
    }
  }

  /** θ (or any double vector) rounded to float, into {@code into} (allocated when null). */
  public static float[] round(double[] theta, float[] into) {
    float[] f = into != null ? into : new float[theta.length];
    for (int i = 0; i < theta.length; i++) f[i] = (float) theta[i];
    return f;
  }

  /**
   * The refusal of a layer type without float32 twins: one line naming it and saying what works. An
   * {@code InputException}: the choice of precision is the user's input.
   */
  public static org.hesse.io.InputException noFloat32(String layerType) {
    return new org.hesse.io.InputException("precision f32: layer type '" + layerType + "' has no float32 path yet; "
        + "use --precision f64");
  }
}
