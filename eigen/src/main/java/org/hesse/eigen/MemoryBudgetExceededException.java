package org.hesse.eigen;

/** A dense computation was refused before allocating because it would need more bytes than its budget. */
public final class MemoryBudgetExceededException extends RuntimeException {
  private final long bytesNeeded;
  private final long budgetBytes;

  public MemoryBudgetExceededException(String what, long bytesNeeded, long budgetBytes) {
    super(what + " needs " + bytesNeeded + " bytes (" + mib(bytesNeeded) + " MiB) but the memory budget is "
        + budgetBytes + " bytes (" + mib(budgetBytes) + " MiB); raise it with MemoryBudget.setDefault or the"
        + " budget argument, or use a matrix-free method (ARPACK, SLQ)");
    this.bytesNeeded = bytesNeeded;
    this.budgetBytes = budgetBytes;
  }

  private static String mib(long b) {
    return String.format("%.1f", b / (1024.0 * 1024.0));
  }

  public long bytesNeeded() {
    return bytesNeeded;
  }

  public long budgetBytes() {
    return budgetBytes;
  }
}
