package org.hesse.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Per-epoch metrics as CSV, {@code epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr}, one row per
 * epoch. A value that does not apply (accuracy for mse, validation without validation data, the lr of epoch 0)
 * is an empty field. Numbers are written with {@link Double#toString}, which reads back to the same bits.
 * The file is replaced atomically: readers see the old or the new content, never a partial file.
 */
public final class MetricsCsv {
  public static final String HEADER = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr";

  private MetricsCsv() {}

  public static String format(List<EpochMetrics> history) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (EpochMetrics m : history) {
      sb.append(m.epoch());
      field(sb, m.trainLoss());
      field(sb, m.trainAccuracy());
      field(sb, m.valLoss());
      field(sb, m.valAccuracy());
      field(sb, m.lr());
      sb.append('\n');
    }
    return sb.toString();
  }

  private static void field(StringBuilder sb, double v) {
    sb.append(',');
    if (!Double.isNaN(v)) sb.append(v);
  }

  /** Writes the history to {@code file} atomically ({@link org.hesse.io.AtomicFiles}). */
  public static void write(Path file, List<EpochMetrics> history) {
    try {
      org.hesse.io.AtomicFiles.writeString(file, format(history));
    } catch (IOException e) {
      throw new UncheckedIOException("metrics: cannot write " + file.toAbsolutePath(), e);
    }
  }
}
