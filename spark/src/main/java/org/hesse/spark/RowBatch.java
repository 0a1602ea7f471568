package org.hesse.spark;

import java.io.Serializable;

/**
 * Rows of a data set as they travel between Spark stages: features row-major ({@code rows × features}) and targets
 * in the loss's layout ({@code rows × targetWidth}: class indices as doubles for cross-entropy, values for mse).
 */
public record RowBatch(int rows, double[] x, double[] y) implements Serializable {
  public RowBatch {
    if (rows < 0) throw new IllegalArgumentException("rows: expected >= 0, got " + rows);
  }

  /** Concatenates batches of one partition (in order) into one. */
  static RowBatch concat(java.util.List<RowBatch> parts) {
    if (parts.size() == 1) return parts.get(0);
    int rows = 0;
    int xs = 0;
    int ys = 0;
    for (RowBatch b : parts) {
      rows += b.rows;
      xs += b.x.length;
      ys += b.y.length;
    }
    double[] x = new double[xs];
    double[] y = new double[ys];
    int xo = 0;
    int yo = 0;
    for (RowBatch b : parts) {
      System.arraycopy(b.x, 0, x, xo, b.x.length);
      System.arraycopy(b.y, 0, y, yo, b.y.length);
      xo += b.x.length;
      yo += b.y.length;
    }
    return new RowBatch(rows, x, y);
  }
}
