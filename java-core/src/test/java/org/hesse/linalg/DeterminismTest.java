package org.hesse.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ludovic.netlib.blas.BLAS;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.hesse.nativelib.OpenBlas;
import org.junit.jupiter.api.Test;
import org.netlib.util.intW;

/**
 * The promises of {@link Determinism}, each where it is made, and the bounds where it is not: the alignment
 * independence of the running kernels (data placed at every 8-byte position of a 64-byte line), fresh arrays
 * wherever the GC puts them, concurrent callers against serial, and BLAS thread counts against the forward error
 * bound computed here in exact arithmetic.
 */
class DeterminismTest {
  private static final double U = Math.ulp(1.0) / 2; // unit roundoff
  private static final BLAS B = Linalg.blas();

  private static double[] random(SplittableRandom r, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = r.nextDouble() - 0.5;
    return v;
  }

  /** {@code v} copied to position {@code off} of a fresh array (8 doubles of slack). */
  private static double[] at(double[] v, int off) {
    double[] w = new double[v.length + 8];
    System.arraycopy(v, 0, w, off, v.length);
    return w;
  }

  private static double[] strip(double[] w, int off, int n) {
    return Arrays.copyOfRange(w, off, off + n);
  }

  /** The routines LAPACK's QR/eigen solvers and ARPACK call, each with its operands at array offset o. */
  private static Map<String, IntFunction<double[]>> routines(int m, int k, int p) {
    SplittableRandom r = new SplittableRandom(m * 1000L + k);
    double[] a = random(r, m * k), b = random(r, k * p), x = random(r, Math.max(m, k)), y = random(r, Math.max(m, k));
    double[] s = random(r, k * k);
    double[] tri = s.clone();
    for (int i = 0; i < k; i++) tri[i * k + i] += 10; // well conditioned for the solves
    Map<String, IntFunction<double[]>> ops = new LinkedHashMap<>();
    ops.put("ddot", o -> new double[] {B.ddot(m, at(x, o), o, 1, at(y, o), o, 1)});
    ops.put("dnrm2", o -> new double[] {B.dnrm2(m, at(x, o), o, 1)});
    ops.put("daxpy", o -> { double[] w = at(y, o); B.daxpy(m, 0.3, at(x, o), o, 1, w, o, 1); return strip(w, o, m); });
    ops.put("dscal", o -> { double[] w = at(x, o); B.dscal(m, 0.37, w, o, 1); return strip(w, o, m); });
    ops.put("drot", o -> { double[] u = at(x, o), w = at(y, o); B.drot(m, u, o, 1, w, o, 1, 0.6, 0.8);
      double[] z = Arrays.copyOf(strip(u, o, m), 2 * m); System.arraycopy(w, o, z, m, m); return z; });
    for (String t : new String[] {"N", "T"}) {
      int ny = t.equals("N") ? m : k;
      ops.put("dgemv " + t, o -> { double[] w = at(y, o); B.dgemv(t, m, k, 0.7, at(a, o), o, m, at(x, o), o, 1, 0.3, w, o, 1); return strip(w, o, ny); });
    }
    ops.put("dger", o -> { double[] w = at(a, o); B.dger(m, k, 0.7, at(x, o), o, 1, at(y, o), o, 1, w, o, m); return strip(w, o, m * k); });
    for (String uplo : new String[] {"U", "L"}) {
      ops.put("dsymv " + uplo, o -> { double[] w = at(y, o); B.dsymv(uplo, k, 0.7, at(s, o), o, k, at(x, o), o, 1, 0.3, w, o, 1); return strip(w, o, k); });
      for (String t : new String[] {"N", "T"}) {
        ops.put("dtrmv " + uplo + t, o -> { double[] w = at(x, o); B.dtrmv(uplo, t, "N", k, at(s, o), o, k, w, o, 1); return strip(w, o, k); });
        ops.put("dtrsv " + uplo + t, o -> { double[] w = at(x, o); B.dtrsv(uplo, t, "N", k, at(tri, o), o, k, w, o, 1); return strip(w, o, k); });
      }
    }
    ops.put("dsyr2", o -> { double[] w = at(s, o); B.dsyr2("U", k, 0.7, at(x, o), o, 1, at(y, o), o, 1, w, o, k); return strip(w, o, k * k); });
    for (String ta : new String[] {"N", "T"}) {
      for (String tb : new String[] {"N", "T"}) {
        ops.put("dgemm " + ta + tb, o -> { double[] c = new double[m * p + 8];
          B.dgemm(ta, tb, m, p, k, 1.0, at(a, o), o, ta.equals("N") ? m : k, at(b, o), o, tb.equals("N") ? k : p, 0.0, c, o, m);
          return strip(c, o, m * p); });
      }
    }
    ops.put("dsyrk", o -> { double[] c = new double[m * m + 8]; B.dsyrk("U", "N", m, k, 1.0, at(a, o), o, m, 0.0, c, o, m); return strip(c, o, m * m); });
    ops.put("dsyr2k", o -> { double[] c = new double[m * m + 8]; B.dsyr2k("L", "N", m, k, 1.0, at(a, o), o, m, at(a, o), o, m, 0.0, c, o, m); return strip(c, o, m * m); });
    ops.put("dtrmm", o -> { double[] w = at(b, o); B.dtrmm("L", "U", "N", "N", k, p, 1.0, at(s, o), o, k, w, o, k); return strip(w, o, k * p); });
    ops.put("dtrsm", o -> { double[] w = at(b, o); B.dtrsm("L", "U", "N", "N", k, p, 1.0, at(tri, o), o, k, w, o, k); return strip(w, o, k * p); });
    ops.put("dgeqrf", o -> qr(at(a, o), o, m, k));
    return ops;
  }

