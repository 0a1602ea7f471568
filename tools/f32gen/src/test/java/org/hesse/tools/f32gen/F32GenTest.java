package org.hesse.tools.f32gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checked-in float32 twins are what the generator makes of the float64 sources (regenerate with
 * {@code mvn -B -q -o test -pl tools/f32gen -Df32gen.write=true}), and the conversion rules on small sources.
 */
class F32GenTest {
  private static final Path REPO = Path.of(System.getProperty("user.dir")).resolve("../..").normalize();
  static final List<Path> ROOTS = List.of(REPO.resolve("java-core/src/main/java"), REPO.resolve("hvp-kernels/src/main/java"));

  @Test
  void checkedInTwinsMatchTheGenerator() throws IOException {
    Map<Path, String> generated = F32Gen.generate(ROOTS);
    assertTrue(generated.size() >= 2, "expected annotated sources under " + ROOTS);
    if (Boolean.getBoolean("f32gen.write")) {
      F32Gen.main(ROOTS.stream().map(Path::toString).toArray(String[]::new));
      return;
    }
    List<String> stale = new ArrayList<>();
    for (Map.Entry<Path, String> e : generated.entrySet()) {
      if (!Files.exists(e.getKey()) || !F32Gen.read(e.getKey()).equals(e.getValue())) stale.add(REPO.relativize(e.getKey()).toString());
    }
    assertEquals(List.of(), stale, "float32 twins out of date: run mvn -B -q -o test -pl tools/f32gen -Df32gen.write=true");
  }

  private static String twin(Path dir, String body) throws IOException {
    Path f = dir.resolve("A.java");
    Files.writeString(f, "package p;\nimport org.hesse.precision.Float32Twin;\nclass A {\n" + body + "\n}\n");
    return F32Gen.generate(List.of(dir)).get(f);
  }

  @Test
  void arraysBecomeFloatScalarsStayDoubleStoresAreRounded(@TempDir Path dir) throws IOException {
    String out = twin(dir, "  @Float32Twin\n  static double f(double[] x, double[][] m, int[] idx, double a) {\n"
        + "    double s = 0;\n    double[] t = new double[3];\n    idx[0] = 1;\n    m[0] = t;\n"
        + "    java.util.Arrays.fill(t, 0.0);\n    t[0] = a * x[0];\n    x[1] += a;\n    return s;\n  }");
    String region = out.substring(out.indexOf(F32Gen.BEGIN));
    assertTrue(region.contains("static double f(float[] x, float[][] m, int[] idx, double a)"), region);
    assertTrue(region.contains("double s = 0;"), region);
    assertTrue(region.contains("float[] t = new float[3];"), region);
    assertTrue(region.contains("idx[0] = 1;"), region);          // not a double array: untouched
    assertTrue(region.contains("m[0] = t;"), region);            // a row of a double[][]: no cast
    assertTrue(region.contains("fill(t, 0.0f)"), region);
    assertTrue(region.contains("t[0] = (float) (a * x[0]);"), region);
    assertTrue(region.contains("x[1] += a;"), region);           // compound assignment narrows by itself
    assertTrue(out.startsWith("package p;\nimport org.hesse.precision.Float32Twin;\nclass A {\n  @Float32Twin\n"), out);
    // idempotent: generating from its own output gives the same text
    Files.writeString(dir.resolve("A.java"), out);
    assertEquals(out, F32Gen.generate(List.of(dir)).get(dir.resolve("A.java")));
  }

