package org.hesse.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;
import org.hesse.eigen.DenseEigen;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.io.AtomicFiles;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Dense;
import org.hesse.nn.Init;
import org.hesse.nn.Layer;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Residual;
import org.hesse.train.Schedule;
import org.hesse.train.Sgd;
import org.hesse.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hesse backmatching}: the conditioning comparisons of issue 6 (Zhang, Chen &amp; Liu 2018). For every
 * combination of initialisation (PyTorch default vs orthogonal), skip connections (plain blocks vs residual
 * blocks {@code x + α g(x)}) and batch normalisation (without vs with), a small tanh MLP is trained with SGD and, at
 * every epoch (0 = initial), each block's back-matching local Hessians are measured:
 * <ul>
 *   <li>weight side {@code J_θᵀJ_θ}: dense layers through the structure eig(C) ({@link BackMatching#weightSideEigenvalues});
 *       other parametrised layers (BN, residual blocks) through the dense matrix
 *       {@link BackMatching#weightSideMatrix} when it has at most {@code --max-dense} parameters (else skipped).
 *       Forward mode ANALYSIS: BN uses the statistics of each batch of {@code --analysis-batch} contiguous rows;</li>
 *   <li>input side {@code J_zᵀJ_z}: the per-sample matrix {@link BackMatching#inputSideMatrix} of the first
 *       {@code --samples} analysis samples, its condition number averaged over them; mode EVAL (BN with the
 *       running statistics of training: a per-sample matrix is undefined under batch statistics).</li>
 * </ul>
 * Condition number = λ_max / λ_min over the nonzero spectrum, eigenvalues ≤ {@value #REL_CUTOFF}·λ_max counting as
 * zero. Outputs (atomically): {@code backmatching.csv} (long format) and {@code backmatching.md} (per side, a
 * table of condition numbers per configuration and block over the epochs, and a summary).
 */
@Command(name = "backmatching", mixinStandardHelpOptions = true,
    description = "Back-matching local-Hessian conditioning per block over training: default vs orthogonal init, "
        + "with vs without skip connections, with vs without batch normalisation.")
public final class BackMatchingCommand implements Callable<Integer> {
  /** Relative zero cut-off of the condition numbers: |λ| ≤ REL_CUTOFF · max|λ| is zero. */
  static final double REL_CUTOFF = 1e-10;

  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, description = "Directory for backmatching.md and backmatching.csv.")
  Path out;

  @Option(names = "--dataset", defaultValue = "digits", description = "Bundled classification data set (default ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--width", defaultValue = "16", description = "Hidden width (default ${DEFAULT-VALUE}).")
  int width;

  @Option(names = "--blocks", defaultValue = "2", description = "Hidden blocks after the stem (default ${DEFAULT-VALUE}).")
  int blocks;

  @Option(names = "--epochs", defaultValue = "5", description = "Training epochs; checkpoints at 0..epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate, momentum 0.9 (default ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--batch", defaultValue = "64", description = "Training batch size (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--analysis-rows", defaultValue = "512", description = "Training rows the Hessians are measured on (default ${DEFAULT-VALUE}).")
  int analysisRows;

  @Option(names = "--analysis-batch", defaultValue = "64", description = "BN batch partition of the weight side (default ${DEFAULT-VALUE}).")
  int analysisBatch;

  @Option(names = "--samples", defaultValue = "4", description = "Samples whose input sides are averaged (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--max-dense", defaultValue = "400", description = "Largest weight side (parameters) of a non-dense layer assembled densely; 0: none (default ${DEFAULT-VALUE}).")
  int maxDense;

  @Option(names = "--alpha", defaultValue = "1.0", description = "Residual scale α (default ${DEFAULT-VALUE}).")
  double alpha;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation and shuffling (default ${DEFAULT-VALUE}).")
  long seed;

  /** One measured condition number. */
  record Row(String config, String init, boolean skip, boolean bn, int epoch, int layer, String block, String type,
             String side, int dim, double condition, double nonzero, double cutoff, double trainLoss) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter log = spec.commandLine().getOut();
    List<Row> rows = run(log);
    write(rows);
    log.println("wrote " + out.resolve("backmatching.md") + " and backmatching.csv (" + rows.size() + " rows)");
    return 0;
  }

  void check() {
    if (width < 1) throw new IllegalArgumentException("--width: expected >= 1, got " + width);
    if (blocks < 0) throw new IllegalArgumentException("--blocks: expected >= 0, got " + blocks);
    if (epochs < 0) throw new IllegalArgumentException("--epochs: expected >= 0, got " + epochs);
    if (batch < 2) throw new IllegalArgumentException("--batch: expected >= 2 (BN), got " + batch);
    if (analysisRows < 2) throw new IllegalArgumentException("--analysis-rows: expected >= 2, got " + analysisRows);
    if (analysisBatch < 2) throw new IllegalArgumentException("--analysis-batch: expected >= 2 (BN), got " + analysisBatch);
    if (samples < 1) throw new IllegalArgumentException("--samples: expected >= 1, got " + samples);
    if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr: expected a finite number > 0, got " + lr);
    if (maxDense < 0) throw new IllegalArgumentException("--max-dense: expected >= 0 parameters (0: none), got " + maxDense);
    if (!Double.isFinite(alpha)) throw new IllegalArgumentException("--alpha: expected a finite number, got " + alpha);
  }

  /** A tanh MLP: stem dense [BN] tanh, then {@code blocks} blocks dense [BN] tanh (residual when skip), classifier. */
  static Network model(int in, int width, int blocks, int classes, boolean skip, boolean bn, double alpha) {
    Network.Builder b = Network.builder(in).dense(width);
    if (bn) b.add(new BatchNorm(new int[] {width}));
    b.activation("tanh");
    for (int j = 0; j < blocks; j++) {
      List<Layer> inner = new ArrayList<>();
      inner.add(new Dense(width, width));
      if (bn) inner.add(new BatchNorm(new int[] {width}));
      inner.add(new org.hesse.nn.ActivationLayer(org.hesse.simd.Activation.byName("tanh"), new int[] {width}));
      if (skip) {
        b.add(new Residual(new int[] {width}, alpha, inner));
      } else {
        for (Layer l : inner) b.add(l);
      }
    }
    return b.dense(classes).build("cross_entropy");
  }

  List<Row> run(PrintWriter log) throws IOException {
    check();
    Dataset d = CliData.load(dataset, null, null, Dataset.Task.CLASSIFICATION, 0);
    if (!d.isClassification()) throw new IllegalArgumentException("--dataset: expected a classification data set, got " + dataset);
    Dataset std = Standardizer.fit(d).apply(d);
    double[] x = std.x();
    int n = d.size();
    int[] l = d.labels();
    double[] y = new double[n];
    for (int i = 0; i < n; i++) y[i] = l[i];
    int m = Math.min(analysisRows, n);
    double[] xa = java.util.Arrays.copyOf(x, m * d.numFeatures());
    double[] ya = java.util.Arrays.copyOf(y, m);
    if (n % batch == 1) throw new IllegalArgumentException("--batch: " + batch + " leaves a last batch of one row, which BN refuses");
    if (m % analysisBatch == 1) {
      throw new IllegalArgumentException("--analysis-batch: " + analysisBatch + " leaves a last batch of one row out of " + m);
    }
    List<Row> rows = new ArrayList<>();
    for (Init init : new Init[] {Init.PYTORCH, Init.ORTHOGONAL}) {
      for (boolean skip : new boolean[] {false, true}) {
        for (boolean bn : new boolean[] {false, true}) {
          String config = init.name().toLowerCase(Locale.ROOT) + (skip ? "+skip" : "") + (bn ? "+bn" : "");
          Network net = model(d.numFeatures(), width, blocks, d.numClasses(), skip, bn, alpha);
          double[] theta = init.init(net, seed);
          double[] buffers = net.bufferCount() == 0 ? null : net.initialBuffers();
          measure(rows, config, init, skip, bn, 0, net, theta, buffers, xa, ya, Double.NaN);
          if (epochs > 0) {
            Trainer t = Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 0.0, false), Schedule.constant(lr))
                .batchSize(batch).epochs(epochs).seed(seed).evaluateInitial(false)
                .listener((em, th) -> measure(rows, config, init, skip, bn, em.epoch(), net, th, buffers, xa, ya,
                    em.trainLoss()))
                .build();
            t.fit(theta, buffers, x, y);
          }
          log.println("backmatching: " + config + " done");
          log.flush();
        }
      }
    }
    return rows;
  }

  private static String blockName(Network net, int k) {
    Layer l = net.layer(k);
    return k + ":" + l.type();
  }

  private void measure(List<Row> rows, String config, Init init, boolean skip, boolean bn, int epoch, Network net,
                       double[] theta, double[] buffers, double[] x, double[] y, double trainLoss) {
    double[] buf = buffers == null ? null : buffers.clone();
    BackMatching weight = new BackMatching(Curvature.of(net, theta, buf, Mode.ANALYSIS, x, y, analysisBatch));
    BackMatching input = new BackMatching(Curvature.of(net, theta, buf, Mode.EVAL, x, y, analysisBatch));
    int s = Math.min(samples, x.length / net.inputSize());
    for (int k : net.parametrisedLayers()) {
      Layer l = net.layer(k);
      int p = l.paramCount();
      double[] eig = null;
      if (weight.structured(k)) {
        eig = weight.weightSideEigenvalues(k);
      } else if (p <= maxDense) {
        eig = DenseEigen.all(weight.weightSideMatrix(k), p, false).eigenvalues();
      }
      if (eig != null) {
        SpectralMetrics sm = metrics(eig);
        rows.add(new Row(config, init.name().toLowerCase(Locale.ROOT), skip, bn, epoch, k, blockName(net, k), l.type(),
            "weight", p, sm.conditionNumberPositive(), nonzero(eig, sm.zeroCutoff()), sm.zeroCutoff(), trainLoss));
      }
      if (k == 0) continue; // the stem's input side is the data's: the same in every configuration
      int in = l.inputSize();
      double sum = 0;
      double nz = 0;
      double cut = 0;
      for (int j = 0; j < s; j++) {
        double[] e = DenseEigen.all(input.inputSideMatrix(k, j), in, false).eigenvalues();
        SpectralMetrics sm = metrics(e);
        sum += sm.conditionNumberPositive();
        nz += nonzero(e, sm.zeroCutoff());
        cut = Math.max(cut, sm.zeroCutoff());
      }
      rows.add(new Row(config, init.name().toLowerCase(Locale.ROOT), skip, bn, epoch, k, blockName(net, k), l.type(),
          "input", in, sum / s, nz / s, cut, trainLoss));
    }
  }

  static SpectralMetrics metrics(double[] eig) {
    double max = 0;
    for (double v : eig) max = Math.max(max, Math.abs(v));
    return SpectralMetrics.fromSpectrum(eig, REL_CUTOFF * max);
  }

  private static double nonzero(double[] eig, double cutoff) {
    int c = 0;
    for (double v : eig) if (Math.abs(v) > cutoff) c++;
    return c;
  }

  private static String num(double v) {
    if (Double.isNaN(v)) return "";
    return String.format(Locale.ROOT, "%.4g", v);
  }

  void write(List<Row> rows) throws IOException {
    Files.createDirectories(out);
    StringBuilder csv = new StringBuilder("config,init,skip,bn,epoch,layer,block,type,side,dim,condition,nonzero,cutoff,train_loss\n");
    for (Row r : rows) {
      csv.append(r.config()).append(',').append(r.init()).append(',').append(r.skip()).append(',').append(r.bn())
          .append(',').append(r.epoch()).append(',').append(r.layer()).append(',').append(r.block()).append(',')
          .append(r.type()).append(',').append(r.side()).append(',').append(r.dim()).append(',').append(r.condition())
          .append(',').append(r.nonzero()).append(',').append(r.cutoff()).append(',')
          .append(Double.isNaN(r.trainLoss()) ? "" : Double.toString(r.trainLoss())).append('\n');
    }
    AtomicFiles.writeString(out.resolve("backmatching.csv"), csv.toString());
    AtomicFiles.writeString(out.resolve("backmatching.md"), markdown(rows));
  }

  String markdown(List<Row> rows) {
    StringBuilder md = new StringBuilder("# Back-matching local Hessians: condition numbers per block over training\n\n");
    md.append(String.format(Locale.ROOT, "Data `%s` (standardised), tanh MLP: stem dense(%d) [BN] tanh, %d block(s) "
        + "dense(%d) [BN] tanh (as `x + %s·g(x)` with skip), classifier. SGD lr %s, momentum 0.9, batch %d, %d epoch(s), "
        + "seed %d. Hessians on the first %d training rows. Condition number = λ_max/λ_min over the nonzero spectrum, "
        + "|λ| ≤ %.0e·λ_max counted as zero.%n%n", dataset, width, blocks, width, num(alpha), num(lr), batch, epochs,
        seed, analysisRows, REL_CUTOFF));
    md.append("- **weight side** `J_θᵀJ_θ`: dense layers from eig(C), C = (1/N)Σ[x;1][x;1]ᵀ; BN and residual blocks "
        + "from the dense matrix (blocks with more than " + maxDense + " parameters skipped); mode ANALYSIS, BN batches of "
        + analysisBatch + " contiguous rows.\n");
    md.append("- **input side** `J_zᵀJ_z`: mean over the first " + samples + " samples of the per-sample matrix's "
        + "condition number; mode EVAL (BN with the running statistics). The stem's input side is omitted (the data's, "
        + "identical across configurations).\n\n");
    List<Integer> epochsSeen = rows.stream().map(Row::epoch).distinct().sorted().toList();
    for (String side : new String[] {"weight", "input"}) {
      md.append("## ").append(side).append(" side\n\n| config | block | dim |");
      for (int e : epochsSeen) md.append(" epoch ").append(e).append(" |");
      md.append("\n|---|---|---|");
      for (int i = 0; i < epochsSeen.size(); i++) md.append("---|");
      md.append('\n');
      List<String> seen = new ArrayList<>();
      for (Row r : rows) {
        if (!r.side().equals(side)) continue;
        String key = r.config() + "|" + r.block();
        if (seen.contains(key)) continue;
        seen.add(key);
        md.append("| ").append(r.config()).append(" | ").append(r.block()).append(" | ").append(r.dim()).append(" |");
        for (int e : epochsSeen) {
          double v = Double.NaN;
          for (Row q : rows) {
            if (q.side().equals(side) && q.epoch() == e && (q.config() + "|" + q.block()).equals(key)) v = q.condition();
          }
          md.append(' ').append(num(v)).append(" |");
        }
        md.append('\n');
      }
      md.append('\n');
    }
    md.append("## Summary: geometric mean of the condition numbers over the blocks, final epoch\n\n"
        + "BN layers are left out (their weight side is diag(σ²/(σ²+ε), 1) per unit, condition ≈ 1, and their EVAL input "
        + "side a diagonal); a residual block is one block (dense + [BN] + tanh inside it), whereas the plain network's "
        + "dense layers are measured on their own, so the skip rows compare blocks of a different extent. A residual "
        + "block with BN inside has a near-null weight direction per unit (w_i, at O(ε/σ_i²)), which its weight-side "
        + "condition number shows.\n\n"
        + "| config | weight side | input side | training loss |\n|---|---|---|---|\n");
    int last = epochsSeen.get(epochsSeen.size() - 1);
    List<String> configs = rows.stream().map(Row::config).distinct().toList();
    for (String c : configs) {
      double loss = Double.NaN;
      for (Row r : rows) if (r.config().equals(c) && r.epoch() == last) loss = r.trainLoss();
      md.append("| ").append(c).append(" | ")
          .append(num(geoMean(rows, c, last, "weight"))).append(" | ")
          .append(num(geoMean(rows, c, last, "input"))).append(" | ").append(num(loss)).append(" |\n");
    }
    return md.toString();
  }

  /** exp(mean log cond) over a configuration's blocks other than BN at an epoch. */
  static double geoMean(List<Row> rows, String config, int epoch, String side) {
    double s = 0;
    int n = 0;
    for (Row r : rows) {
      if (!r.config().equals(config) || r.epoch() != epoch || !r.side().equals(side)) continue;
      if (r.type().equals("batchnorm")) continue;
      if (!(r.condition() > 0)) continue;
      s += Math.log(r.condition());
      n++;
    }
    return n == 0 ? Double.NaN : Math.exp(s / n);
  }
}
