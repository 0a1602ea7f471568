package org.hesse.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Which kernels KernelProvider picks. Surefire starts the test JVM with {@code --add-modules jdk.incubator.vector}
 * (the parent pom's hesse.test.flags), so here Panama must be chosen. The documented switches
 * (KernelProvider's class comment: {@code -Dhesse.kernels=scalar} forces scalar; without the module the scalar
 * kernels run) are checked in child JVMs, because the choice is made once per process.
 */
class KernelProviderTest {

  @Test
  void picksPanamaWhenTheIncubatorModuleIsPresent() {
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "surefire must run with --add-modules jdk.incubator.vector (hesse.test.flags)");
    Kernels p = KernelProvider.panamaOrNull();
    assertNotNull(p, "module present but PanamaKernels could not be loaded");
    assertSame(p, KernelProvider.get());
    assertTrue(p.name().matches("panama\\(\\d+ x double\\)"), p.name());
    assertSame(p, KernelProvider.panamaOrNull(), "one instance per process");
  }

  @Test
  void scalarPropertyAndMissingModuleSelectScalar() throws Exception {
    assertEquals("scalar", childKernelName(true, "-Dhesse.kernels=scalar"));
    assertEquals("scalar", childKernelName(false));
    assertEquals(KernelProvider.get().name(), childKernelName(true));
  }

  /** Runs {@link PrintKernels} in a fresh JVM (same java, same class directories) and returns what it prints. */
  private static String childKernelName(boolean withModule, String... props) throws IOException, InterruptedException, URISyntaxException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    String cp = location(KernelProvider.class) + File.pathSeparator + location(PrintKernels.class);
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1"));
    if (withModule) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
    cmd.addAll(Arrays.asList(props));
    cmd.addAll(List.of("-cp", cp, PrintKernels.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
    assertEquals(0, p.exitValue(), "child JVM failed: " + cmd);
    return out;
  }

  private static String location(Class<?> c) throws URISyntaxException {
    Path p = Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    return p.toString();
  }

  /** Child-JVM entry point: prints the name of the chosen kernels. */
  public static final class PrintKernels {
    public static void main(String[] args) {
      System.out.println(KernelProvider.get().name());
    }
  }
}
