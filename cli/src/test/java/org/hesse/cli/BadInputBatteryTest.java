package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.hesse.data.BundledDatasets;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11's end-to-end battery: bad inputs given to the CLI in-process (spectrum, train, analyze, backmatching,
 * experiment scale-amended). Each must exit
 * 2 with exactly one stderr line, "hesse: error: ...", naming the input (the file or the option), no stack trace,
 * and must not create its --out.
 */
class BadInputBatteryTest {
  static Path dir;
  static Path model;
  static Path weights;
  static Path csv;
  static String target;
  static int counter;

  static final String MODEL_JSON = "{\"input\": 4, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"dense\", \"out\": 5}, "
      + "{\"type\": \"tanh\"}, {\"type\": \"dense\", \"out\": 3}]}";

  /** One case: the args (the harness adds --out), a string the error line must contain (the input's name). */
  record Case(String name, String[] args, String names, Map<String, String> properties) {
    @Override
    public String toString() {
      return name;
    }
  }

  static synchronized void fixtures() throws IOException {
    if (dir != null) return;
    dir = Files.createTempDirectory("hesse-bad-inputs");
    model = dir.resolve("model.json");
    Files.writeString(model, MODEL_JSON);
    Network net = ModelFiles.readNetwork(model);
    weights = dir.resolve("model.safetensors");
    ModelFiles.writeParameters(net, Init.byName("pytorch").init(net, 1), weights);
    Dataset iris = BundledDatasets.load("iris");
    target = iris.targetNames().get(0);
    csv = dir.resolve("iris.csv");
    Csv.write(csv, iris);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (dir == null) return;
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    dir = null;
  }

  static Path file(String name, byte[] content) throws IOException {
    Path p = dir.resolve((counter++) + "-" + name);
    Files.write(p, content);
    return p;
  }

  static Path file(String name, String content) throws IOException {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  static Path directory(String name) throws IOException {
    return Files.createDirectories(dir.resolve((counter++) + "-" + name));
  }

  /** A safetensors file with this header JSON (raw bytes) and data. */
  static byte[] safetensors(byte[] header, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header).put(data);
    return b.array();
  }

  static byte[] weightsWith(List<Tensor> tensors) {
    return Safetensors.encode(tensors, Map.of());
  }

  static Tensor t(String name, long[] shape, double fill) {
    int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    double[] v = new double[n];
    Arrays.fill(v, fill);
    return Tensor.f64(name, shape, v);
  }

  static List<Tensor> goodTensors() {
    return new ArrayList<>(List.of(t("0.weight", new long[] {5, 4}, 0.1), t("0.bias", new long[] {5}, 0),
        t("2.weight", new long[] {3, 5}, 0.1), t("2.bias", new long[] {3}, 0)));
  }

  static String nested(int depth) {
    StringBuilder b = new StringBuilder("{\"input\": 4, \"loss\": \"cross_entropy\", \"layers\": [");
    for (int i = 0; i < depth; i++) b.append("{\"type\": \"residual\", \"layers\": [");
    b.append("{\"type\": \"tanh\"}");
    for (int i = 0; i < depth; i++) b.append("]}");
    return b.append(", {\"type\": \"dense\", \"out\": 3}]}").toString();
  }

  static byte[] gzip(String s) throws IOException {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
      g.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return bo.toByteArray();
  }