  /** LAPACK's Householder QR (as Init.ORTHOGONAL uses it) of the m × k matrix at a[o..]: R and the reflectors. */
  private static double[] qr(double[] a, int o, int m, int k) {
    double[] tau = new double[k], work = new double[64 * k];
    intW info = new intW(0);
    Linalg.lapack().dgeqrf(m, k, a, o, m, tau, 0, work, 0, work.length, info);
    if (info.val != 0) throw new IllegalStateException("dgeqrf info = " + info.val); // no JUnit: runs in the child JVM too
    return strip(a, o, m * k);
  }

  private static final int[][] SIZES = {{37, 53, 41}, {67, 53, 45}, {300, 301, 7}, {8, 9, 10}};

  @Test
  void theRunningKernelsDoNotDependOnWhereTheArraysLie() {
    assumeTrue(OpenBlas.isAvailable(), "OpenBLAS not available: " + OpenBlas.unavailableReason());
    assumeTrue(Determinism.kernelsAlignmentIndependent(), OpenBlas.coreName()
        + " kernels are not claimed alignment-independent (only " + Determinism.ALIGNMENT_INDEPENDENT + " are)");
    List<String> dependent = new ArrayList<>();
    for (int[] sz : SIZES) {
      for (Map.Entry<String, IntFunction<double[]>> e : routines(sz[0], sz[1], sz[2]).entrySet()) {
        double[] ref = e.getValue().apply(0);
        for (int o = 1; o < 8; o++) { // every 8-byte position within 64 bytes
          if (!Arrays.equals(ref, e.getValue().apply(o))) {
            dependent.add(e.getKey() + " " + Arrays.toString(sz) + " at offset " + o);
            break;
          }
        }
      }
    }
    assertEquals(List.of(), dependent, OpenBlas.coreName() + " results that depend on the alignment");
  }

  @Test
  void alignmentDependentRoundingStaysWithinTheDotProductErrorBound() {
    // Any kernel set: Σ x_i y_i at every alignment is within γ_n Σ |x_i y_i| of the exact value.
    SplittableRandom r = new SplittableRandom(11);
    for (int n : new int[] {9, 67, 1001}) {
      double[] x = random(r, n), y = random(r, n);
      BigDecimal exact = BigDecimal.ZERO;
      double abs = 0;
      for (int i = 0; i < n; i++) {
        exact = exact.add(new BigDecimal(x[i]).multiply(new BigDecimal(y[i])));
        abs += Math.abs(x[i] * y[i]);
      }
      double gamma = n * U / (1 - n * U);
      for (int o = 0; o < 8; o++) {
        double got = B.ddot(n, at(x, o), o, 1, at(y, o), o, 1);
        double err = new BigDecimal(got).subtract(exact).abs().doubleValue();
        assertTrue(err <= gamma * abs, "ddot n=" + n + " offset " + o + ": error " + err + " > γ_n Σ|x y| = " + gamma * abs);
      }
    }
  }

  /** The operations whose repeated runs must agree: fresh arrays each run, as Hesse allocates them. */
  static List<Supplier<double[]>> freshRuns() {
    SplittableRandom r = new SplittableRandom(5);
    int m = 120, k = 80;
    double[] a = random(r, m * k), x = random(r, m), b = random(r, k * 150);
    return List.of(
        () -> qr(a.clone(), 0, m, k),
        () -> { double[] y = new double[k]; B.dgemv("T", m, k, 1.0, a.clone(), 0, m, x.clone(), 0, 1, 0.0, y, 0, 1); return y; },
        () -> { double[] c = new double[m * 150]; Gemm.gemm(false, false, m, 150, k, 1.0, a.clone(), b.clone(), 0.0, c); return c; });
  }

