package org.hesse.linalg;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import dev.ludovic.netlib.lapack.LAPACK;
import dev.ludovic.netlib.lapack.NativeLAPACK;
import java.util.logging.Logger;
import org.hesse.nativelib.OpenBlas;

/**
 * The BLAS/LAPACK facade: netlib-java chooses its back end once (JNI OpenBLAS, else the Vector API or plain
 * Java one); we log which, one line each, since netlib logs the reason for a fallback only at FINE.
 * {@code -Dhesse.blas=java} forces the pure-Java back ends (used to test that both paths agree).
 *
 * <p>This is the one place Hesse obtains netlib's BLAS and LAPACK (ARPACK: {@code org.hesse.eigen.Arpack}).
 * Before the first instance it lets {@link OpenBlas#ensureLoaded()} choose OpenBLAS's kernels: OpenBLAS reads
 * OPENBLAS_CORETYPE when netlib loads it, and never again.
 */
public final class Linalg {
  private static final Logger LOG = Logger.getLogger(Linalg.class.getName());

  static { // runs before the instances below (textual order): the kernel choice precedes OpenBLAS's first load
    OpenBlas.ensureLoaded();
  }

  private static final BLAS BLAS_INSTANCE = chooseBlas();
  private static final LAPACK LAPACK_INSTANCE = chooseLapack();

  private Linalg() {}

  public static BLAS blas() {
    return BLAS_INSTANCE;
  }

  public static LAPACK lapack() {
    return LAPACK_INSTANCE;
  }

  /** The pure-Java BLAS (for tests comparing back ends). */
  public static BLAS javaBlas() {
    return dev.ludovic.netlib.blas.JavaBLAS.getInstance();
  }

  /** The pure-Java LAPACK (for tests comparing back ends). */
  public static LAPACK javaLapack() {
    return dev.ludovic.netlib.lapack.JavaLAPACK.getInstance();
  }

  public static boolean nativeBlas() {
    return BLAS_INSTANCE instanceof NativeBLAS;
  }

  public static boolean nativeLapack() {
    return LAPACK_INSTANCE instanceof NativeLAPACK;
  }

  /** e.g. "JNIBLAS (native)" or "VectorBLAS (java)". */
  public static String blasName() {
    return BLAS_INSTANCE.getClass().getSimpleName() + (nativeBlas() ? " (native)" : " (java)");
  }

  public static String lapackName() {
    return LAPACK_INSTANCE.getClass().getSimpleName() + (nativeLapack() ? " (native)" : " (java)");
  }

  private static boolean forceJava() {
    return org.hesse.runtime.BackendProperties.forceJavaBlas();
  }

  private static BLAS chooseBlas() {
    String problem = org.hesse.runtime.BackendProperties.blasProblem();
    if (problem != null) LOG.warning(problem + " (ignored)");
    BLAS b = forceJava() ? javaBlas() : BLAS.getInstance();
    LOG.info("BLAS: " + b.getClass().getSimpleName() + (b instanceof NativeBLAS ? " (native)"
        : forceJava() ? " (java, forced by -Dhesse.blas=java)" : " (java; install libopenblas0-pthread for the native one)"));
    return b;
  }

  private static LAPACK chooseLapack() {
    LAPACK l = forceJava() ? javaLapack() : LAPACK.getInstance();
    LOG.info("LAPACK: " + l.getClass().getSimpleName() + (l instanceof NativeLAPACK ? " (native)"
        : forceJava() ? " (java, forced by -Dhesse.blas=java)" : " (java; install liblapack3 for the native one)"));
    return l;
  }
}
