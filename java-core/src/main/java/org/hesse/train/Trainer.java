package org.hesse.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.hesse.nn.CrossEntropy;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;

/**
 * Mini-batch training of a {@link Network} on in-memory arrays, as a PyTorch loop over a
 * {@code DataLoader(shuffle=True, drop_last=False)}:
 * <ul>
 *   <li>every epoch visits the N training rows in a fresh random permutation (Fisher–Yates drawn from one
 *       {@link SplittableRandom} seeded at the start of {@link #fit}), in batches of {@code batchSize} rows, the
 *       last one partial. Same seed, data, initial θ and optimizer state → same order → same bits;</li>
 *   <li>a batch's loss is the mean over its B rows (scale 1/B in {@link Network#lossAndGradient}) and the
 *       optimizer takes one step on its gradient, with the rate {@code schedule.lr(epoch − 1, step − 1, steps)};</li>
 *   <li>after each epoch the training loss and accuracy are evaluated over the whole training set at the
 *       epoch's final θ (not the running mean of batch losses, which is reported alongside as
 *       {@link EpochMetrics#runningLoss()}), and likewise on the validation set when one is given;</li>
 *   <li>steps run in {@link Mode#TRAIN} (BN batch statistics with running-statistics updates in the buffer
 *       vector, dropout drawn from a generator seeded from the seed but independent of the shuffling one);
 *       evaluations in {@link Mode#EVAL} (running statistics, no dropout), as PyTorch's train()/eval(). As in
 *       PyTorch, a BN layer refuses a training batch with one value per channel (e.g. a last batch of 1 row): pick
 *       a batch size that does not leave one;</li>
 *   <li>after every {@code every}-th step the step listener (if any) sees copies of θ and of the batch;</li>
 *   <li>the metrics are appended to the history, the CSV file (if any) is rewritten atomically, and the
 *       listener (if any) is called with a copy of θ.</li>
 * </ul>
 * A NaN or infinite batch loss, or a non-finite loss in the end-of-epoch evaluation, stops training with a
 * {@link TrainingDivergedException}; the epochs recorded before stay in the exception, and in the CSV file.
 * The configuration is immutable; {@link #fit} allocates its buffers once per call and none per step.
 */
public final class Trainer {
  /** Default rows per batch of the end-of-epoch evaluations (does not change any value, only the batching). */
  public static final int DEFAULT_EVAL_BATCH = 256;

  /** Mixed into the seed for the dropout generator, which is independent of the shuffling one. */
  static final long DROPOUT_STREAM = 0x5DEECE66DL * 0x9E3779B97F4A7C15L;

  private final Network net;
  private final Optimizer optimizer;
  private final Schedule schedule;
  private final int batchSize;
  private final int epochs;
  private final long seed;
  private final EpochListener listener;
  private final StepListener stepListener;
  private final int stepEvery;
  private final Path metricsCsv;
  private final boolean evaluateInitial;
  private final int evalBatchSize;

  private Trainer(Builder b) {
    this.net = b.net;
    this.optimizer = b.optimizer;
    this.schedule = b.schedule;
    this.batchSize = b.batchSize;
    this.epochs = b.epochs;
    this.seed = b.seed;
    this.listener = b.listener;
    this.stepListener = b.stepListener;
    this.stepEvery = b.stepEvery;
    this.metricsCsv = b.metricsCsv;
    this.evaluateInitial = b.evaluateInitial;
    this.evalBatchSize = b.evalBatchSize;
  }

  public static Builder builder(Network net, Optimizer optimizer, Schedule schedule) {
    return new Builder(net, optimizer, schedule);
  }

  public int batchSize() { return batchSize; }
  public int epochs() { return epochs; }
  public long seed() { return seed; }

  /** Trains without validation data. */
  public List<EpochMetrics> fit(double[] theta, double[] x, double[] y) {
    return fit(theta, x, y, null, null);
  }

