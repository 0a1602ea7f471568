package org.hesse.eigen;

import java.util.concurrent.atomic.AtomicLong;

/** Wraps an operator and counts vector applications (applyMany of k vectors counts k). Thread-safe. */
public final class CountingOperator implements LinearOperator {
  private final LinearOperator inner;
  private final AtomicLong count = new AtomicLong();

  /**
   * Counts the applications of inner.
   *
   * @param inner the operator to wrap, dimension &gt; 0
   */
  public CountingOperator(LinearOperator inner) {
    Checks.operator(inner);
    this.inner = inner;
  }

  @Override
  public int dim() {
    return inner.dim();
  }

  @Override
  public void apply(double[] x, double[] y) {
    count.incrementAndGet();
    inner.apply(x, y);
  }

  @Override
  public void applyMany(double[] x, double[] y, int k) {
    count.addAndGet(k);
    inner.applyMany(x, y, k);
  }

  @Override
  public boolean symmetric() {
    return inner.symmetric();
  }

  /**
   * Vector applications since construction or the last {@link #reset()}.
   *
   * @return the count
   */
  public long applications() {
    return count.get();
  }

  /** Sets the count to zero. */
  public void reset() {
    count.set(0);
  }
}
