package org.hesse.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hesse.nativelib.KernelChoice.Source;
import org.junit.jupiter.api.Test;

/**
 * The kernel choice: its precedence rules as a pure function, and in child JVMs with a controlled environment,
 * what OpenBLAS itself then reports (openblas_get_corename): the independent check that the choice took effect.
 */
class KernelChoiceTest {
  private static final Set<String> AVX512 = Set.of("avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl");
  private static final Set<String> AVX2 = Set.of("avx", "avx2", "fma");

  @Test
  void precedenceUserThenOptOutThenTooLateThenFlags() {
    assertEquals(Source.HESSE, KernelChoice.decide(null, null, null, null, AVX512).source());
    assertEquals("SkylakeX", KernelChoice.decide(null, "auto", null, null, AVX512).requested());
    assertEquals("Haswell", KernelChoice.decide("", null, "0", null, AVX2).requested()); // empty = unset, 0 = not opted out
    KernelChoice user = KernelChoice.decide("Prescott", null, "1", "libblas.so.3", AVX512);
    assertEquals(Source.USER, user.source());
    assertEquals("Prescott", user.requested());
    assertEquals(Source.OPT_OUT, KernelChoice.decide(null, "OFF", null, null, AVX512).source());
    assertEquals(Source.OPT_OUT, KernelChoice.decide(null, null, "1", null, AVX512).source());
    KernelChoice late = KernelChoice.decide(null, null, null, "libblas.so.3", AVX512);
    assertEquals(Source.TOO_LATE, late.source());
    assertNull(late.requested());
    assertTrue(late.describe("Prescott").contains("libblas.so.3 was loaded before Hesse could choose"), late.describe(null));
    assertEquals(Source.NO_TIER, KernelChoice.decide(null, null, null, null, Set.of("sse3")).source());
  }

  @Test
  void aBadPropertyIsOneLineNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KernelChoice.decide(null, "yes", null, null, AVX512));
    assertEquals("-Dhesse.openblas.coretype: expected auto or off, got 'yes'", e.getMessage());
  }

  @Test
  void describeSaysWhenOpenBlasIgnoredTheRequest() {
    KernelChoice c = KernelChoice.decide(null, null, null, null, AVX512);
    assertEquals("chosen by Hesse from the CPU flags: AVX-512", c.describe("SkylakeX"));
    assertTrue(c.describe("Haswell").contains("OpenBLAS runs Haswell instead of SkylakeX"), c.describe("Haswell"));
  }

  @Test
  void theJniBridgeIsBuiltOnLinux() {
    // Without the bridge every test below skips and no kernel choice happens: that must not pass unnoticed.
    assumeTrue(System.getProperty("os.name").startsWith("Linux"), "the bridge is built for Linux only");
    assumeTrue(!Boolean.getBoolean("hesse.native.skip"), "built with -Dhesse.native.skip=true");
    assertTrue(OpenBlasLibrary.bridge().loaded(), "JNI bridge not loaded (" + OpenBlasLibrary.bridge()
        + "): install gcc and rebuild (mvn -pl native package), or build with -Dhesse.native.skip=true on purpose");
  }

  private static void assumeDynamicOpenBlas() {
    assumeTrue(OpenBlas.isAvailable(), "OpenBLAS not available: " + OpenBlas.unavailableReason());
    assumeTrue(OpenBlas.config().contains("DYNAMIC_ARCH"), "OpenBLAS built without DYNAMIC_ARCH ignores OPENBLAS_CORETYPE: " + OpenBlas.config());
  }

  @Test
  void plainJavaRunsTheKernelsHesseChose() throws Exception {
    assumeDynamicOpenBlas();
    String want = CoreTypeAdvisor.forCpu(CoreTypeAdvisor.cpuFlags(Path.of("/proc/cpuinfo")));
    assumeTrue(want != null, "this CPU has no AVX: nothing to choose");
    for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of(KernelChoice.ENV, ""))) { // empty = unset
      Map<String, String> r = probe(env, "choice");
      assertEquals("HESSE", r.get("source"), r.toString());
      assertEquals(want, r.get("requested"), r.toString());
      assertEquals(want.toLowerCase(), r.get("core").toLowerCase(), env + ": " + r);
      assertEquals(want, r.get("env"), "the variable OpenBLAS read: " + r);
    }
  }

  @Test
  void theUsersCoreTypeIsRespected() throws Exception {
    assumeDynamicOpenBlas();
    Map<String, String> r = probe(Map.of(KernelChoice.ENV, "Prescott"), "choice");
    assertEquals("USER", r.get("source"), r.toString());
    assertEquals("prescott", r.get("core").toLowerCase(), r.toString());
  }

  @Test
  void optOutLeavesTheVariableUnset() throws Exception {
    assumeDynamicOpenBlas();
    Map<String, String> r = probe(Map.of(KernelChoice.OPT_OUT_ENV, "1"), "choice");
    assertEquals("OPT_OUT", r.get("source"), r.toString());
    assertEquals("null", r.get("env"), r.toString());
  }

  @Test
  void aBadPropertyIsIgnoredWithAWarningAndBlasStillWorks() throws Exception {
    assumeDynamicOpenBlas();
    // decide() refuses the value (tested above); at load time it must not break OpenBlas's class initialiser
    Map<String, String> r = probe(Map.of(), "property", "yes");
    assertEquals("INVALID_PROPERTY", r.get("source"), r.toString());
    assertEquals("true", r.get("available"), r.toString());
  }

  @Test
  void aChoiceAfterOpenBlasLoadedIsReportedAsTooLate() throws Exception {
    assumeDynamicOpenBlas();
    Map<String, String> r = probe(Map.of(), "late");
    assertEquals("true", r.get("early"), r.toString());
    assertEquals("TOO_LATE", r.get("source"), r.toString());
  }

  @Test
  void openBlasHonoursASetenvMadeInsideTheJvm() throws Exception {
    assumeDynamicOpenBlas();
    // Haswell runs on every AVX2 CPU and differs from what OpenBLAS detects on AVX-512 ones.
    assumeTrue(CoreTypeAdvisor.flagsTier(CoreTypeAdvisor.cpuFlags(Path.of("/proc/cpuinfo"))) >= 2, "needs AVX2");
    Map<String, String> r = probe(Map.of(), "setenv", "Haswell");
    assertEquals("true", r.get("set"), r.toString());
    assertEquals("haswell", r.get("core").toLowerCase(), r.toString());
  }

  /** Runs {@link KernelChoiceProbe} in a fresh JVM with OPENBLAS_CORETYPE and HESSE_NO_CORETYPE removed, then {@code env} added. */
  private static Map<String, String> probe(Map<String, String> env, String... args) throws IOException, InterruptedException {
    String cp = codeSource(OpenBlas.class) + java.io.File.pathSeparator + codeSource(KernelChoiceProbe.class);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
        KernelChoiceProbe.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove(KernelChoice.ENV);
    pb.environment().remove(KernelChoice.OPT_OUT_ENV);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe did not finish");
    assertEquals(0, p.exitValue(), out);
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) m.put(line.substring(0, eq), line.substring(eq + 1).trim());
    }
    return m;
  }

  private static String codeSource(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
