package org.hesse.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The system properties that choose back ends, and their one validity rule. The choices themselves happen in class
 * initialisers (Linalg, KernelProvider), where a bad value can only be warned about and ignored; the CLI checks
 * {@link #problems()} first and refuses a bad value with exit 2. This class has no state, so asking loads nothing.
 */
public final class BackendProperties {
  private BackendProperties() {}

  /** {@code -Dhesse.blas=java}: netlib's pure-Java BLAS and LAPACK instead of native OpenBLAS. */
  public static final String BLAS = "hesse.blas";
  /** {@code -Dhesse.kernels=scalar}: the scalar kernels instead of the Panama (Vector API) ones. */
  public static final String KERNELS = "hesse.kernels";

  public static boolean forceJavaBlas() {
    return "java".equals(System.getProperty(BLAS));
  }

  public static boolean forceScalarKernels() {
    return "scalar".equals(System.getProperty(KERNELS));
  }

  /** What is wrong with -Dhesse.blas, or null when it is unset or {@code java}. */
  public static String blasProblem() {
    String v = System.getProperty(BLAS);
    return v == null || forceJavaBlas() ? null
        : "-D" + BLAS + ": expected java (or unset: native OpenBLAS where installed), got '" + v + "'";
  }

  /** What is wrong with -Dhesse.kernels, or null when it is unset or {@code scalar}. */
  public static String kernelsProblem() {
    String v = System.getProperty(KERNELS);
    return v == null || forceScalarKernels() ? null
        : "-D" + KERNELS + ": expected scalar (or unset: the Panama kernels where available), got '" + v + "'";
  }

  /** Every problem, one line each; empty when all are fine. */
  public static List<String> problems() {
    List<String> out = new ArrayList<>();
    if (blasProblem() != null) out.add(blasProblem());
    if (kernelsProblem() != null) out.add(kernelsProblem());
    return out;
  }
}