  /**
   * Trains {@code theta} in place and returns the per-epoch metrics (epoch 0 first when the initial parameters
   * are evaluated). The optimizer's state carries on from whatever it held; {@link Optimizer#reset()} it for a
   * fresh run.
   *
   * @param x    row-major N × input training features
   * @param y    row-major N × targetWidth training targets (class indices for cross_entropy)
   * @param xVal validation features, or null
   * @param yVal validation targets, or null (both or neither)
   * @throws TrainingDivergedException when a loss is NaN or infinite; theta then holds the parameters after the
   *     last step taken (possibly non-finite), and the exception the metrics of the epochs completed before
   */
  public List<EpochMetrics> fit(double[] theta, double[] x, double[] y, double[] xVal, double[] yVal) {
    return fit(theta, net.bufferCount() == 0 ? null : net.initialBuffers(), x, y, xVal, yVal);
  }

  /** Trains without validation data, updating {@code buffers} in place. */
  public List<EpochMetrics> fit(double[] theta, double[] buffers, double[] x, double[] y) {
    return fit(theta, buffers, x, y, null, null);
  }

  /**
   * As {@link #fit(double[], double[], double[], double[], double[])}, with the network's buffer vector (BN
   * running statistics; null or empty for networks without buffers), which training steps update in place:
   * steps run in {@link Mode#TRAIN}, evaluations in {@link Mode#EVAL} with these buffers. A listener may read
   * the caller's array between epochs.
   */
  public List<EpochMetrics> fit(double[] theta, double[] buffers, double[] x, double[] y, double[] xVal,
                                double[] yVal) {
    checkBuffers(net, buffers);
    int n = checkData(net, theta, x, y, "x", "y");
    if ((xVal == null) != (yVal == null)) {
      throw new IllegalArgumentException("validation: give both xVal and yVal or neither, got "
          + (xVal == null ? "yVal only" : "xVal only"));
    }
    if (xVal != null) checkData(net, theta, xVal, yVal, "xVal", "yVal");
    if (optimizer.size() != net.paramCount()) {
      throw new IllegalArgumentException("optimizer: sized for " + optimizer.size() + " parameters, the network has "
          + net.paramCount());
    }
    int d = net.inputSize();
    int c = net.outputSize();
    int tw = net.loss().targetWidth(c);
    boolean classes = net.loss() instanceof CrossEntropy;
    int rowsPerBatch = Math.min(batchSize, n);
    int steps = (n + rowsPerBatch - 1) / rowsPerBatch;

    // dropout draws from its own stream, so networks without it shuffle (and train) bit for bit as before
    Workspace ws = net.newWorkspace(rowsPerBatch).mode(Mode.TRAIN).buffers(buffers)
        .rng(new SplittableRandom(seed ^ DROPOUT_STREAM));
    double[] yBatch = new double[rowsPerBatch * tw];
    double[] grad = new double[net.paramCount()];
    double[] view = new double[net.paramCount()];
    int[] perm = new int[n];
    double[] xView = stepListener == null ? null : new double[rowsPerBatch * d];
    double[] yView = stepListener == null ? null : new double[rowsPerBatch * tw];
    Evaluator evaluator = new Evaluator(net, evalBatchSize);
    SplittableRandom rng = new SplittableRandom(seed);
    List<EpochMetrics> history = new ArrayList<>();
    long totalSteps = 0;

    if (evaluateInitial) {
      Evaluator.Result tr = evaluator.evaluate(theta, buffers, x, y);
      Evaluator.Result va = xVal == null ? null : evaluator.evaluate(theta, buffers, xVal, yVal);
      checkEvaluation(tr, va, 0, 0, steps, history);
      record(new EpochMetrics(0, 0, Double.NaN, tr.loss(), tr.accuracy(), va == null ? Double.NaN : va.loss(),
          va == null ? Double.NaN : va.accuracy(), Double.NaN, Double.NaN), theta, view, history);
    }

    for (int epoch = 1; epoch <= epochs; epoch++) {
      for (int i = 0; i < n; i++) perm[i] = i;
      org.hesse.data.Split.shuffle(perm, rng);
      double running = 0;
      long correct = 0;
      double lr = Double.NaN;
      for (int s = 0; s < steps; s++) {
        int start = s * rowsPerBatch;
        int rows = Math.min(rowsPerBatch, n - start);
        double[] in = ws.input();
        for (int r = 0; r < rows; r++) {
          int idx = perm[start + r];
          System.arraycopy(x, idx * d, in, r * d, d);
          System.arraycopy(y, idx * tw, yBatch, r * tw, tw);
        }
        lr = schedule.lr(epoch - 1, s, steps);
        if (!(lr >= 0) || Double.isInfinite(lr)) {
          throw new IllegalArgumentException("schedule: lr at epoch " + epoch + ", step " + (s + 1)
              + " is " + lr + ", expected a finite value >= 0");
        }
        Arrays.fill(grad, 0.0);
        double loss = net.lossAndGradient(theta, ws, yBatch, rows, 1.0 / rows, grad);
        if (!Double.isFinite(loss)) {
          throw new TrainingDivergedException("training diverged at epoch " + epoch + ", step " + (s + 1)
              + " of " + steps + ": batch loss is " + loss, epoch, s + 1, loss, history);
        }
        running += loss * rows;
        if (classes) correct += Evaluator.correct(ws.output(), yBatch, rows, c);
        optimizer.observeBatch(ws, rows);
        optimizer.step(theta, grad, lr);
        totalSteps++;
        if (stepListener != null && totalSteps % stepEvery == 0) {
          // copies: whatever the listener does with them, training reads only its own arrays
          System.arraycopy(theta, 0, view, 0, theta.length);
          System.arraycopy(in, 0, xView, 0, rows * d);
          System.arraycopy(yBatch, 0, yView, 0, rows * tw);
          stepListener.onStep(totalSteps, epoch, view, xView, yView, rows);
        }
      }
      Evaluator.Result tr = evaluator.evaluate(theta, buffers, x, y);
      Evaluator.Result va = xVal == null ? null : evaluator.evaluate(theta, buffers, xVal, yVal);
      checkEvaluation(tr, va, epoch, steps, steps, history);
      record(new EpochMetrics(epoch, totalSteps, lr, tr.loss(), tr.accuracy(),
          va == null ? Double.NaN : va.loss(), va == null ? Double.NaN : va.accuracy(),
          running / n, classes ? (double) correct / n : Double.NaN), theta, view, history);
    }
    return Collections.unmodifiableList(history);
  }

