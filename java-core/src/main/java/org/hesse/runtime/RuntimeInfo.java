package org.hesse.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.linalg.Linalg;
import org.hesse.linalg.Determinism;
import org.hesse.nativelib.CoreTypeAdvisor;
import org.hesse.nativelib.KernelChoice;
import org.hesse.nativelib.OpenBlas;
import org.hesse.simd.KernelProvider;

/**
 * What this process runs on: which back end serves BLAS, LAPACK and ARPACK, which OpenBLAS kernels (and who
 * chose them) and how many threads, whether results are bitwise repeatable here ({@link Determinism}), whether
 * the Panama kernels are on and their vector width, the JDK, cores, heap, memory budget
 * and thread policy. {@link #lines()} for people, {@link #toMap()} for JSON.
 */
public final class RuntimeInfo {
  private final Map<String, Object> map;

  private RuntimeInfo(Map<String, Object> map) {
    this.map = Collections.unmodifiableMap(map);
  }

  /** Collects everything now (loads the BLAS/LAPACK back ends and OpenBLAS if not loaded yet). */
  public static RuntimeInfo collect() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("blas", Linalg.blasName());
    m.put("lapack", Linalg.lapackName());
    m.put("arpack", arpackName());
    m.put("openblas", openBlas());
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("bitwiseRepeatable", Determinism.bitwiseRepeatable());
    det.put("objectAlignmentInBytes", Determinism.objectAlignmentInBytes());
    det.put("detail", Determinism.describe());
    m.put("determinism", det);
    m.put("kernels", KernelProvider.get().name());
    m.put("simd", simd());
    Map<String, Object> jdk = new LinkedHashMap<>();
    jdk.put("version", System.getProperty("java.version"));
    jdk.put("vendor", System.getProperty("java.vendor"));
    jdk.put("vm", System.getProperty("java.vm.name"));
    jdk.put("home", System.getProperty("java.home"));
    m.put("jdk", jdk);
    Map<String, Object> cpu = new LinkedHashMap<>();
    cpu.put("cores", Runtime.getRuntime().availableProcessors());
    cpu.put("model", cpuModel(Path.of("/proc/cpuinfo")));
    cpu.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    m.put("cpu", cpu);
    Map<String, Object> memory = new LinkedHashMap<>();
    long max = Runtime.getRuntime().maxMemory();
    memory.put("maxHeapBytes", max);
    MemoryBudget budget = MemoryBudget.current();
    memory.put("budgetBytes", budget.bytes());
    memory.put("budget", budget.describe());
    m.put("memory", memory);
    ThreadPolicy policy = ThreadPolicy.current();
    Map<String, Object> threads = new LinkedHashMap<>();
    threads.put("javaWorkers", policy.javaWorkers());
    threads.put("blasThreads", policy.blasThreads());
    threads.put("cores", policy.cores());
    threads.put("policy", policy.describe());
    m.put("threads", threads);
    return new RuntimeInfo(m);
  }

  /** Nested maps of strings, numbers and booleans, in a fixed order: ready for a JSON writer. */
  public Map<String, Object> toMap() {
    return map;
  }

  /** One {@code name: value} line per back end or resource. */
  @SuppressWarnings("unchecked")
  public List<String> lines() {
    List<String> out = new ArrayList<>();
    out.add("blas: " + map.get("blas"));
    out.add("lapack: " + map.get("lapack"));
    out.add("arpack: " + map.get("arpack"));
    Map<String, Object> ob = (Map<String, Object>) map.get("openblas");
    if (Boolean.TRUE.equals(ob.get("available"))) {
      out.add("openblas: " + ob.get("core") + " kernels (" + ob.get("choice") + "), " + ob.get("threads") + " threads; "
          + ob.get("config") + " (" + ob.get("library") + ")"
          + (ob.get("coretypeAdvice") != null
              ? "; slower kernels than this CPU supports (" + ob.get("coretypeAdvice") + " would be faster)"
              : ""));
    } else {
      out.add("openblas: unavailable (" + ob.get("reason") + ")");
    }
    out.add("determinism: " + ((Map<String, Object>) map.get("determinism")).get("detail"));
    out.add("kernels: " + map.get("kernels"));
    Map<String, Object> simd = (Map<String, Object>) map.get("simd");
    out.add("simd: " + (Boolean.TRUE.equals(simd.get("enabled"))
        ? "Vector API, " + simd.get("species") + " (" + simd.get("bits") + " bits, " + simd.get("lanes") + " doubles)"
        : "Vector API off (" + simd.get("reason") + ")"));
    Map<String, Object> jdk = (Map<String, Object>) map.get("jdk");
    out.add("jdk: " + jdk.get("version") + " (" + jdk.get("vendor") + ", " + jdk.get("vm") + ")");
    Map<String, Object> cpu = (Map<String, Object>) map.get("cpu");
    out.add("cpu: " + cpu.get("cores") + " cores" + (cpu.get("model") != null ? ", " + cpu.get("model") : "") + ", "
        + cpu.get("os"));
    Map<String, Object> memory = (Map<String, Object>) map.get("memory");
    out.add("memory: max heap " + MemoryBudget.format((Long) memory.get("maxHeapBytes")) + ", budget " + memory.get("budget"));
    out.add("threads: " + ((Map<String, Object>) map.get("threads")).get("policy"));
    return out;
  }

  @Override
  public String toString() {
    return String.join(System.lineSeparator(), lines());
  }

  /** netlib's ARPACK back end, looked up reflectively: the arpack artifact is optional for java-core. */
  static String arpackName() {
    try {
      Class<?> api = Class.forName("dev.ludovic.netlib.arpack.ARPACK");
      Object instance = api.getMethod("getInstance").invoke(null);
      boolean nativeImpl;
      try {
        nativeImpl = Class.forName("dev.ludovic.netlib.arpack.NativeARPACK").isInstance(instance);
      } catch (ClassNotFoundException e) {
        nativeImpl = false;
      }
      return instance.getClass().getSimpleName() + (nativeImpl ? " (native)" : " (java)");
    } catch (ClassNotFoundException e) {
      return "not on the class path";
    } catch (ReflectiveOperationException | LinkageError e) {
      return "failed to load: " + e;
    }
  }

  private static Map<String, Object> openBlas() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("available", OpenBlas.isAvailable());
    if (OpenBlas.isAvailable()) {
      m.put("core", OpenBlas.coreName());
      m.put("config", OpenBlas.config());
      m.put("threads", OpenBlas.numThreads());
      m.put("library", realPath(OpenBlas.ensureLoaded().libraryPath()));
      KernelChoice choice = OpenBlas.kernelChoice();
      m.put("chosenByHesse", choice.chosenByHesse());
      m.put("choiceSource", choice.source().name());
      m.put("choice", choice.describe(OpenBlas.coreName()));
      // Non-null when the running kernels are in a lower SIMD tier than the CPU supports (e.g. a forced Prescott).
      m.put("coretypeAdvice", CoreTypeAdvisor.advise(OpenBlas.coreName(), CoreTypeAdvisor.cpuFlags(Path.of("/proc/cpuinfo"))));
    } else {
      m.put("reason", OpenBlas.unavailableReason());
    }
    return m;
  }

  /** DoubleVector.SPECIES_PREFERRED through reflection: jdk.incubator.vector is readable only if enabled. */
  static Map<String, Object> simd() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      m.put("enabled", false);
      m.put("reason", "start the JVM with --add-modules jdk.incubator.vector");
      return m;
    }
    try {
      Object species = Class.forName("jdk.incubator.vector.DoubleVector").getField("SPECIES_PREFERRED").get(null);
      Class<?> vs = Class.forName("jdk.incubator.vector.VectorSpecies");
      m.put("enabled", true);
      m.put("species", species.toString());
      m.put("bits", vs.getMethod("vectorBitSize").invoke(species));
      m.put("lanes", vs.getMethod("length").invoke(species));
    } catch (ReflectiveOperationException | LinkageError e) {
      m.clear();
      m.put("enabled", false);
      m.put("reason", e.toString());
    }
    return m;
  }

  /** Symlinks resolved (libopenblas.so.0 -> .../libopenblasp-r0.3.21.so): the file name carries the version. */
  private static String realPath(String path) {
    if (path == null) return null;
    try {
      return Path.of(path).toRealPath().toString();
    } catch (IOException | RuntimeException e) {
      return path;
    }
  }

  static String cpuModel(Path cpuinfo) {
    try {
      for (String line : Files.readAllLines(cpuinfo)) {
        if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
      }
    } catch (IOException | SecurityException e) {
      // not Linux: no model name
    }
    return null;
  }
}
