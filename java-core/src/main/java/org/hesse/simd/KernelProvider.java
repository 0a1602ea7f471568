package org.hesse.simd;

import java.util.logging.Logger;

/**
 * Chooses the kernel implementation once per process, like Lucene's VectorizationProvider: the Panama
 * kernels when {@code jdk.incubator.vector} is readable (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}), the scalar ones otherwise, with one log line saying which and
 * how to enable the fast path. {@code -Dhesse.kernels=scalar} forces the scalar kernels.
 */
public final class KernelProvider {
  private static final Logger LOG = Logger.getLogger(KernelProvider.class.getName());
  private static final Kernels INSTANCE = choose();

  private KernelProvider() {}

  /** The process-wide kernels. */
  public static Kernels get() {
    return INSTANCE;
  }

  /** The Panama kernels if this JVM can run them, else null (used by tests that compare the two). */
  public static Kernels panamaOrNull() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return null;
    try {
      return (Kernels) Class.forName("org.hesse.simd.PanamaKernels").getField("INSTANCE").get(null);
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  private static Kernels choose() {
    String problem = org.hesse.runtime.BackendProperties.kernelsProblem();
    if (problem != null) LOG.warning(problem + " (ignored)");
    if (org.hesse.runtime.BackendProperties.forceScalarKernels()) {
      LOG.info("Kernels: scalar (forced by -Dhesse.kernels=scalar)");
      return ScalarKernels.INSTANCE;
    }
    Kernels k = panamaOrNull();
    if (k == null) {
      LOG.info("Kernels: scalar; start the JVM with --add-modules jdk.incubator.vector for the Panama kernels");
      return ScalarKernels.INSTANCE;
    }
    LOG.info("Kernels: " + k.name());
    return k;
  }
}