  private static void checkEvaluation(Evaluator.Result tr, Evaluator.Result va, int epoch, int step, int steps,
                                      List<EpochMetrics> history) {
    String where = epoch == 0 ? "at the initial parameters"
        : "after epoch " + epoch + ", step " + step + " of " + steps;
    if (!Double.isFinite(tr.loss())) {
      throw new TrainingDivergedException("training diverged " + where + ": training-set loss is " + tr.loss(),
          epoch, step, tr.loss(), history);
    }
    if (va != null && !Double.isFinite(va.loss())) {
      throw new TrainingDivergedException("training diverged " + where + ": validation loss is " + va.loss(),
          epoch, step, va.loss(), history);
    }
  }

  private void record(EpochMetrics m, double[] theta, double[] view, List<EpochMetrics> history) {
    history.add(m);
    if (metricsCsv != null) MetricsCsv.write(metricsCsv, history);
    if (listener != null) {
      System.arraycopy(theta, 0, view, 0, theta.length);
      listener.onEpoch(m, view);
    }
  }

  /** Checks a buffer vector against the network (null is fine when it has none). */
  static void checkBuffers(Network net, double[] buffers) {
    int len = buffers == null ? 0 : buffers.length;
    if (len != net.bufferCount()) {
      throw new IllegalArgumentException("buffers: expected " + net.bufferCount() + " values (running statistics), got "
          + (buffers == null ? "null" : len));
    }
  }

