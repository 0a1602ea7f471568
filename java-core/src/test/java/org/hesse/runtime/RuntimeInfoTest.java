package org.hesse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import org.hesse.linalg.Linalg;
import org.hesse.nativelib.OpenBlas;
import org.hesse.simd.KernelProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeInfoTest {
  @Test
  void simdSpeciesFoundByReflectionIsThePreferredOne() {
    // Tests run with --add-modules jdk.incubator.vector, so the direct reference is the independent answer.
    var simd = RuntimeInfo.simd();
    assertEquals(true, simd.get("enabled"));
    assertEquals(DoubleVector.SPECIES_PREFERRED.length(), simd.get("lanes"));
    assertEquals(DoubleVector.SPECIES_PREFERRED.vectorBitSize(), simd.get("bits"));
  }

  @Test
  void arpackIsReportedWhetherOrNotItIsOnTheClassPath() {
    boolean present;
    try {
      Class.forName("dev.ludovic.netlib.arpack.ARPACK");
      present = true;
    } catch (ClassNotFoundException e) {
      present = false;
    }
    String name = RuntimeInfo.arpackName();
    if (present) {
      assertTrue(name.endsWith("(native)") || name.endsWith("(java)"), name);
    } else {
      assertEquals("not on the class path", name);
    }
  }

  @Test
  void linesNameEveryBackEndOnce() {
    List<String> lines = RuntimeInfo.collect().lines();
    String[] keys = {"blas", "lapack", "arpack", "openblas", "determinism", "kernels", "simd", "jdk", "cpu", "memory", "threads"};
    assertEquals(keys.length, lines.size(), String.join("\n", lines));
    for (int i = 0; i < keys.length; i++) assertTrue(lines.get(i).startsWith(keys[i] + ": "), lines.get(i));
    assertEquals("blas: " + Linalg.blasName(), lines.get(0));
    assertEquals("kernels: " + KernelProvider.get().name(), lines.get(5));
    if (OpenBlas.isAvailable()) {
      assertTrue(lines.get(3).startsWith("openblas: " + OpenBlas.coreName() + " kernels ("
          + OpenBlas.kernelChoice().describe(OpenBlas.coreName()) + ")"), lines.get(3));
    } else {
      assertTrue(lines.get(3).startsWith("openblas: unavailable"), lines.get(3));
    }
  }

  @Test
  void mapSurvivesAJsonRoundTrip() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    RuntimeInfo info = RuntimeInfo.collect();
    JsonNode json = mapper.readTree(mapper.writeValueAsString(info.toMap()));
    assertEquals(Runtime.getRuntime().availableProcessors(), json.get("cpu").get("cores").asInt());
    assertEquals(Runtime.getRuntime().maxMemory(), json.get("memory").get("maxHeapBytes").asLong());
    assertEquals(OpenBlas.isAvailable(), json.get("openblas").get("available").asBoolean());
    assertEquals(System.getProperty("java.version"), json.get("jdk").get("version").asText());
  }

  @Test
  void cpuModelIsReadFromCpuinfo(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("cpuinfo");
    Files.writeString(f, "processor\t: 0\nvendor_id\t: X\nmodel name\t: Test CPU @ 1GHz\nflags\t: fpu\n");
    assertEquals("Test CPU @ 1GHz", RuntimeInfo.cpuModel(f));
    assertNull(RuntimeInfo.cpuModel(dir.resolve("none")));
  }
}
