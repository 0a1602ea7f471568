package org.hesse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.hesse.nativelib.OpenBlas;
import org.junit.jupiter.api.Test;

class ThreadPolicyTest {
  private static Properties props(String java, String blas) {
    Properties p = new Properties();
    if (java != null) p.setProperty(ThreadPolicy.JAVA_PROPERTY, java);
    if (blas != null) p.setProperty(ThreadPolicy.BLAS_PROPERTY, blas);
    return p;
  }

  @Test
  void defaultIsOneJavaWorkerAndAllCoresForBlas() {
    for (int cores = 1; cores <= 16; cores++) {
      ThreadPolicy p = ThreadPolicy.fromProperties(new Properties(), cores);
      assertEquals(1, p.javaWorkers());
      assertEquals(cores, p.blasThreads());
    }
  }

  @Test
  void oneSettingGivesTheOtherTheLargestCountThatFits() {
    // Checked against the definition: product <= cores, and one more thread would not fit.
    for (int cores = 1; cores <= 16; cores++) {
      for (int n = 1; n <= cores; n++) {
        ThreadPolicy j = ThreadPolicy.fromProperties(props(Integer.toString(n), null), cores);
        assertEquals(n, j.javaWorkers());
        assertTrue(j.javaWorkers() * j.blasThreads() <= cores);
        assertTrue(j.javaWorkers() * (j.blasThreads() + 1) > cores || j.blasThreads() == 0);
        ThreadPolicy b = ThreadPolicy.fromProperties(props(null, Integer.toString(n)), cores);
        assertEquals(n, b.blasThreads());
        assertTrue(b.javaWorkers() * b.blasThreads() <= cores);
        assertTrue((b.javaWorkers() + 1) * b.blasThreads() > cores);
      }
    }
  }

  @Test
  void oversubscriptionIsRejectedWithTheNumbers() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.fromProperties(props("2", "3"), 4));
    assertTrue(e.getMessage().startsWith("-D" + ThreadPolicy.JAVA_PROPERTY) && e.getMessage().contains("at most 4")
        && e.getMessage().contains("2 × 3 = 6"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.of(2, 3, 4));
    assertTrue(e.getMessage().startsWith("javaWorkers × blasThreads") && e.getMessage().contains("2 × 3 = 6"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.fromProperties(props("5", null), 4));
    assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.of(0, 1, 4));
    assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.of(1, 1, 0));
  }

  @Test
  void malformedPropertyIsNamedInTheMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.fromProperties(props(null, "two"), 4));
    assertTrue(e.getMessage().contains(ThreadPolicy.BLAS_PROPERTY) && e.getMessage().contains("'two'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.fromProperties(props("0", null), 4));
  }

  @Test
  void installSetsOpenBlasThreadsWhenAvailable() {
    ThreadPolicy before = ThreadPolicy.current();
    try {
      ThreadPolicy one = ThreadPolicy.of(1, 1);
      ThreadPolicy.install(one);
      assertEquals(one, ThreadPolicy.current());
      if (OpenBlas.isAvailable()) {
        assertEquals(1, OpenBlas.numThreads());
        assertTrue(one.describe().contains("OpenBLAS now uses 1"), one.describe());
      } else {
        assertEquals(-1, OpenBlas.numThreads());
        assertTrue(one.describe().contains("unavailable"), one.describe());
      }
    } finally {
      ThreadPolicy.install(before);
    }
    if (OpenBlas.isAvailable()) assertEquals(before.blasThreads(), OpenBlas.numThreads());
  }

  @Test
  void describeStatesTheSplit() {
    String d = ThreadPolicy.of(2, 3, 8).describe();
    assertTrue(d.startsWith("2 Java workers × 3 BLAS threads on 8 cores"), d);
  }
}
