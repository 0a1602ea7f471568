package org.hesse.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times {@code Csv.readClassification(FILE, "label")} (what {@code hesse spectrum --data FILE --target label}
 * reads with) in one JVM: wall clock and the reading thread's CPU time (less disturbed by other processes on a
 * shared machine), per read, then the medians. Given jars (e.g. the {@code hesse-cli.jar} of two builds), each is
 * loaded in its own class loader and the reads alternate between them (in alternating order), so that old and
 * new meet the same load. The first read is cold (interpreter, JIT), as in a CLI process, but only for the jar read
 * first: for cold figures run one jar per process, alternating processes. Checks that every jar read the same bits.
 *
 * <p>Usage: {@code CsvReadTime FILE [reads] [JAR...]} (reads 7; no jar: the Csv on this class path).
 */
public final class CsvReadTime {
  private CsvReadTime() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    int reads = args.length > 1 ? PeerCompare.positive("reads", args[1]) : 7;
    List<String> names = new ArrayList<>();
    List<Method> readers = new ArrayList<>();
    List<Method> features = new ArrayList<>();
    if (args.length <= 2) {
      names.add("class path");
      addReader(CsvReadTime.class.getClassLoader(), readers, features);
    }
    for (int a = 2; a < args.length; a++) {
      names.add(args[a]);
      ClassLoader l = new URLClassLoader(new URL[] {Path.of(args[a]).toUri().toURL()},
          ClassLoader.getPlatformClassLoader());
      addReader(l, readers, features);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int m = readers.size();
    double[][] wall = new double[m][reads];
    double[][] cpu = new double[m][reads];
    double[] first = null;
    for (int r = 0; r < reads; r++) {
      for (int i = 0; i < m; i++) {
        int k = r % 2 == 0 ? i : m - 1 - i; // alternate the order too
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        Object d = readers.get(k).invoke(null, file, "label");
        wall[k][r] = (System.nanoTime() - t0) * 1e-9;
        cpu[k][r] = (threads.getCurrentThreadCpuTime() - c0) * 1e-9;
        double[] x = (double[]) features.get(k).invoke(d);
        if (first == null) {
          first = x;
        } else if (!Arrays.equals(first, x)) {
          throw new IllegalStateException(names.get(k) + " read other values than " + names.get(0));
        }
        System.out.printf(Locale.ROOT, "read %d  %-40s wall %.3f s  cpu %.3f s%n", r + 1, names.get(k), wall[k][r],
            cpu[k][r]);
      }
    }
    for (int k = 0; k < m; k++) {
      System.out.printf(Locale.ROOT, "%-40s first read wall %.3f s cpu %.3f s; later reads median wall %.3f s cpu %.3f s%n",
          names.get(k), wall[k][0], cpu[k][0], laterMedian(wall[k]), laterMedian(cpu[k]));
    }
  }

  private static void addReader(ClassLoader l, List<Method> readers, List<Method> features) throws Exception {
    Class<?> csv = Class.forName("org.hesse.data.Csv", true, l);
    readers.add(csv.getMethod("readClassification", Path.class, String.class));
    features.add(Class.forName("org.hesse.data.Dataset", true, l).getMethod("x"));
  }

  /** The median of the reads after the first (the first when there is only one). */
  private static double laterMedian(double[] v) {
    double[] s = v.length > 1 ? Arrays.copyOfRange(v, 1, v.length) : v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
