package org.hesse.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The override rule, on the CPU/kernel combinations it was written for (see the class comment). */
class CoreTypeAdvisorTest {
  private static final Set<String> AVX512 =
      Set.of("sse3", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16");
  private static final Set<String> AVX2 = Set.of("sse3", "avx", "avx2", "fma");
  private static final Set<String> AVX = Set.of("sse3", "avx");
  private static final Set<String> SSE = Set.of("sse3", "ssse3");

  @Test
  void misdetectedAvx512CpuGetsSkylakeX() {
    // The case seen with Debian's 0.3.21 on an Intel family 6 model 207.
    assertEquals("SkylakeX", CoreTypeAdvisor.advise("Prescott", AVX512));
    assertEquals("SkylakeX", CoreTypeAdvisor.advise("Haswell", AVX512));
  }

  @Test
  void correctDetectionsAreLeftAlone() {
    assertNull(CoreTypeAdvisor.advise("Cooperlake", AVX512)); // AMD EPYC Zen 4 with 0.3.21
    assertNull(CoreTypeAdvisor.advise("SkylakeX", AVX512));
    assertNull(CoreTypeAdvisor.advise("Zen", AVX2));
    assertNull(CoreTypeAdvisor.advise("haswell", AVX2));
    assertNull(CoreTypeAdvisor.advise("Sandybridge", AVX));
    assertNull(CoreTypeAdvisor.advise("Prescott", SSE));
  }

  @Test
  void lowerTiersGetTheirBestKernel() {
    assertEquals("Haswell", CoreTypeAdvisor.advise("Prescott", AVX2));
    assertEquals("SandyBridge", CoreTypeAdvisor.advise("Nehalem", AVX));
  }

  @Test
  void theChoiceIsTheBestTierTheFlagsAllow() {
    assertEquals("SkylakeX", CoreTypeAdvisor.forCpu(AVX512));
    assertEquals("Haswell", CoreTypeAdvisor.forCpu(AVX2));
    assertEquals("SandyBridge", CoreTypeAdvisor.forCpu(AVX));
    assertNull(CoreTypeAdvisor.forCpu(SSE));
  }

  @Test
  void noAdviceWithoutOpenBlas() {
    assertNull(CoreTypeAdvisor.advise(null, AVX512));
  }

  @Test
  void avx512NeedsAllFourSubsets() {
    // avx512f alone (Knights Landing) is not enough for the SkylakeX kernels.
    assertEquals(2, CoreTypeAdvisor.flagsTier(Set.of("avx", "avx2", "fma", "avx512f", "avx512cd")));
    assertEquals(3, CoreTypeAdvisor.flagsTier(AVX512));
  }

  @Test
  void cpuinfoFlagsAreParsedFromTheFirstProcessor(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("cpuinfo");
    Files.writeString(f, "processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse3 avx2 fma\n\nprocessor\t: 1\nflags\t: fpu\n");
    assertEquals(Set.of("fpu", "sse3", "avx2", "fma"), CoreTypeAdvisor.cpuFlags(f));
    assertTrue(CoreTypeAdvisor.cpuFlags(dir.resolve("missing")).isEmpty());
  }
}
