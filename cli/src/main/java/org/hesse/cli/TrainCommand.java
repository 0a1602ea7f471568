package org.hesse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.hesse.data.Dataset;
import org.hesse.data.Split;
import org.hesse.data.Standardizer;
import org.hesse.io.AtomicFiles;
import org.hesse.io.LayerSpec;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.train.Adam;
import org.hesse.train.EpochMetrics;
import org.hesse.train.Optimizer;
import org.hesse.train.ScaleAmendedSgd;
import org.hesse.train.Schedule;
import org.hesse.train.Sgd;
import org.hesse.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hesse train}: trains a network on a data set and writes the model, weights and metrics. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a network on a bundled data set or a file; writes model.json, model.safetensors, metrics.csv, "
        + "config.json, standardizer.json. Refuses an existing non-empty --out unless --force. A diverged run (training "
        + "loss not finite or 1000 times its initial value) exits 3 and keeps the metrics so far but writes no model.safetensors.")
public final class TrainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin TrainingOptions opts;

  @Option(names = "--out", required = true, description = "Run directory to write (new or empty).")
  Path out;

  @Option(names = "--force", description = "Write into an existing non-empty --out (its files of the same names are replaced).")
  boolean force;

  @Override
  public Integer call() throws Exception {
    PrintWriter pw = spec.commandLine().getOut();
    RunDir.requireWritable(out, force, null);
    Prepared p = opts.prepare();
    for (String note : opts.notes) spec.commandLine().getErr().println(note);
    Files.createDirectories(out);
    p.writeConfig(out.resolve(RunDir.CONFIG));
    p.writeStandardizer(out);
    ModelFiles.spec(p.net).write(out.resolve(RunDir.MODEL));
    List<EpochMetrics> history;
    org.hesse.hvp.monitor.TraceMonitor monitor;
    long trainStart;
    try (EpochLines lines = new EpochLines(pw, opts.epochs, "train")) {
      Divergence divergence = new Divergence();
      MonitorOption mo = opts.monitorOption();
      monitor = mo == null ? null : mo.build(p.net, opts.seed, out, spec.commandLine().getErr());
      trainStart = System.nanoTime();
      Trainer trainer = p.trainer((m, th) -> {
        lines.epoch(m, th);
        divergence.check(m);
      }, out.resolve("metrics.csv"), monitor);
      double[] theta = p.theta.clone();
      // a diverged run keeps its config and per-epoch metrics (the diverging epoch's row included) but has no
      // weights: they would look complete (an older model.safetensors under --force is removed for the same reason)
      history = Divergence.fit(() -> trainer.fit(theta, p.buffers, p.trainX, p.trainY, p.valX, p.valY),
          out.resolve(RunDir.WEIGHTS));
      ModelFiles.writeParameters(p.net, theta, p.buffers, out.resolve(RunDir.WEIGHTS));
    }
    if (monitor != null) {
      double seconds = (System.nanoTime() - trainStart) / 1e9;
      opts.monitorOption().writeSummary(monitor, out, seconds);
      pw.printf(java.util.Locale.ROOT, "monitor: %.2f s of %.2f s of training (%.1f %%), %d alarm(s) -> %s%n",
          monitor.seconds(), seconds, 100 * monitor.seconds() / seconds, monitor.alarms().size(), out.resolve(MonitorOption.CSV));
    }
    EpochMetrics last = history.get(history.size() - 1);
    pw.printf(java.util.Locale.ROOT, "done: train loss %.6g%s%s%s -> %s%n", last.trainLoss(),
        Double.isNaN(last.valLoss()) ? "" : String.format(java.util.Locale.ROOT, ", validation loss %.6g", last.valLoss()),
        Double.isNaN(last.valAccuracy()) ? "" : String.format(java.util.Locale.ROOT, ", validation accuracy %.4f", last.valAccuracy()),
        p.targetStandardizer == null ? "" : " (mse on standardised targets: see standardizer.json)", out);
    return 0;
  }

  /**
   * When training has diverged: a training-set loss that is not finite (the trainer's own check, {@link
   * org.hesse.train.TrainingDivergedException}) or that has grown beyond {@value #GROWTH} times its value at
   * initialisation (at least 1). The second catches runs that blow up without overflowing: with saturating
   * activations and a stable log-softmax a far too large --lr gives losses of 1e6 and more that stay finite.
   * Either is a numerical failure (exit 3) naming the epoch.
   */
  static final class Divergence {
    static final double GROWTH = 1e3;
    private double initial = Double.NaN;

    void check(EpochMetrics m) {
      double loss = m.trainLoss();
      if (m.epoch() == 0 && Double.isFinite(loss)) initial = loss;
      double bound = GROWTH * Math.max(1.0, Double.isNaN(initial) ? 0 : initial);
      if (!Double.isFinite(loss) || loss > bound) {
        String why = Double.isFinite(loss) ? String.format(java.util.Locale.ROOT,
            "%.6g (more than %.0f times its value at initialisation, %.6g)", loss, GROWTH, initial) : String.valueOf(loss);
        throw new NumericalFailure("training diverged at epoch " + m.epoch() + ": the training loss is " + why + "; lower --lr");
      }
    }

    /** Runs training; on divergence removes {@code weights} (a stale file would look like this run's) and reports it. */
    static <T> T fit(java.util.function.Supplier<T> training, Path weights) throws java.io.IOException {
      try {
        return training.get();
      } catch (org.hesse.train.TrainingDivergedException e) {
        Files.deleteIfExists(weights);
        throw new NumericalFailure(e.getMessage() + "; lower --lr");
      } catch (NumericalFailure e) {
        Files.deleteIfExists(weights);
        throw e;
      }
    }
  }

  /** Everything a training run needs, built from the options. */
  static final class Prepared {
    final TrainingOptions o;
    final Dataset data;
    final Network net;
    final double[] theta;
    /** The model's buffers (BN running statistics), updated in place by training. */
    final double[] buffers;
    final double[] trainX;
    final double[] trainY;
    final double[] valX;
    final double[] valY;
    /** The standardisation fitted on the training split, or null. */
    Standardizer standardizer;
    /** The regression targets' standardisation fitted on the training split (trainY, valY are standardised), or null. */
    Standardizer targetStandardizer;

    Prepared(TrainingOptions o, Dataset data, Network net, double[] theta, Dataset train, Dataset val) {
      this.o = o;
      this.data = data;
      this.net = net;
      this.theta = theta;
      this.buffers = net.initialBuffers();
      this.trainX = train.x();
      this.trainY = CliData.targets(train, net).clone();
      this.valX = val == null ? null : val.x();
      this.valY = val == null ? null : CliData.targets(val, net).clone();
    }

    /** Standardises the regression targets with the training split's mean and scale (in place). */
    void standardizeTargets() {
      int t = net.outputSize();
      targetStandardizer = Standardizer.fit(trainY, trainY.length / t, t);
      targetStandardizer.applyInPlace(trainY);
      if (valY != null) targetStandardizer.applyInPlace(valY);
    }

    Trainer trainer(org.hesse.train.EpochListener listener, Path metrics) {
      return trainer(listener, metrics, null);
    }

    /** As above, with the --monitor's trace monitor (or null) called every K steps. */
    Trainer trainer(org.hesse.train.EpochListener listener, Path metrics, org.hesse.hvp.monitor.TraceMonitor monitor) {
      Optimizer opt;
      switch (o.optimizer) {
        case "adam":
          opt = new Adam(net.paramCount(), Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, Adam.DEFAULT_EPS, o.weightDecay);
          break;
        case "scale-amended":
          opt = new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.BATCH_VARIANCE, o.momentum, o.weightDecay, false);
          break;
        case "scale-amended-norm":
          opt = new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.NORM, o.momentum, o.weightDecay, false);
          break;
        default:
          opt = new Sgd(net.paramCount(), o.momentum, o.weightDecay, false);
      }
      Schedule schedule;
      switch (o.schedule) {
        case "constant": schedule = Schedule.constant(o.lr); break;
        case "step": schedule = Schedule.step(o.lr, 0.1, Math.max(1, o.epochs / 3)); break;
        case "cosine": schedule = Schedule.cosine(o.lr, 0.0, o.epochs); break;
        default: throw new IllegalArgumentException("--schedule: expected constant, step or cosine, got '" + o.schedule + "'");
      }
      Trainer.Builder b = Trainer.builder(net, opt, schedule).batchSize(o.batch).epochs(o.epochs).seed(o.seed)
          .listener(listener);
      if (metrics != null) b.metricsCsv(metrics);
      if (monitor != null) b.stepListener(o.monitorOption().every(), monitor);
      return b.build();
    }

    /**
     * The run's feature standardisation ({@code standardizer.json}: mean and scale per feature), so that
     * {@code hesse spectrum --standardizer} sees the features the model was trained on.
     */
    void writeStandardizer(Path dir) throws java.io.IOException {
      RunDir.writeStandardizer(dir, new RunDir.Preprocessing(standardizer, targetStandardizer));
    }

    void writeConfig(Path file) throws java.io.IOException {
      AtomicFiles.writeString(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(config()));
    }

    /** config.json's keys: the data and every training option. */
    Map<String, Object> config() {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("dataset", o.dataset != null ? o.dataset : String.valueOf(o.data.toAbsolutePath().normalize())); // absolute: spectrum --run from any directory
      c.put("samples", data.size());
      c.put("limit", o.limit);
      c.put("train_samples", trainX.length / net.inputSize());
      c.put("validation_samples", valX == null ? 0 : valX.length / net.inputSize());
      c.put("model", o.model);
      c.put("activation", o.act);
      c.put("init", o.init);
      c.put("optimizer", o.optimizer);
      c.put("lr", o.lr);
      c.put("momentum", o.momentum);
      c.put("weight_decay", o.weightDecay);
      c.put("schedule", o.schedule);
      c.put("batch", o.batch);
      c.put("epochs", o.epochs);
      c.put("validation", o.validation);
      if (o.validationData != null) c.put("validation_data", String.valueOf(o.validationData.toAbsolutePath().normalize()));
      c.put("standardize", o.standardize);
      if (!data.isClassification()) c.put("standardize_targets", targetStandardizer != null);
      if (o.target != null) c.put("target", o.target);
      // output c of the model is the label classes[c] (the training data's distinct labels in order)
      if (data.isClassification()) c.put(RunDir.CLASSES, data.classNames());
      c.put("features", net.inputSize());
      c.put("seed", o.seed);
      return c;
    }
  }

  /** The options shared by train and analyze. */
  public static final class TrainingOptions {
    /** Lines for stderr from reading --model (an ONNX import's notes). */
    final List<String> notes = new java.util.ArrayList<>();

    @Option(names = "--dataset", description = "Bundled data set (iris, wine, breast_cancer, digits, diabetes) or fashion-mnist (Debian package).")
    String dataset;

    @Option(names = "--data", description = "Data file (CSV with a header, or LibSVM .svm).")
    Path data;

    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N rows of the data (0 = all).")
    int limit;

    @Option(names = "--target", description = "Target column(s) of a CSV file, e.g. label or y0,y1.")
    String target;

    @Option(names = "--task", defaultValue = "classification", description = "For --data: classification or regression (default ${DEFAULT-VALUE}).")
    String task;

    @Option(names = "--model", defaultValue = "mlp:64,64", description = "mlp:H1,H2,... (hidden widths), a model.json file "
        + "or an ONNX file (its graph; weights initialised by --init) (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--loss", description = "With an ONNX --model: cross_entropy or mse (ONNX holds no loss).")
    String loss;

    /** The element-wise layer types --act accepts (each a parameterless layer of ModelFiles). */
    static final List<String> ACTIVATIONS = List.of("tanh", "relu", "leaky_relu", "elu", "sigmoid", "gelu", "softplus", "identity");

    @Option(names = "--act", defaultValue = "tanh", description = "Activation of the hidden layers: tanh, relu, "
        + "leaky_relu, elu, sigmoid, gelu, softplus or identity (default ${DEFAULT-VALUE}).")
    String act;

    @Option(names = "--init", defaultValue = "pytorch", description = "pytorch, kaiming, xavier or orthogonal (default ${DEFAULT-VALUE}).")
    String init;

    static final List<String> SCHEDULES = List.of("constant", "step", "cosine");
    static final List<String> OPTIMIZERS = List.of("sgd", "adam", "scale-amended", "scale-amended-norm");

    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd, adam, scale-amended (BN rows' steps "
        + "× σ²/γ²) or scale-amended-norm (× ‖w‖²/γ²) (default ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.05", description = "Learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--schedule", defaultValue = "constant", description = "constant, step or cosine (default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--batch", defaultValue = "32", description = "Mini-batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--epochs", defaultValue = "50", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--validation", defaultValue = "0.2", description = "Validation fraction, stratified for classification (default ${DEFAULT-VALUE}).")
    double validation;

    @Option(names = "--validation-data", description = "A separate validation (test) file with the same columns as --data "
        + "(its class labels mapped to the training classes by name); replaces the --validation split: all of --data trains.")
    Path validationData;

    @Option(names = "--no-standardize", negatable = true, defaultValue = "true", description = "Standardise features with the training set's mean and scale (default on).")
    boolean standardize;

    @Option(names = "--no-standardize-targets", negatable = true, defaultValue = "true", description = "Regression: "
        + "standardise the targets with the training set's mean and scale (default on; stored in standardizer.json as "
        + "target_mean/target_scale, losses are then on the standardised scale, predictions invert as y = y' * target_scale + target_mean).")
    boolean standardizeTargets;

    @Option(names = "--monitor", description = "Every K optimizer steps estimate each layer's Hessian trace from P "
        + "Rademacher probes on the step's mini-batch, with a CUSUM memorisation alarm: every=K,probes=P "
        + "(defaults 50, 5); writes monitor.csv and monitor.json, alarms to stderr.")
    String monitor;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the split, the initialisation and the shuffling (default ${DEFAULT-VALUE}).")
    long seed;

    /** Every option on its own, by the name the user typed, before any data is read or file written. */
    void check() {
      if (epochs < 1) throw new IllegalArgumentException("--epochs: expected >= 1, got " + epochs);
      if (batch < 1) throw new IllegalArgumentException("--batch: expected >= 1 rows, got " + batch);
      if (limit < 0) throw new IllegalArgumentException("--limit: expected >= 0 rows (0 = all), got " + limit);
      if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr: expected a finite number > 0, got " + lr);
      if (!(momentum >= 0 && momentum < 1)) {
        throw new IllegalArgumentException("--momentum: expected a value in [0, 1), got " + momentum);
      }
      if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
        throw new IllegalArgumentException("--weight-decay: expected a finite value >= 0, got " + weightDecay);
      }
      if (!(validation >= 0 && validation < 1)) {
        throw new IllegalArgumentException("--validation: expected a fraction in [0, 1), got " + validation);
      }
      if (!ACTIVATIONS.contains(act)) {
        throw new IllegalArgumentException("--act: unknown activation '" + act + "'; expected one of " + String.join(", ", ACTIVATIONS));
      }
      List<String> inits = java.util.Arrays.stream(Init.values()).map(i -> i.name().toLowerCase(java.util.Locale.ROOT)).toList();
      if (!inits.contains(init.toLowerCase(java.util.Locale.ROOT))) {
        throw new IllegalArgumentException("--init: unknown initialiser '" + init + "'; expected one of " + String.join(", ", inits));
      }
      if (!SCHEDULES.contains(schedule)) {
        throw new IllegalArgumentException("--schedule: expected one of " + SCHEDULES + ", got '" + schedule + "'");
      }
      if (!OPTIMIZERS.contains(optimizer)) {
        throw new IllegalArgumentException("--optimizer: expected one of " + OPTIMIZERS + ", got '" + optimizer + "'");
      }
      if (!"classification".equals(task) && !"regression".equals(task)) {
        throw new IllegalArgumentException("--task: expected classification or regression, got '" + task + "'");
      }
      monitorOption();
    }

    /** The parsed --monitor, or null without one. */
    MonitorOption monitorOption() {
      return monitor == null ? null : MonitorOption.parse(monitor);
    }

    Prepared prepare() throws java.io.IOException {
      check();
      Dataset.Task t = "regression".equals(task) ? Dataset.Task.REGRESSION : Dataset.Task.CLASSIFICATION;
      Dataset d = CliData.load(dataset, data, target, t, limit);
      Dataset train = d;
      Dataset val = null;
      if (validationData != null) {
        val = validationFile(d);
      } else if (validation > 0) {
        Split split = d.isClassification() ? Split.stratified(d, validation, seed) : Split.of(d, validation, seed);
        train = split.train();
        val = split.validation().size() == 0 ? null : split.validation();
      }
      Standardizer st = null;
      if (standardize) {
        st = Standardizer.fit(train);
        train = st.apply(train);
        val = val == null ? null : st.apply(val);
      }
      Network net = CliData.network(() -> network(d), "--model", Path.of(model));
      CliData.checkFits(d, net, CliData.given(dataset, data), model);
      double[] theta = Init.byName(init).init(net, seed);
      Prepared p = new Prepared(this, d, net, theta, train, val);
      p.standardizer = st;
      if (!d.isClassification() && standardizeTargets) p.standardizeTargets();
      return p;
    }

    /** --validation-data read like --data; a class the training data lack, or another feature count, is refused. */
    Dataset validationFile(Dataset train) throws java.io.IOException {
      if (data == null) throw new IllegalArgumentException("--validation-data needs --data (the training file it matches)");
      Dataset.Task t = train.isClassification() ? Dataset.Task.CLASSIFICATION : Dataset.Task.REGRESSION;
      Dataset v = CliData.load(null, validationData, target, t, 0);
      if (v.numFeatures() != train.numFeatures()) {
        throw new IllegalArgumentException("--validation-data " + validationData + ": " + v.numFeatures()
            + " feature columns, expected " + train.numFeatures() + " as in --data " + data);
      }
      return v.isClassification() ? v.withClassNames(train.classNames(), "--validation-data " + validationData) : v;
    }

    /** --model's network: a model.json (read by ModelFiles.readNetwork, errors naming the file) or mlp:H1,H2,... */
    Network network(Dataset d) throws java.io.IOException {
      if (d.isClassification() && d.numClasses() < 2) { // one class: cross-entropy is 0 whatever the weights, nothing to learn
        throw new IllegalArgumentException(CliData.given(dataset, data) + ": the labels hold " + d.numClasses() + " class "
            + d.classNames() + "; expected at least 2 classes for classification");
      }
      if (ModelInput.isOnnx(Path.of(model))) {
        if (loss == null) throw new IllegalArgumentException("--model " + model + " is ONNX: give --loss cross_entropy|mse (ONNX holds no loss)");
        org.hesse.io.onnx.OnnxImport.Imported imported = org.hesse.io.onnx.OnnxImport.read(Path.of(model), loss);
        notes.addAll(imported.notes());
        return imported.network();
      }
      if (loss != null) throw new IllegalArgumentException("--loss: only with an ONNX --model; " + model + " names its loss itself");
      if (!model.startsWith("mlp:") && !model.equals("mlp")) return ModelFiles.readNetwork(Path.of(model));
      return ModelFiles.network(mlpSpec(d), "--model " + model);
    }

    ModelSpec mlpSpec(Dataset d) {
      String loss = d.isClassification() ? "cross_entropy" : "mse";
      int outputs = d.isClassification() ? d.numClasses() : d.numTargets();
      List<LayerSpec> layers = new ArrayList<>();
      String widths = model.equals("mlp") ? "" : model.substring(4);
      for (String w : widths.split(",")) {
        if (w.isBlank()) continue;
        int h;
        try {
          h = Integer.parseInt(w.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--model: expected mlp:H1,H2,... with integer widths, got '" + model + "'");
        }
        if (h < 1) throw new IllegalArgumentException("--model " + model + ": hidden width " + h + ", expected widths >= 1");
        layers.add(LayerSpec.dense(h));
        layers.add(LayerSpec.of(act));
      }
      layers.add(LayerSpec.dense(outputs));
      return new ModelSpec(d.numFeatures(), loss, layers);
    }
  }

  /**
   * Per-epoch output: a progress bar on a terminal (stderr, {@link Progress}), else one line per epoch on stdout.
   * Without validation data there is no validation column (never "NaN").
   */
  static final class EpochLines implements AutoCloseable {
    private final PrintWriter out;
    private final int epochs;
    private final Progress bar;

    EpochLines(PrintWriter out, int epochs, String task) {
      this.out = out;
      this.epochs = epochs;
      this.bar = Progress.start(task, epochs);
    }

    static String describe(EpochMetrics m, int epochs) {
      StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT, "epoch %d/%d  train loss %.5f", m.epoch(),
          epochs, m.trainLoss()));
      if (!Double.isNaN(m.trainAccuracy())) b.append(String.format(java.util.Locale.ROOT, " acc %.3f", m.trainAccuracy()));
      if (!Double.isNaN(m.valLoss())) b.append(String.format(java.util.Locale.ROOT, "  val loss %.5f", m.valLoss()));
      if (!Double.isNaN(m.valAccuracy())) b.append(String.format(java.util.Locale.ROOT, " acc %.3f", m.valAccuracy()));
      return b.toString();
    }

    void epoch(EpochMetrics m, double[] theta) {
      String line = describe(m, epochs);
      if (Progress.enabled()) {
        bar.stepTo(m.epoch());
        bar.message(line.substring(line.indexOf("  ") + 2));
      } else {
        out.println(line);
        out.flush();
      }
    }

    @Override
    public void close() {
      bar.close();
    }
  }
}