  /** Checks a data set against the network and returns its number of rows. */
  static int checkData(Network net, double[] theta, double[] x, double[] y, String xName, String yName) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("theta: expected " + net.paramCount() + " parameters, got " + theta.length);
    }
    int d = net.inputSize();
    int c = net.outputSize();
    int tw = net.loss().targetWidth(c);
    if (x.length == 0 || x.length % d != 0) {
      throw new IllegalArgumentException(xName + ": expected N × " + d + " values with N >= 1, got length " + x.length);
    }
    int n = x.length / d;
    if (y.length != n * tw) {
      throw new IllegalArgumentException(yName + ": expected " + n + " × " + tw + " = " + (n * tw)
          + " targets for " + n + " rows of " + xName + ", got " + y.length);
    }
    net.loss().checkTargets(y, n, c);
    return n;
  }

  /** Configuration of a {@link Trainer}. */
  public static final class Builder {
    private final Network net;
    private final Optimizer optimizer;
    private final Schedule schedule;
    private int batchSize = 32;
    private int epochs = 1;
    private long seed;
    private EpochListener listener;
    private StepListener stepListener;
    private int stepEvery = 1;
    private Path metricsCsv;
    private boolean evaluateInitial = true;
    private int evalBatchSize = DEFAULT_EVAL_BATCH;

    private Builder(Network net, Optimizer optimizer, Schedule schedule) {
      if (net == null) throw new IllegalArgumentException("net: expected a network, got null");
      if (optimizer == null) throw new IllegalArgumentException("optimizer: expected an optimizer, got null");
      if (schedule == null) throw new IllegalArgumentException("schedule: expected a schedule, got null");
      this.net = net;
      this.optimizer = optimizer;
      this.schedule = schedule;
    }

    /** Rows per mini-batch (default 32); a data set smaller than this is one full batch. */
    public Builder batchSize(int b) {
      if (b < 1) throw new IllegalArgumentException("batchSize: expected >= 1, got " + b);
      this.batchSize = b;
      return this;
    }

    /** Passes over the training set (default 1). */
    public Builder epochs(int e) {
      if (e < 1) throw new IllegalArgumentException("epochs: expected >= 1, got " + e);
      this.epochs = e;
      return this;
    }

    /** Seed of the shuffling generator (default 0). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    public Builder listener(EpochListener l) {
      this.listener = l;
      return this;
    }

    /** Call {@code l} after every {@code every}-th optimizer step (counted over the whole run). */
    public Builder stepListener(int every, StepListener l) {
      if (every < 1) throw new IllegalArgumentException("every: expected >= 1 steps, got " + every);
      this.stepEvery = every;
      this.stepListener = l;
      return this;
    }

    /** Rewrite this CSV file atomically after every epoch (default: none). */
    public Builder metricsCsv(Path file) {
      this.metricsCsv = file;
      return this;
    }

    /** Evaluate and record epoch 0, the initial parameters (default true). */
    public Builder evaluateInitial(boolean on) {
      this.evaluateInitial = on;
      return this;
    }

    /** Rows per batch of the end-of-epoch evaluations (default {@value #DEFAULT_EVAL_BATCH}). */
    public Builder evalBatchSize(int b) {
      if (b < 1) throw new IllegalArgumentException("evalBatchSize: expected >= 1, got " + b);
      this.evalBatchSize = b;
      return this;
    }

    public Trainer build() {
      if (optimizer.size() != net.paramCount()) {
        throw new IllegalArgumentException("optimizer: sized for " + optimizer.size() + " parameters, the network has "
            + net.paramCount());
      }
      return new Trainer(this);
    }
  }
}