  /** An IDX file: magic (unsigned bytes, rank), dims, then data. */
  static byte[] idx(int rank, int[] dims, int dataBytes) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + dataBytes).order(ByteOrder.BIG_ENDIAN);
    b.putInt(0x00000800 | rank);
    for (int d : dims) b.putInt(d);
    return b.array();
  }

  static Path fashionDir(byte[] images, byte[] labels) throws IOException {
    Path d = directory("fashion");
    Files.write(d.resolve("train-images-idx3-ubyte"), images);
    Files.write(d.resolve("train-labels-idx1-ubyte"), labels);
    return d;
  }

  static String[] spectrum(String... replace) {
    return with(new String[] {"spectrum", "--model", model.toString(), "--weights", weights.toString(), "--data", csv.toString(),
        "--target", target, "--top", "1"}, replace);
  }

  static String[] train(String command, String... replace) {
    return with(new String[] {command, "--data", csv.toString(), "--target", target, "--epochs", "1", "--model", "mlp:4"}, replace);
  }

  /** The args with option {@code replace[2i]} given {@code replace[2i+1]} (null: removed; absent: appended). */
  static String[] with(String[] base, String... replace) {
    List<String> a = new ArrayList<>(Arrays.asList(base));
    for (int i = 0; i < replace.length; i += 2) {
      int k = a.indexOf(replace[i]);
      String v = replace[i + 1];
      if (k >= 0 && k > 0 && (k + 1 >= a.size() || !a.get(k + 1).startsWith("--"))) {
        if (v == null) {
          a.remove(k + 1);
          a.remove(k);
        } else {
          a.set(k + 1, v);
        }
      } else if (v != null) {
        a.add(replace[i]);
        if (!v.isEmpty()) a.add(v);
      }
    }
    return a.toArray(new String[0]);
  }

  static Case c(String name, String[] args, Object names) {
    return new Case(name, args, names.toString(), Map.of());
  }

  static Stream<Case> cases() throws IOException {
    fixtures();
    List<Case> l = new ArrayList<>();
    byte[] good = weightsWith(goodTensors());
    // ---- the model description
    l.add(c("swapped --model/--weights", spectrum("--model", weights.toString(), "--weights", model.toString()), weights));
    Path bin = file("binary.json", new byte[] {0x7b, 0x00, 0x01, (byte) 0xff, 0x10});
    l.add(c("binary model.json", spectrum("--model", bin.toString()), bin));
    Path trailing = file("trailing.json", MODEL_JSON + " }{ garbage");
    l.add(c("trailing garbage after JSON", spectrum("--model", trailing.toString()), trailing));
    Path deep = file("deep.json", nested(2000));
    l.add(c("2000 nested residual blocks (spectrum)", spectrum("--model", deep.toString()), deep + ": not valid JSON: nested deeper than 100 levels"));
    l.add(c("2000 nested residual blocks (train)", train("train", "--model", deep.toString()), deep + ": not valid JSON: nested deeper than 100 levels"));
    l.add(c("2000 nested residual blocks (analyze)", train("analyze", "--model", deep.toString()), deep + ": not valid JSON: nested deeper than 100 levels"));
    Path deep40 = file("deep40.json", nested(40));
    l.add(c("40 nested residual blocks", spectrum("--model", deep40.toString()), deep40));
    Path wide = file("wide.json", "{\"input\": 4, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"dense\", \"out\": 1000000000}]}");
    l.add(c("dense width 1e9 (spectrum)", spectrum("--model", wide.toString()), wide));
    l.add(c("dense width 1e9 (train)", train("train", "--model", wide.toString()), wide));
    Path square = file("square.json", "{\"input\": 100000, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"dense\", \"out\": 100000}]}");
    l.add(c("layer 1e5 x 1e5", spectrum("--model", square.toString()), square));
    Path emptyModel = file("empty.json", "");
    l.add(c("empty model.json", spectrum("--model", emptyModel.toString()), emptyModel + ": expected a JSON object, found nothing"));
    Path noModel = dir.resolve("no-such-model.json");
    l.add(c("missing model.json", spectrum("--model", noModel.toString()), noModel));
    l.add(c("missing model.json (train)", train("train", "--model", noModel.toString()), noModel));
    Path modelDir = directory("model-dir.json");
    l.add(c("directory as model.json", spectrum("--model", modelDir.toString()), modelDir + ": a directory, expected a file"));
    Path unknownLayer = file("relux.json", "{\"input\": 4, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"relux\"}, {\"type\": \"dense\", \"out\": 3}]}");
    l.add(c("unknown layer type", spectrum("--model", unknownLayer.toString()), unknownLayer));
    Path latin = file("latin1.json", ("{\"input\": 4, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"d\u00e9nse\"}]}")
        .getBytes(StandardCharsets.ISO_8859_1));
    l.add(c("non-UTF-8 model.json", spectrum("--model", latin.toString()), latin));
    Path fiveIn = file("five-inputs.json", MODEL_JSON.replace("\"input\": 4", "\"input\": 5"));
    Path fiveInW = dir.resolve((counter++) + "-five-inputs.safetensors");
    Network five = ModelFiles.readNetwork(fiveIn);
    ModelFiles.writeParameters(five, Init.byName("pytorch").init(five, 1), fiveInW);
    l.add(c("model input 5, data 4 features", spectrum("--model", fiveIn.toString(), "--weights", fiveInW.toString()), "--data " + csv));
    Path twoOut = file("two-outputs.json", MODEL_JSON.replace("\"out\": 3", "\"out\": 2"));
    l.add(c("3 classes, model 2 outputs (train)", train("train", "--model", twoOut.toString()), "--data " + csv));
    // ---- the weights
    byte[] header = "{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[5,4],\"data_offsets\":[0,160]},\"x\":\"\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
    Path nonUtf8 = file("latin1.safetensors", safetensors(header, new byte[160]));
    l.add(c("non-UTF-8 safetensors header", spectrum("--weights", nonUtf8.toString()), nonUtf8));
    Path stTrailing = file("trailing.safetensors", safetensors("{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}} x".getBytes(StandardCharsets.UTF_8), new byte[8]));
    l.add(c("trailing garbage after the safetensors header", spectrum("--weights", stTrailing.toString()), stTrailing));
    List<Tensor> nan = goodTensors();
    nan.set(2, t("2.weight", new long[] {3, 5}, Double.NaN));
    Path nanW = file("nan.safetensors", weightsWith(nan));
    l.add(c("NaN weights", spectrum("--weights", nanW.toString()), nanW));
    List<Tensor> shape = goodTensors();
    shape.set(0, t("0.weight", new long[] {4, 5}, 0.1));
    Path shapeW = file("shape.safetensors", weightsWith(shape));
    l.add(c("wrong tensor shape", spectrum("--weights", shapeW.toString()), shapeW));
    List<Tensor> missing = goodTensors();
    missing.remove(3);
    Path missingW = file("missing.safetensors", weightsWith(missing));
    l.add(c("missing tensor", spectrum("--weights", missingW.toString()), missingW));
    Path emptyW = file("empty.safetensors", new byte[0]);
    l.add(c("empty weights", spectrum("--weights", emptyW.toString()), emptyW));
    Path noW = dir.resolve("no-such.safetensors");
    l.add(c("missing weights", spectrum("--weights", noW.toString()), noW));
    Path dirW = directory("weights-dir.safetensors");
    l.add(c("directory as weights", spectrum("--weights", dirW.toString()), dirW + ": a directory, expected a file"));
    Path hugeHeader = file("huge-header.safetensors", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 60).array());
    l.add(c("header length 2^60", spectrum("--weights", hugeHeader.toString()), hugeHeader));
    Path truncW = file("truncated.safetensors", Arrays.copyOf(good, good.length - 40));
    l.add(c("truncated weights", spectrum("--weights", truncW.toString()), truncW));
    // ---- the data
    Path gz = file("iris.csv.gz", Arrays.copyOf(gzip(Files.readString(csv)), 300));
    l.add(c("truncated gzip CSV (spectrum)", spectrum("--data", gz.toString()), gz));
    l.add(c("truncated gzip CSV (train)", train("train", "--data", gz.toString()), gz));
    Path garbageHeader = file("garbage-header.csv", new byte[] {(byte) 0xc3, 0x28, 0x2c, 0x01, 0x0a, 0x31, 0x2c, 0x32, 0x0a});
    l.add(c("garbage CSV header", spectrum("--data", garbageHeader.toString()), garbageHeader));
    String text = Files.readString(csv);
    Path nanCell = file("nan.csv", text.replaceFirst("\n([^,\n]*),", "\nNaN,"));
    l.add(c("NaN cell", spectrum("--data", nanCell.toString()), nanCell));
    Path ragged = file("ragged.csv", text + "1,2\n");
    l.add(c("ragged row", spectrum("--data", ragged.toString()), ragged));
    Path emptyCsv = file("empty.csv", "");
    l.add(c("empty CSV", spectrum("--data", emptyCsv.toString()), emptyCsv));
    l.add(c("empty CSV (analyze)", train("analyze", "--data", emptyCsv.toString()), emptyCsv));
    Path noCsv = dir.resolve("no-such.csv");
    l.add(c("missing data file", spectrum("--data", noCsv.toString()), noCsv));
    l.add(c("missing data file (analyze)", train("analyze", "--data", noCsv.toString()), noCsv));
    Path csvDir = directory("data-dir.csv");
    l.add(c("directory as data", spectrum("--data", csvDir.toString()), csvDir + ": a directory, expected a file"));
    l.add(c("directory as data (train)", train("train", "--data", csvDir.toString()), csvDir + ": a directory, expected a file"));
    l.add(c("target column absent", spectrum("--target", "nosuch"), "nosuch"));
    Path badSvm = file("bad.svm", "1 1:0.5 2:x\n");
    l.add(c("LibSVM bad value", spectrum("--data", badSvm.toString(), "--target", null), badSvm));
    Path hugeSvm = file("huge.svm", "1 3000000000:0.5\n");
    l.add(c("LibSVM index beyond an array", spectrum("--data", hugeSvm.toString(), "--target", null), hugeSvm));
    byte[] labels = idx(1, new int[] {10}, 10);
    Path lies = fashionDir(idx(3, new int[] {60000, 28, 28}, 10 * 784), labels);
    l.add(new Case("IDX header claims more images than the file has", spectrum("--data", null, "--target", null, "--dataset",
        "fashion-mnist"),
        lies.resolve("train-images-idx3-ubyte").toString(), Map.of(CliData.FASHION_MNIST_PROPERTY, lies.toString())));
    Path overflow = fashionDir(idx(3, new int[] {10, 65536, 65536}, 0), labels);
    l.add(new Case("IDX rows x cols overflow", spectrum("--data", null, "--target", null, "--dataset", "fashion-mnist"),
        overflow.resolve("train-images-idx3-ubyte").toString(), Map.of(CliData.FASHION_MNIST_PROPERTY, overflow.toString())));
    // ---- options
    l.add(c("unknown --act", train("train", "--act", "relux"), "--act"));
    l.add(c("unknown --dataset (spectrum)", spectrum("--data", null, "--target", null, "--dataset", "irises"), "--dataset"));
    l.add(c("unknown --dataset (train)", train("train", "--data", null, "--target", null, "--dataset", "irises"), "--dataset"));
    l.add(c("unknown --curvature", spectrum("--curvature", "fisher"), "--curvature"));
    l.add(c("unknown --mode", spectrum("--mode", "training"), "--mode"));
    l.add(c("unknown --layers", spectrum("--layers", "1"), "--layers"));
    l.add(c("blank --layers", spectrum("--layers", " "), "--layers: empty"));
    Path oneClass = file("one-class.csv", "a,b,y\n1,2,1\n3,4,1\n5,6,1\n7,8,1\n9,1,1\n2,3,1\n");
    l.add(c("train on a single class", with(train("train"), "--data", oneClass.toString(), "--target", "y"),
        "the labels hold 1 class [1]; expected at least 2 classes"));
    // ---- --run directories whose config.json is missing, broken or names no usable data
    for (String[] kc : new String[][] {{"no config.json", null, "config.json not found"}, {"broken config.json", "{\"dataset\": ", "is not valid JSON"},
        {"config.json without a data set", "{\"samples\": 3}", "names no data set"},
        {"config.json naming an unknown data set", "{\"dataset\": \"nosuch\"}", "'dataset' is 'nosuch', neither a bundled data set nor an existing file"}}) {
      Path run = Files.createDirectories(dir.resolve((counter++) + "-run"));
      Files.copy(model, run.resolve("model.json"));
      Files.copy(weights, run.resolve("model.safetensors"));
      if (kc[1] != null) Files.writeString(run.resolve("config.json"), kc[1]);
      l.add(c("--run: " + kc[0], new String[] {"spectrum", "--run", run.toString(), "--top", "1"}, kc[2]));
    }
    Path unstandardised = Files.createDirectories(dir.resolve((counter++) + "-run"));
    Files.copy(model, unstandardised.resolve("model.json"));
    Files.copy(weights, unstandardised.resolve("model.safetensors"));
    Files.writeString(unstandardised.resolve("config.json"), "{\"dataset\": \"" + csv.toString().replace("\\", "\\\\")
        + "\", \"target\": \"" + target + "\", \"standardize\": true}");
    l.add(c("--run: standardised run without its standardizer.json", new String[] {"spectrum", "--run", unstandardised.toString(),
        "--top", "1"}, "says the features (or targets) were standardised, but " + unstandardised.resolve("standardizer.json") + " is missing"));
    l.add(c("non-numeric --top", spectrum("--top", "many"), "--top"));
    l.add(c("missing --standardizer file", spectrum("--standardizer", dir.resolve("no-such-std.json").toString()), "no-such-std.json"));
    Path badStd = file("std.json", "{\"mean\": [1, 2], \"scale\": [1]}");
    l.add(c("--standardizer of the wrong size", spectrum("--standardizer", badStd.toString()), badStd));
    Path narrowStd = file("std2.json", "{\"mean\": [0, 0], \"scale\": [1, 1]}");
    l.add(c("--standardizer for 2 features, data 4", spectrum("--standardizer", narrowStd.toString()), narrowStd));
    Path wideSvm = file("wide.svm", "1 1:0.5 9:1\n2 2:1\n");
    l.add(c("LibSVM of 9 features, model 4", spectrum("--data", wideSvm.toString(), "--target", null), "--data " + wideSvm));
    Path headerOnly = file("header-only.csv", Files.readString(csv).lines().findFirst().orElseThrow() + "\n");
    l.add(c("CSV with a header and no rows", spectrum("--data", headerOnly.toString()), headerOnly));
    Path garbageStd = file("garbage-std.json", "{\"mean\": [1, 2,");
    l.add(c("--standardizer not JSON", spectrum("--standardizer", garbageStd.toString()), garbageStd));
    Path notARun = directory("not-a-run");
    l.add(c("--run without a model", new String[] {"spectrum", "--run", notARun.toString()}, notARun));
    // ---- numeric options of train / analyze / backmatching / experiment, checked by the CLI before anything is
    // written (the java-core checks behind them use internal names, e.g. weightDecay, and run after --out is made)
    for (String cmd : List.of("train", "analyze")) {
      String[][] bad = {{"--epochs", "0"}, {"--momentum", "-1"}, {"--momentum", "1"}, {"--weight-decay", "-1"},
          {"--weight-decay", "NaN"}, {"--lr", "0"}, {"--lr", "NaN"}, {"--lr", "Infinity"}, {"--batch", "0"},
          {"--validation", "1"}, {"--validation", "NaN"}, {"--limit", "-1"}};
      for (String[] o : bad) l.add(c(o[0] + " " + o[1] + " (" + cmd + ")", train(cmd, o[0], o[1]), o[0] + ": expected"));
      l.add(c("--model mlp:0 (" + cmd + ")", train(cmd, "--model", "mlp:0"), "--model mlp:0: hidden width 0, expected widths >= 1"));
      l.add(c("--model mlp:4,-3 (" + cmd + ")", train(cmd, "--model", "mlp:4,-3"), "--model mlp:4,-3"));
    }
    String[][] analysis = {{"--curvature-batch", "-1"}, {"--every", "0"}, {"--probe-size", "0"}, {"--top", "-1"},
        {"--slq-steps", "0"}, {"--slq-probes", "0"}};
    for (String[] o : analysis) l.add(c(o[0] + " " + o[1] + " (analyze)", train("analyze", o[0], o[1]), o[0] + ": expected"));
    String[][] backmatching = {{"--alpha", "NaN"}, {"--alpha", "Infinity"}, {"--max-dense", "-1"}, {"--lr", "0"},
        {"--lr", "NaN"}, {"--width", "0"}, {"--blocks", "-1"}, {"--epochs", "-1"}, {"--batch", "1"}, {"--analysis-rows", "1"},
        {"--analysis-batch", "1"}, {"--samples", "0"}};
    for (String[] o : backmatching) {
      l.add(c(o[0] + " " + o[1] + " (backmatching)", new String[] {"backmatching", o[0], o[1]}, o[0] + ": expected"));
    }
    String[][] experiment = {{"--momentum", "-1"}, {"--momentum", "1"}, {"--lrs", "0.1,NaN"}, {"--lrs", "0"}, {"--train", "1"},
        {"--test", "0"}, {"--epochs", "0"}, {"--batch", "1"}, {"--seeds", "0"}, {"--models", "mlp,resnet"}, {"--threads", "0"},
        {"--variant", "adam"}};
    for (String[] o : experiment) {
      l.add(c(o[0] + " " + o[1] + " (experiment scale-amended)", new String[] {"experiment", "scale-amended", o[0], o[1]},
          o[0] + ": expected"));
    }
    l.add(new Case("memory budget above the heap", spectrum(), "-D" + MemoryBudget.PROPERTY,
        Map.of(MemoryBudget.PROPERTY, "1000000g")));
    return l.stream();
  }

  static Stream<Arguments> arguments() throws IOException {
    return cases().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("arguments")
  void refusedInOneLineNamingTheInput(Case c) throws IOException {
    Path out = dir.resolve("out-" + (counter++) + (c.args()[0].equals("spectrum") ? ".json" : ""));
    String[] args = with(c.args(), "--out", out.toString());
    MemoryBudget saved = MemoryBudget.current();
    c.properties().forEach(System::setProperty);
    RunDirCommandTest.Run r;
    try {
      r = RunDirCommandTest.run(args);
    } finally {
      c.properties().keySet().forEach(System::clearProperty);
      MemoryBudget.install(saved);
    }
    String err = r.err();
    assertEquals(2, r.code(), String.join(" ", args) + "\n" + err);
    List<String> lines = err.lines().filter(s -> !s.isBlank()).toList();
    assertEquals(1, lines.size(), err);
    String line = lines.get(0);
    if (Boolean.getBoolean("hesse.battery.print")) System.out.println(c.name() + " => " + line);
    assertTrue(line.startsWith("hesse: error: "), line);
    assertTrue(line.contains(c.names()), "should name " + c.names() + ": " + line);
    assertFalse(line.contains("Exception") || line.contains("\tat ") || line.contains("internal failure"), line);
    assertTrue(line.length() < 500, line.length() + ": " + line);
    assertFalse(Files.exists(out), "--out must not be created: " + out);
  }

  @Test
  void theReportDoesNotReplaceAnInputFile() throws IOException {
    fixtures();
    for (Path input : List.of(model, weights)) {
      byte[] before = Files.readAllBytes(input);
      RunDirCommandTest.Run r = RunDirCommandTest.run(with(spectrum(), "--out", input.toString()));
      assertEquals(2, r.code(), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().startsWith("hesse: error: --out " + input + ": is the --"), r.err());
      assertArrayEquals(before, Files.readAllBytes(input), input + " changed");
    }
  }
}
