package org.hesse.fuzz;

/**
 * The contract every reader's fuzz target checks: whatever the bytes, the reader returns a result or throws
 * {@link org.hesse.io.InputException} (the documented error type); any other exception or error escapes the target
 * and is a finding. Each target replays its committed corpus ({@code src/test/resources/org/hesse/fuzz/<Class>Inputs/})
 * in the default suite; {@code mvn -Pfuzz test -pl java-core} fuzzes each target for {@link #EXECUTIONS} inputs.
 */
final class FuzzContract {
  private FuzzContract() {}

  /** Executions per target under {@code -Pfuzz} (JAZZER_FUZZ=1); the default suite only replays the corpus. */
  static final long EXECUTIONS = 1_000_000;

  interface Reading {
    Object read() throws Exception;
  }

  /** Runs a reader; an {@link org.hesse.io.InputException} is an accepted outcome, anything else propagates. */
  static void onlyInputErrors(Reading r) throws Exception {
    try {
      r.read();
    } catch (org.hesse.io.InputException expected) {
      if (expected.getMessage() == null || expected.getMessage().contains("\n")) {
        throw new AssertionError("an input error must be one line: " + expected.getMessage(), expected);
      }
    }
  }
}
