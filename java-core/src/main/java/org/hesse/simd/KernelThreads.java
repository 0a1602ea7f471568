package org.hesse.simd;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hesse.nativelib.OpenBlas;

/**
 * Element-wise kernels on the cores OpenBLAS leaves idle between its calls (issue 13; docs/performance.md,
 * "Roofline"): an expensive element-wise loop over n ≥ {@link #MIN_ELEMENTS} elements is cut in two halves, the
 * second run by one helper thread, when OpenBLAS itself runs on 2 or more threads (so the process already owns two
 * cores; with {@code OPENBLAS_NUM_THREADS=1} everything stays on the caller's thread). Only loops whose every
 * element is computed alone use it, so the bits do not depend on the split. One helper serves the process: a caller
 * that finds it busy (another thread's kernel) runs serially instead of waiting.
 *
 * <p>Opt-in ({@code -Dhesse.kernels.split=true}): on the shared 2-core machine of issue 13 (load 3.8–7.7) it measured
 * 0.97–1.04× the serial kernels on the float32 products (benchmarks' SplitAB; docs/performance.md, "Roofline"), i.e. no gain
 * could be shown; OpenBLAS's workers also spin for a while after each call, on the core the helper would use.
 */
final class KernelThreads {
  /**
   * Below this a half is not worth the helper's wake-up (≈ 20–50 µs): tanh costs ≈ 3.7 ns an element, so 32k
   * elements take ≈ 0.12 ms alone.
   */
  static final int MIN_ELEMENTS = 1 << 15;
  private static final int ALIGN = 64;  // the halves meet at a multiple of every vector length
  private static final AtomicBoolean BUSY = new AtomicBoolean();  // the helper thread is taken

  private KernelThreads() {}

  /** A loop over the elements [from, to). */
  interface Range {
    void run(int from, int to);
  }

  /** Read at each call (a property lookup, against ≥ 0.1 ms of work), so a benchmark can alternate both settings. */
  private static boolean enabled() {
    return "true".equals(System.getProperty("hesse.kernels.split"));
  }

  /** Runs body over [0, n), in two halves on two threads when that pays (see the class comment). */
  static void split(int n, Range body) {
    if (n < MIN_ELEMENTS || !enabled() || OpenBlas.numThreads() < 2 || !BUSY.compareAndSet(false, true)) {
      body.run(0, n);  // also when another caller has the helper: never queue behind it
      return;
    }
    try {
      halves(n, body);
    } finally {
      BUSY.set(false);
    }
  }

  private static void halves(int n, Range body) {
    int half = n / 2 / ALIGN * ALIGN;
    Future<?> second = Helper.POOL.submit(() -> body.run(half, n));
    Throwable failed = null;
    try {
      body.run(0, half);
    } catch (RuntimeException | Error e) {
      failed = e;
    }
    try {
      second.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (failed == null) failed = new IllegalStateException("interrupted while waiting for the kernel's second half", e);
    } catch (ExecutionException e) {
      if (failed == null) failed = e.getCause();
    }
    if (failed instanceof RuntimeException r) throw r;
    if (failed instanceof Error er) throw er;
    if (failed != null) throw new IllegalStateException(failed);
  }

  /** One daemon helper thread, made on first use. */
  private static final class Helper {
    static final ExecutorService POOL = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "hesse-kernel-half");
      t.setDaemon(true);
      return t;
    });
  }
}
