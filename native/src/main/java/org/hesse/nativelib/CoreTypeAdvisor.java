package org.hesse.nativelib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The one kernel rule of Hesse: the OpenBLAS kernel set for the best SIMD tier the CPU flags allow
 * ({@link #forCpu}), which {@link KernelChoice} asks for before OpenBLAS loads; and {@link #advise}, which says
 * whether kernels already running are in a lower tier than the CPU supports (for {@code hesse info}).
 *
 * <p>Why: Debian's OpenBLAS 0.3.21 falls back to Prescott (SSE3) kernels on CPUs newer than it knows (seen on
 * an AVX-512 Intel, family 6 model 207), at a quarter of the speed. Tiers:
 * <pre>
 *   tier 3  AVX-512 (avx512f+dq+bw+vl)  kernels SkylakeX, Cooperlake, SapphireRapids   choice SkylakeX
 *   tier 2  AVX2 + FMA                  kernels Haswell, Zen                            choice Haswell
 *   tier 1  AVX                         kernels SandyBridge, Bulldozer .. Excavator      choice SandyBridge
 *   tier 0  anything else (Prescott, Nehalem, Core2, Atom, ...)                        no choice
 * </pre>
 * Within a tier the double-precision kernels are the same code (Cooperlake = SkylakeX + bfloat16; Zen ≈ Haswell);
 * measured on an AMD EPYC (Zen 4): dgemm n=1024, 2 threads, ~100 GFLOP/s with Cooperlake, SkylakeX or Haswell.
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

  /** The kernel set for the CPU's best tier (SkylakeX, Haswell, SandyBridge), or null below AVX. */
  public static String forCpu(Set<String> cpuFlags) {
    switch (flagsTier(cpuFlags)) {
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

  /** e.g. "AVX-512" for the tier the flags allow; "no AVX" below. */
  public static String tierName(Set<String> cpuFlags) {
    switch (flagsTier(cpuFlags)) {
      case 3:
        return "AVX-512";
      case 2:
        return "AVX2+FMA";
      case 1:
        return "AVX";
      default:
        return "no AVX";
    }
  }

  /** The kernel set to ask for instead, or null when {@code detectedCore} is already in the CPU's best tier. */
  public static String advise(String detectedCore, Set<String> cpuFlags) {
    if (detectedCore == null || coreTier(detectedCore) >= flagsTier(cpuFlags)) return null;
    return forCpu(cpuFlags);
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
}