  @Test
  void freshArraysGiveTheSameBitsWhereverTheGcPutsThem() {
    assumeTrue(Determinism.bitwiseRepeatable(), "not promised here: " + Determinism.describe());
    List<Supplier<double[]>> ops = freshRuns();
    SplittableRandom r = new SplittableRandom(3);
    List<byte[]> padding = new ArrayList<>();
    for (int op = 0; op < ops.size(); op++) {
      double[] first = ops.get(op).get();
      for (int run = 0; run < 24; run++) {
        padding.add(new byte[1 + r.nextInt(24)]); // moves the allocation pointer by 8-byte steps
        if (run == 12) System.gc(); // and let the GC move what exists
        assertArrayEquals(first, ops.get(op).get(), "operation " + op + ", run " + run + ": " + Determinism.describe());
      }
    }
    assertTrue(padding.size() > 0);
  }

  @Test
  void concurrentCallersGetTheSerialBits() throws Exception {
    assumeTrue(Determinism.bitwiseRepeatable(), "not promised here: " + Determinism.describe());
    List<Supplier<double[]>> ops = freshRuns();
    int callers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      for (int round = 0; round < 3; round++) {
        for (int op = 0; op < ops.size(); op++) {
          double[] serial = ops.get(op).get();
          CyclicBarrier start = new CyclicBarrier(callers);
          Supplier<double[]> f = ops.get(op);
          List<Future<double[]>> results = new ArrayList<>();
          for (int t = 0; t < callers; t++) results.add(pool.submit(() -> { start.await(); return f.get(); }));
          for (Future<double[]> res : results) assertArrayEquals(serial, res.get(), "operation " + op + ", round " + round);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void blasThreadCountChangesStayWithinTheForwardErrorBound() {
    assumeTrue(OpenBlas.isAvailable(), "OpenBLAS not available: " + OpenBlas.unavailableReason());
    int before = OpenBlas.numThreads();
    SplittableRandom r = new SplittableRandom(17);
    int m = 513, k = 257, n = 129;
    double[] a = random(r, m * k), b = random(r, k * n);
    double[][] c = new double[2][];
    try {
      for (int t = 1; t <= 2; t++) {
        assertTrue(OpenBlas.setNumThreads(t));
        c[t - 1] = new double[m * n];
        Gemm.gemm(false, false, m, n, k, 1.0, a, b, 0.0, c[t - 1]);
      }
    } finally {
      OpenBlas.setNumThreads(before);
    }
    // |Ĉ − C| ≤ γ_k (|A||B|) for each result, so the two differ by at most twice that (row-major, computed here).
    double gamma = k * U / (1 - k * U);
    int differ = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double ab = 0;
        for (int l = 0; l < k; l++) ab += Math.abs(a[i * k + l] * b[l * n + j]);
        double d = Math.abs(c[0][i * n + j] - c[1][i * n + j]);
        if (d != 0) differ++;
        assertTrue(d <= 2 * gamma * ab, "C[" + i + "," + j + "]: 1 vs 2 threads differ by " + d + " > 2 γ_k (|A||B|) = " + 2 * gamma * ab);
      }
    }
    System.out.println("dgemm " + m + "x" + k + "x" + n + " on " + OpenBlas.coreName() + ": " + differ + " of " + m * n
        + " entries differ between 1 and 2 BLAS threads (within the bound)");
  }

  /** Every bit of every result of {@link #freshRuns()}, as one string (hex of the raw longs). */
  static String digest() {
    StringBuilder sb = new StringBuilder();
    for (Supplier<double[]> op : freshRuns()) {
      for (double v : op.get()) sb.append(Long.toHexString(Double.doubleToRawLongBits(v))).append(' ');
      sb.append('|');
    }
    return sb.toString();
  }

  /** Run in a child JVM by {@link #anotherProcessGetsTheSameBits()}: prints the digest. */
  public static void main(String[] args) {
    System.out.println("digest=" + digest());
  }

  @Test
  void anotherProcessGetsTheSameBits() throws Exception {
    assumeTrue(Determinism.bitwiseRepeatable(), "not promised here: " + Determinism.describe());
    List<String> cmd = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    // the same JVM flags as this one (alignment, heap, modules), the same environment (kernels)
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    List<String> cp = new ArrayList<>();
    for (Class<?> c : new Class<?>[] {DeterminismTest.class, Linalg.class, OpenBlas.class, BLAS.class,
        dev.ludovic.netlib.lapack.LAPACK.class, intW.class}) {
      cp.add(java.nio.file.Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, cp), DeterminismTest.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "child JVM did not finish");
    assertEquals(0, p.exitValue(), out);
    String child = out.lines().filter(l -> l.startsWith("digest=")).findFirst().orElse("no digest in: " + out);
    assertEquals("digest=" + digest(), child, "the child JVM's results (" + Determinism.describe() + ")");
  }
}
