package org.hesse.nativelib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether OpenBLAS's own CPU detection picked a slower kernel family than the CPU supports, and if
 * so which {@code OPENBLAS_CORETYPE} to use instead. OpenBLAS reads that variable when it loads, so only a
 * launcher can act on the advice (the {@code hesse} script does).
 *
 * <p>Why: Debian's OpenBLAS 0.3.21 falls back to Prescott (SSE3) kernels on CPUs newer than it knows (seen on
 * an AVX-512 Intel, family 6 model 207), at a quarter of the speed. On CPUs it does know it is right (an AMD
 * EPYC Zen 4 here gets Cooperlake, which runs dgemm as fast as a forced SkylakeX or Haswell), so it is
 * overridden only when its choice is in a lower tier than the CPU flags allow:
 * <pre>
 *   tier 3  AVX-512 (avx512f+dq+bw+vl)  kernels SkylakeX, Cooperlake, SapphireRapids   advice SkylakeX
 *   tier 2  AVX2 + FMA                  kernels Haswell, Zen                            advice Haswell
 *   tier 1  AVX                         kernels SandyBridge, Bulldozer .. Excavator      advice SandyBridge
 *   tier 0  anything else (Prescott, Nehalem, Core2, Atom, ...)                        no advice
 * </pre>
 */
public final class CoreTypeAdvisor {
  private CoreTypeAdvisor() {}

  /** The SIMD tier of a kernel set OpenBLAS names (case-insensitive); 0 for unknown names. */
  public static int coreTier(String coreName) {
    if (coreName == null) return 0;
    switch (coreName.trim().toLowerCase(Locale.ROOT)) {
      case "skylakex":
      case "cooperlake":
      case "sapphirerapids":
        return 3;
      case "haswell":
      case "zen":
        return 2;
      case "sandybridge":
      case "bulldozer":
      case "piledriver":
      case "steamroller":
      case "excavator":
        return 1;
      default:
        return 0;
    }
  }

  /** The SIMD tier the CPU flags (as in /proc/cpuinfo) allow. */
  public static int flagsTier(Set<String> flags) {
    if (flags.containsAll(Set.of("avx512f", "avx512dq", "avx512bw", "avx512vl"))) return 3;
    if (flags.containsAll(Set.of("avx2", "fma"))) return 2;
    if (flags.contains("avx")) return 1;
    return 0;
  }

  /** The OPENBLAS_CORETYPE to set, or null when the detected kernels are already in the CPU's best tier. */
  public static String advise(String detectedCore, Set<String> cpuFlags) {
    int want = flagsTier(cpuFlags);
    if (detectedCore == null || coreTier(detectedCore) >= want) return null;
    switch (want) {
      case 3:
        return "SkylakeX";
      case 2:
        return "Haswell";
      case 1:
        return "SandyBridge";
      default:
        return null;
    }
  }

  /** The flags of the first processor in {@code /proc/cpuinfo}; empty when it cannot be read. */
  public static Set<String> cpuFlags(Path cpuinfo) {
    try {
      for (String line : Files.readAllLines(cpuinfo)) {
        if (line.startsWith("flags")) {
          int colon = line.indexOf(':');
          return new HashSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
        }
      }
    } catch (IOException | SecurityException e) {
      // Not Linux or not readable: no advice.
    }
    return Set.of();
  }

  /**
   * Prints the advised OPENBLAS_CORETYPE (empty line if none) and, on a second line, the detected core;
   * the {@code hesse} launcher caches this output.
   */
  public static void main(String[] args) {
    String detected = OpenBlas.coreName();
    String advice = advise(detected, cpuFlags(Path.of("/proc/cpuinfo")));
    System.out.println(advice == null ? "" : advice);
    System.out.println(detected == null ? "unavailable" : detected);
  }
}
