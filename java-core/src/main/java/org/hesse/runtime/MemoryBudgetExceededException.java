package org.hesse.runtime;

/** An allocation the memory budget refuses; carries the bytes it needed and the budget. */
public final class MemoryBudgetExceededException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final long needed;
  private final long budget;
  private final String what;

  public MemoryBudgetExceededException(String what, long needed, long budget) {
    super(what + " needs " + MemoryBudget.format(needed) + " (" + needed + " bytes) but the memory budget is "
        + MemoryBudget.format(budget) + " (" + budget + " bytes); raise it with -D" + MemoryBudget.PROPERTY
        + "=<bytes>[k|m|g] and -Xmx, or use a matrix-free method");
    this.needed = needed;
    this.budget = budget;
    this.what = what;
  }

  public long needed() {
    return needed;
  }

  public long budget() {
    return budget;
  }

  public String what() {
    return what;
  }
}
