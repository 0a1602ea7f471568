package org.hesse.runtime;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  @Test
  void parsesSuffixesAsPowersOf1024() {
    assertEquals(7L, MemoryBudget.parseBytes("7", "x"));
    assertEquals(512L * 1024, MemoryBudget.parseBytes("512k", "x"));
    assertEquals(64L * 1024 * 1024, MemoryBudget.parseBytes("64M", "x"));
    assertEquals(3L * 1024 * 1024 * 1024, MemoryBudget.parseBytes(" 3g ", "x"));
    assertEquals(2L * 1024 * 1024 * 1024, MemoryBudget.parseBytes("2GB", "x"));
  }

  @Test
  void rejectsMalformedSizesNamingTheArgument() {
    for (String bad : new String[] {"", "-1", "0", "abc", "1.5g", "9999999999g"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parseBytes(bad, "-Dhesse.memory.budget"));
      assertTrue(e.getMessage().startsWith("-Dhesse.memory.budget:") && e.getMessage().contains("'" + bad + "'"),
          e.getMessage());
    }
  }

  @Test
  void checkAllowsUpToTheBudgetAndNotOneByteMore() {
    MemoryBudget b = MemoryBudget.of(1000);
    assertDoesNotThrow(() -> b.check(1000, "x"));
    MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class, () -> b.check(1001, "block"));
    assertEquals(1001, e.needed());
    assertEquals(1000, e.budget());
    assertTrue(e.getMessage().startsWith("block needs") && e.getMessage().contains("(1001 bytes)")
        && e.getMessage().contains("(1000 bytes)"), e.getMessage());
    assertTrue(e instanceof IllegalArgumentException);
    assertTrue(b.fits(1000));
    assertFalse(b.fits(1001));
  }

  @Test
  void checkDoublesCountsEightBytesEachAndTreatsOverflowAsTooLarge() {
    MemoryBudget b = MemoryBudget.of(8L * 300 * 400);
    assertDoesNotThrow(() -> b.checkDoubles(300, 400, "a"));
    assertThrows(MemoryBudgetExceededException.class, () -> b.checkDoubles(301, 400, "a"));
    MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class,
        () -> MemoryBudget.of(Long.MAX_VALUE - 1).checkDoubles(1L << 32, 1L << 32, "huge"));
    assertEquals(Long.MAX_VALUE, e.needed());
  }

  @Test
  void defaultIsHalfTheMaximumHeap() {
    long max = Runtime.getRuntime().maxMemory();
    long expected = max / 2;
    assertTrue(Math.abs(MemoryBudget.defaults().bytes() - expected) <= 100, MemoryBudget.defaults().describe());
  }

  @Test
  void systemPropertyOverridesTheDefault() {
    String old = System.getProperty(MemoryBudget.PROPERTY);
    try {
      System.setProperty(MemoryBudget.PROPERTY, "3m");
      assertEquals(3L << 20, MemoryBudget.fromSystemProperties().bytes());
      assertTrue(MemoryBudget.fromSystemProperties().describe().startsWith("3.0 MiB"));
    } finally {
      if (old == null) System.clearProperty(MemoryBudget.PROPERTY);
      else System.setProperty(MemoryBudget.PROPERTY, old);
    }
  }

  @Test
  void formatPicksTheLargestUnit() {
    assertEquals("512 B", MemoryBudget.format(512));
    assertEquals("1.5 KiB", MemoryBudget.format(1536));
    assertEquals("2.0 GiB", MemoryBudget.format(2L << 30));
  }

  @Test
  void aBudgetAboveTheHeapIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MemoryBudget.checkWithinHeap(1L << 30, 256L << 20, "-Dhesse.memory.budget"));
    assertEquals("-Dhesse.memory.budget: a budget of 1.0 GiB exceeds the JVM's maximum heap of 256.0 MiB; expected at "
        + "most the heap (raise -Xmx or lower the budget)", e.getMessage());
    assertDoesNotThrow(() -> MemoryBudget.checkWithinHeap(256L << 20, 256L << 20, "x"));
    assertDoesNotThrow(() -> MemoryBudget.checkWithinHeap(1L << 40, Long.MAX_VALUE, "x")); // unbounded heap
    String saved = System.getProperty(MemoryBudget.PROPERTY);
    try {
      long tooMuch = MemoryBudget.configuredMaxHeap() / (1 << 20) + 1;
      System.setProperty(MemoryBudget.PROPERTY, tooMuch + "m");
      e = assertThrows(IllegalArgumentException.class, MemoryBudget::fromSystemProperties);
      assertTrue(e.getMessage().contains("exceeds the JVM's maximum heap"), e.getMessage());
    } finally {
      if (saved == null) System.clearProperty(MemoryBudget.PROPERTY);
      else System.setProperty(MemoryBudget.PROPERTY, saved);
    }
  }

  @Test
  void theHeapLimitIsTheConfiguredXmxNotMaxMemory() {
    // maxMemory() leaves out a survivor space under the serial/parallel collectors; the budget may use all of -Xmx
    long configured = MemoryBudget.configuredMaxHeap();
    assertTrue(configured >= Runtime.getRuntime().maxMemory(), configured + " < " + Runtime.getRuntime().maxMemory());
    for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-Xmx")) assertEquals(MemoryBudget.parseBytes(arg.substring(4), "-Xmx"), configured, arg);
    }
  }
}
