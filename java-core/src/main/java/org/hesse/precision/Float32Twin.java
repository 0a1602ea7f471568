package org.hesse.precision;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks float64 code that has a generated float32 twin (tools/f32gen, see docs/precision.md). On a method: the
 * twin, an overload with every {@code double[]} turned into {@code float[]}, is written into the same class inside
 * the region marked "generated float32 twins". On a class: a copy named {@code <Name>32} (a sibling file for a
 * top-level class, the same region for a nested one). The annotated code is the one source; a test fails when the
 * checked-in twins differ from what the generator makes of it.
 */
@Retention(RetentionPolicy.SOURCE)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Float32Twin {
  /**
   * Inside twinned code: this parameter, local or field stays {@code double[]} in the twin (a float64 reduction such
   * as a normaliser's per-row statistics), and so does the array its initializer creates.
   */
  @Retention(RetentionPolicy.SOURCE)
  @Target({ElementType.PARAMETER, ElementType.LOCAL_VARIABLE, ElementType.FIELD})
  @interface Keep {}
}