  @Test
  void refusesAStoreIntoAnArrayOfUnknownType(@TempDir Path dir) {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> twin(dir, "  double[] buf;\n  @Float32Twin\n  void f(A o, double[] x) {\n    o.buf[0] = x[0];\n  }"));
    assertTrue(e.getMessage().contains("A.java:7: cannot tell whether o.buf[0] is a double array"), e.getMessage());
  }

  @Test
  void twinTypesAreRenamedWhereverUsed(@TempDir Path dir) throws IOException {
    String out = twin(dir, "  @Float32Twin\n  static final class H {\n    final double[] d;\n    H(int n) {\n"
        + "      d = new double[n];\n    }\n  }\n  @Float32Twin\n  static void g(Object o, double v) {\n"
        + "    H h = (H) o;\n    double[] d = h.d;\n    d[0] = 1;\n  }");
    assertTrue(out.contains("static final class H32 {"), out);
    assertTrue(out.contains("final float[] d;"), out);
    assertTrue(out.contains("H32(int n) {"), out);
    assertTrue(out.contains("d = new float[n];"), out);
    assertTrue(out.contains("H32 h = (H32) o;"), out);
    assertTrue(out.contains("d[0] = (float) (1);"), out);
  }

  @Test
  void keptArraysStayDouble(@TempDir Path dir) throws IOException {
    String out = twin(dir, "  @Float32Twin\n  static void s(double[] x, @Float32Twin.Keep double[] mean) {\n"
        + "    @Float32Twin.Keep double[] m = new double[1];\n    double[] t = new double[1];\n"
        + "    m[0] = x[0];\n    mean[0] = m[0];\n    t[0] = m[0];\n  }");
    String region = out.substring(out.indexOf(F32Gen.BEGIN));
    assertTrue(region.contains("static void s(float[] x, @Float32Twin.Keep double[] mean)"), region);
    assertTrue(region.contains("double[] m = new double[1];"), region);
    assertTrue(region.contains("float[] t = new float[1];"), region);
    assertTrue(region.contains("m[0] = x[0];"), region);           // into a kept array: no cast
    assertTrue(region.contains("mean[0] = m[0];"), region);
    assertTrue(region.contains("t[0] = (float) (m[0]);"), region);
  }

  /**
   * A twinned top-level class (a sibling {@code <Name>32.java}): a static call on a twinned type calls the twin's, the
   * imports of twinned types import their twins, the annotation's import stays where a kept array needs it, and the
   * generated sibling is not read as a source on the next run (its kept array's annotation does not make it one).
   */
  @Test
  void siblingClassesCallAndImportTheTwins(@TempDir Path dir) throws IOException {
    Path q = dir.resolve("q");
    Files.createDirectories(q);
    Files.writeString(q.resolve("E.java"), "package q;\nimport org.hesse.precision.Float32Twin;\n@Float32Twin\n"
        + "public final class E {\n  public static boolean none(double[][] a) {\n    return a[0] == null;\n  }\n}\n");
    Path w = dir.resolve("W.java");
    Files.writeString(w, "package p;\nimport org.hesse.precision.Float32Twin;\nimport q.E;\n@Float32Twin\n"
        + "final class W {\n  final double[][] s = new double[1][];\n  boolean f(@Float32Twin.Keep double[] y) {\n"
        + "    return E.none(s) && y[0] > 0;\n  }\n}\n");
    Map<Path, String> out = F32Gen.generate(List.of(dir));
    String w32 = out.get(dir.resolve("W32.java"));
    assertTrue(w32.startsWith(String.format(F32Gen.SIBLING_HEADER, "W")), w32);
    assertTrue(w32.contains("import org.hesse.precision.Float32Twin;\nimport q.E32;\n"), w32);
    assertTrue(w32.contains("final float[][] s = new float[1][];"), w32);
    assertTrue(w32.contains("boolean f(@Float32Twin.Keep double[] y)"), w32);
    assertTrue(w32.contains("return E32.none(s) && y[0] > 0;"), w32);
    assertTrue(out.get(q.resolve("E32.java")).contains("public static boolean none(float[][] a)"), out.get(q.resolve("E32.java")));
    // a stale checked-in twin is regenerated, not read as a source of its own
    Files.writeString(dir.resolve("W32.java"), w32.replace("y[0] > 0", "y[0] > 1"));
    assertEquals(w32, F32Gen.generate(List.of(dir)).get(dir.resolve("W32.java")));
  }
}
