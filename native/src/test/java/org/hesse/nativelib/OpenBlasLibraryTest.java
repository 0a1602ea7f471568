package org.hesse.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks the JNI bridge against sources independent of it: the dynamic loader's own view of the process
 * (/proc/self/maps, the library directories), the file name of the loaded library, and OpenBLAS's
 * configuration string. Where OpenBLAS is absent the same tests check the graceful path instead.
 */
class OpenBlasLibraryTest {
  private static final List<Path> LIB_DIRS =
      List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
          Path.of("/usr/lib/aarch64-linux-gnu"), Path.of("/usr/lib"));

  private static boolean openBlasInstalled() {
    return LIB_DIRS.stream().anyMatch(d -> Files.exists(d.resolve("libopenblas.so.0")));
  }

  @Test
  void bridgeIsPackagedAndLoadsWhenBuilt() {
    boolean packaged = NativeLoader.class.getClassLoader().getResource(NativeLoader.resourcePath("hesse_openblas")) != null;
    assertEquals(packaged, OpenBlasLibrary.bridge().loaded(), OpenBlasLibrary.bridge().toString());
  }

  @Test
  void availabilityMatchesTheInstalledLibraries() {
    assumeTrue(OpenBlasLibrary.bridge().loaded(), "JNI bridge not built here");
    assertEquals(openBlasInstalled(), OpenBlas.isAvailable(), String.valueOf(OpenBlas.unavailableReason()));
  }

  @Test
  void loadedLibraryIsMappedIntoThisProcessAndItsVersionMatchesTheConfig() throws IOException {
    assumeTrue(OpenBlas.isAvailable(), "OpenBLAS not available: " + OpenBlas.unavailableReason());
    String path = OpenBlas.ensureLoaded().libraryPath();
    assertNotNull(path);
    String maps = Files.readString(Path.of("/proc/self/maps"));
    String real = Path.of(path).toRealPath().toString();
    assertTrue(maps.contains(real), "expected " + real + " in /proc/self/maps");
    // The file is e.g. libopenblasp-r0.3.21.so; the config string starts "OpenBLAS 0.3.21 ".
    Matcher file = Pattern.compile("r(\\d+\\.\\d+\\.\\d+)").matcher(Path.of(real).getFileName().toString());
    Matcher config = Pattern.compile("^OpenBLAS (\\d+\\.\\d+\\.\\d+)").matcher(OpenBlas.config());
    assertTrue(config.find(), OpenBlas.config());
    if (file.find()) assertEquals(file.group(1), config.group(1));
  }

  @Test
  void coreNameIsTheOneTheConfigNames() {
    assumeTrue(OpenBlas.isAvailable(), "OpenBLAS not available: " + OpenBlas.unavailableReason());
    String core = OpenBlas.coreName();
    assertNotNull(core);
    assertFalse(core.isEmpty());
    // A DYNAMIC_ARCH build lists the kernel set it chose in its configuration string.
    String config = OpenBlas.config();
    if (config.contains("DYNAMIC_ARCH")) {
      assertTrue(config.toLowerCase().contains(core.toLowerCase()), config + " vs " + core);
    }
  }

  @Test
  void setNumThreadsRoundTripsAndIsRestored() {
    assumeTrue(OpenBlas.isAvailable(), "OpenBLAS not available: " + OpenBlas.unavailableReason());
    int before = OpenBlas.numThreads();
    assertTrue(before >= 1, "threads " + before);
    try {
      int other = before == 1 ? 2 : 1;
      assertTrue(OpenBlas.setNumThreads(other));
      assertEquals(other, OpenBlas.numThreads());
    } finally {
      OpenBlas.setNumThreads(before);
    }
    assertEquals(before, OpenBlas.numThreads());
  }

  @Test
  void setNumThreadsRejectsNonPositiveCounts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenBlas.setNumThreads(0));
    assertTrue(e.getMessage().contains("n:") && e.getMessage().contains("got 0"), e.getMessage());
  }

  @Test
  void missingLibraryDegradesWithAReasonNamingIt() {
    OpenBlasLibrary lib = OpenBlasLibrary.open(List.of("libhesse_no_such_blas.so.7"));
    assertFalse(lib.isAvailable());
    assertTrue(lib.reason().contains(OpenBlasLibrary.bridge().loaded() ? "libhesse_no_such_blas.so.7" : "JNI bridge"),
        lib.reason());
    assertNull(lib.coreName());
    assertNull(lib.config());
    assertNull(lib.libraryPath());
    assertEquals(-1, lib.numThreads());
    assertFalse(lib.setNumThreads(1));
  }

  @Test
  void libraryWithoutOpenBlasSymbolsIsNotTakenForOpenBlas() {
    assumeTrue(OpenBlasLibrary.bridge().loaded(), "JNI bridge not built here");
    // libm resolves everywhere glibc does but exports no openblas_* symbol.
    OpenBlasLibrary lib = OpenBlasLibrary.open(List.of("libm.so.6"));
    assertFalse(lib.isAvailable());
    assertTrue(lib.reason().contains("libm.so.6") && lib.reason().contains(OpenBlasLibrary.MARKER_SYMBOL), lib.reason());
  }

  @Test
  void emptyCandidateListIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenBlasLibrary.open(List.of()));
    assertTrue(e.getMessage().startsWith("candidates:"), e.getMessage());
  }

  @Test
  void loaderReportsAMissingResourceInsteadOfThrowing() {
    NativeLoader.Result r = NativeLoader.load("hesse_no_such_library");
    assertFalse(r.loaded());
    assertTrue(r.detail().contains("hesse_no_such_library") || r.detail().contains("no native build"), r.detail());
  }
}
