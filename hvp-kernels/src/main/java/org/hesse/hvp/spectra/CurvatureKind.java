package org.hesse.hvp.spectra;

import java.util.Arrays;
import java.util.List;
import org.hesse.hvp.curvature.Curvature;

/** Which curvature's per-layer blocks are analysed: the Hessian, the generalised Gauss-Newton matrix, or back-matching. */
public enum CurvatureKind {
  /** The exact Hessian of the mean loss. */
  HESSIAN("hessian"),
  /** The generalised Gauss-Newton matrix Jᵀ H_out J. */
  GGN("ggn"),
  /** The weight side of the back-matching curvature (per-layer input moments; see {@code BackMatching}). */
  BACK_MATCHING("backmatching");

  /** The name in reports and on the command line, e.g. {@code "ggn"}. */
  public final String id;

  CurvatureKind(String id) {
    this.id = id;
  }

  /**
   * Every {@link #id}, in declaration order.
   *
   * @return {@code [hessian, ggn, backmatching]}
   */
  public static List<String> ids() {
    return Arrays.stream(values()).map(k -> k.id).toList();
  }

  /**
   * The kind named {@code id}.
   *
   * @param id a name of {@link #ids()}
   * @return its kind
   * @throws IllegalArgumentException naming the id and the expected ones when there is none
   */
  public static CurvatureKind of(String id) {
    for (CurvatureKind k : values()) if (k.id.equals(id)) return k;
    throw new IllegalArgumentException("unknown curvature '" + id + "', expected one of " + ids());
  }

  /**
   * The kind of a {@link Curvature}'s products.
   *
   * @return the {@link Curvature.Kind}, or null for back-matching (which is not a product of a Curvature)
   */
  public Curvature.Kind productKind() {
    return switch (this) {
      case HESSIAN -> Curvature.Kind.HESSIAN;
      case GGN -> Curvature.Kind.GGN;
      case BACK_MATCHING -> null;
    };
  }
}
