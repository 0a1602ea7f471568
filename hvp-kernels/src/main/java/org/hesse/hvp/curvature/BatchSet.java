package org.hesse.hvp.curvature;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Function;
import org.hesse.nn.Objective;

/**
 * The batches of a curvature and what is kept of them ({@link Curvature.CacheMode}), for either precision's batch
 * cache C ({@code Curvature.BatchCache} or its float32 twin {@code BatchCache32}): the first {@code cached} batches
 * keep their forward data; the others are streamed, each recomputed when a loop reaches it in a workspace the loop
 * borrows (one per concurrent loop). {@link Curvature} and {@link Float32Curvature} both run their batches through
 * here, so caching and streaming are one piece of code and every mode sums the same batches in the same order.
 */
final class BatchSet<C> {
  /** What a batch set needs of a precision: make a cache, load data into it, run its forward. */
  interface Caches<C> {
    /** A cache for {@code rows} rows: a new workspace and targets array, or those of {@code sharing} when not null. */
    C create(int rows, C sharing);

    /** Copies the features x[xFrom ..] and targets y[yFrom ..] of the cache's rows into it. */
    void load(C c, double[] x, int xFrom, double[] y, int yFrom);

    /** Forward, signals and prepared quantities at the current parameters; returns the batch's share of the loss. */
    double forward(C c);
  }

  /** What a loop over the batches does with one: batch b (its rows start at b · batchSize) and its cache. */
  interface Visitor<C> {
    void visit(int b, C c);
  }

  private final Caches<C> caches;
  private final int samples;
  private final int maxBatch;
  private final int count;
  private final int cached;
  private final int inputWidth;
  private final int targetWidth;
  final List<C> kept = new ArrayList<>();  // batches 0 .. cached - 1
  // the streamed batches' data (copied, as the kept caches copy theirs; null when every batch is kept), the idle
  // workspaces loops borrow, and a counter of recomputes that tells a workspace whether what it holds is current
  final double[] features;  // rows from cached · batchSize on
  final double[] targets;
  final ConcurrentLinkedDeque<Streamed> idle = new ConcurrentLinkedDeque<>();
  private long generation;

  /** Batches of obj's data; the first {@code cached} kept. Nothing is computed until {@link #recompute}. */
  BatchSet(Objective obj, int cached, Caches<C> caches) {
    this.caches = caches;
    this.samples = obj.samples();
    this.maxBatch = obj.batchSize();
    this.count = obj.batches();
    this.cached = cached;
    this.inputWidth = obj.network().inputSize();
    this.targetWidth = obj.network().loss().targetWidth(obj.network().outputSize());
    boolean streams = cached < count;
    long first = (long) cached * maxBatch;  // the first streamed row
    double[] x = obj.features();
    double[] y = obj.targets();
    features = streams ? Arrays.copyOfRange(x, Math.toIntExact(first * inputWidth), x.length) : null;
    targets = streams ? Arrays.copyOfRange(y, Math.toIntExact(first * targetWidth), y.length) : null;
    for (int b = 0; b < cached; b++) {
      C c = caches.create(rows(b), null);
      caches.load(c, x, b * maxBatch * inputWidth, y, b * maxBatch * targetWidth);
      kept.add(c);
    }
  }

  /**
   * Forward, signals and prepared quantities of every kept batch at the current parameters, then one pass over the
   * streamed ones, in batch order; returns the loss (the sum of the batches'). Loops recompute the streamed batches.
   */
  double recompute() {
    generation++;
    double total = 0;
    for (C c : kept) total += caches.forward(c);
    if (cached < count) {
      Streamed s = borrow();
      try {
        for (int b = cached; b < count; b++) total += s.load(b);
      } finally {
        idle.push(s);
      }
    }
    return total;
  }

  /** New data of the same size (features row-major, targets; checked by the caller): kept batches reloaded. */
  void load(double[] x, double[] y) {
    if (features != null) {
      System.arraycopy(x, x.length - features.length, features, 0, features.length);
      System.arraycopy(y, y.length - targets.length, targets, 0, targets.length);
    }
    for (int b = 0; b < cached; b++) {
      caches.load(kept.get(b), x, b * maxBatch * inputWidth, y, b * maxBatch * targetWidth);
    }
  }

  /** Rows in batch b: batchSize, the last one partial. */
  int rows(int b) {
    return Math.min(maxBatch, samples - b * maxBatch);
  }

  /** How many batches are kept (the first ones). */
  int cached() { return cached; }

  /** How many batches there are. */
  int count() { return count; }

  /** Counts the recomputes: what was formed from the forward data at another count is stale. */
  long generation() { return generation; }

  /**
   * A streaming workspace: the forward data of one batch at a time, recomputed when asked for another batch or after
   * the parameters moved. Its two caches share the workspace: one for full batches, one for the last (partial)
   * batch, since a rule's view is made for a number of rows.
   */
  final class Streamed {
    final C full;
    final C last;
    int batch = -1;
    long at = -1;

    Streamed() {
      full = caches.create(maxBatch, null);
      int lastRows = rows(count - 1);
      last = lastRows == maxBatch ? full : caches.create(lastRows, full);
    }

    C of(int b) {
      return rows(b) == maxBatch ? full : last;
    }

    /** Recomputes batch b here; returns its loss. */
    double load(int b) {
      C c = of(b);
      batch = -1;  // not valid until the pass completes
      int row = (b - cached) * maxBatch;
      caches.load(c, features, row * inputWidth, targets, row * targetWidth);
      double l = caches.forward(c);
      batch = b;
      at = generation;
      return l;
    }

    /** Batch b's cache at the current parameters (recomputed unless this workspace already holds it). */
    C get(int b) {
      if (batch != b || at != generation) load(b);
      return of(b);
    }
  }

  private Streamed borrow() {
    Streamed s = idle.poll();
    return s != null ? s : new Streamed();
  }

  /**
   * Calls f on every batch in order: the kept batches, then the streamed ones, each recomputed in a workspace
   * borrowed for the loop.
   */
  void forEach(Visitor<C> f) {
    for (int b = 0; b < cached; b++) f.visit(b, kept.get(b));
    if (cached == count) return;
    Streamed s = borrow();
    try {
      for (int b = cached; b < count; b++) f.visit(b, s.get(b));
    } finally {
      idle.push(s);
    }
  }

  /** f on batch b's cache (streamed: recomputed in a borrowed workspace unless it holds b already). */
  <T> T with(int b, Function<C, T> f) {
    Objects.checkIndex(b, count);
    if (b < cached) return f.apply(kept.get(b));
    Streamed s = borrow();
    try {
      return f.apply(s.get(b));
    } finally {
      idle.push(s);
    }
  }
}
