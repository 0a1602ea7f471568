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
    description = "Train a network on a bundled data set or a file; writes model.json, model.safetensors, metrics.csv, config.json.")
public final class TrainCommand implements Callable<Integer> {
  /** File name of a run's feature standardisation. */
  static final String STANDARDIZER = "standardizer.json";

  @Spec CommandSpec spec;
  @Mixin TrainingOptions opts;

  @Option(names = "--out", required = true, description = "Run directory to write.")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintWriter pw = spec.commandLine().getOut();
    Prepared p = opts.prepare();
    Files.createDirectories(out);
    p.writeConfig(out.resolve("config.json"));
    p.writeStandardizer(out);
    ModelFiles.spec(p.net).write(out.resolve("model.json"));
    Progress progress = new Progress(pw, opts.epochs);
    Trainer trainer = p.trainer(progress::epoch, out.resolve("metrics.csv"));
    double[] theta = p.theta.clone();
    // a diverged run keeps its config and per-epoch metrics but writes no weights (they would look complete)
    List<EpochMetrics> history = trainer.fit(theta, p.buffers, p.trainX, p.trainY, p.valX, p.valY);
    ModelFiles.writeParameters(p.net, theta, p.buffers, out.resolve("model.safetensors"));
    EpochMetrics last = history.get(history.size() - 1);
    pw.printf("done: train loss %.6g, validation loss %.6g%s -> %s%n", last.trainLoss(), last.valLoss(),
        Double.isNaN(last.valAccuracy()) ? "" : String.format(", validation accuracy %.4f", last.valAccuracy()), out);
    return 0;
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

    Prepared(TrainingOptions o, Dataset data, Network net, double[] theta, Dataset train, Dataset val) {
      this.o = o;
      this.data = data;
      this.net = net;
      this.theta = theta;
      this.buffers = net.initialBuffers();
      this.trainX = train.x();
      this.trainY = CliData.targets(train, net);
      this.valX = val == null ? null : val.x();
      this.valY = val == null ? null : CliData.targets(val, net);
    }

    Trainer trainer(org.hesse.train.EpochListener listener, Path metrics) {
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
      return b.build();
    }

    /**
     * The run's feature standardisation ({@code standardizer.json}: mean and scale per feature), so that
     * {@code hesse spectrum --standardizer} sees the features the model was trained on.
     */
    void writeStandardizer(Path dir) throws java.io.IOException {
      if (standardizer == null) return;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("mean", standardizer.mean());
      m.put("scale", standardizer.scale());
      AtomicFiles.writeString(dir.resolve(STANDARDIZER), Json.write(m) + "\n");
    }

    void writeConfig(Path file) throws java.io.IOException {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("dataset", o.dataset != null ? o.dataset : String.valueOf(o.data));
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
      c.put("standardize", o.standardize);
      c.put("seed", o.seed);
      AtomicFiles.writeString(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(c));
    }
  }

  /** The options shared by train and analyze. */
  public static final class TrainingOptions {
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

    @Option(names = "--model", defaultValue = "mlp:64,64", description = "mlp:H1,H2,... (hidden widths) or a model.json file (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--act", defaultValue = "tanh", description = "Activation of the hidden layers (default ${DEFAULT-VALUE}).")
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

    @Option(names = "--no-standardize", negatable = true, defaultValue = "true", description = "Standardise features with the training set's mean and scale (default on).")
    boolean standardize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the split, the initialisation and the shuffling (default ${DEFAULT-VALUE}).")
    long seed;

    Prepared prepare() throws java.io.IOException {
      if (!SCHEDULES.contains(schedule)) {
        throw new IllegalArgumentException("--schedule: expected one of " + SCHEDULES + ", got '" + schedule + "'");
      }
      if (!OPTIMIZERS.contains(optimizer)) {
        throw new IllegalArgumentException("--optimizer: expected one of " + OPTIMIZERS + ", got '" + optimizer + "'");
      }
      Dataset.Task t;
      if ("classification".equals(task)) t = Dataset.Task.CLASSIFICATION;
      else if ("regression".equals(task)) t = Dataset.Task.REGRESSION;
      else throw new IllegalArgumentException("--task: expected classification or regression, got '" + task + "'");
      Dataset d = CliData.load(dataset, data, target, t, limit);
      if (validation < 0 || validation >= 1) {
        throw new IllegalArgumentException("--validation: expected a fraction in [0, 1), got " + validation);
      }
      Dataset train = d;
      Dataset val = null;
      if (validation > 0) {
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
      Network net = ModelFiles.network(modelSpec(d));
      CliData.checkFeatures(d, net);
      double[] theta = Init.byName(init).init(net, seed);
      Prepared p = new Prepared(this, d, net, theta, train, val);
      p.standardizer = st;
      return p;
    }

    ModelSpec modelSpec(Dataset d) throws java.io.IOException {
      String loss = d.isClassification() ? "cross_entropy" : "mse";
      int outputs = d.isClassification() ? d.numClasses() : d.numTargets();
      if (!model.startsWith("mlp:") && !model.equals("mlp")) {
        ModelSpec s = ModelSpec.read(Path.of(model));
        return s;
      }
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
        layers.add(LayerSpec.dense(h));
        layers.add(LayerSpec.of(act));
      }
      layers.add(LayerSpec.dense(outputs));
      return new ModelSpec(d.numFeatures(), loss, layers);
    }
  }

  /** A progress bar on a terminal, one plain line per epoch otherwise. */
  static final class Progress {
    private final PrintWriter out;
    private final int epochs;
    private final boolean terminal = System.console() != null;

    Progress(PrintWriter out, int epochs) {
      this.out = out;
      this.epochs = epochs;
    }

    void epoch(EpochMetrics m, double[] theta) {
      String line = String.format("epoch %d/%d  train loss %.5f%s  val loss %.5f%s", m.epoch(), epochs, m.trainLoss(),
          Double.isNaN(m.trainAccuracy()) ? "" : String.format(" acc %.3f", m.trainAccuracy()), m.valLoss(),
          Double.isNaN(m.valAccuracy()) ? "" : String.format(" acc %.3f", m.valAccuracy()));
      if (terminal) {
        int width = 30;
        int done = epochs == 0 ? width : (int) ((long) width * m.epoch() / epochs);
        out.print("\r[" + "#".repeat(done) + " ".repeat(width - done) + "] " + line);
        if (m.epoch() == epochs) out.println();
      } else {
        out.println(line);
      }
      out.flush();
    }
  }
}
