package org.hesse.cli.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A suite file: which data sets, which capacities, label noise levels and seeds, and the settings every run shares.
 * Every field is checked on reading; a bad one is refused in one line naming the file and the field.
 *
 * <pre>{
 *   "name": "study", "version": 1,
 *   "datasets": ["catalog", "iris", {"name": "mine", "file": "mine.csv", "target": "label"}],
 *   "capacities": {"under": 0.1, "well": 1, "over": 10},
 *   "label_noise": [0, 0.4], "seeds": [0],
 *   "run": {"max_train_rows": 2000, "max_test_rows": 1000, "test_fraction": 0.3, "epochs": 60, "every": 10,
 *           "probe_size": 256, "top": 3, "slq_steps": 20, "slq_probes": 3, "lr": 0.05, "batch": 32,
 *           "activation": "tanh", "hidden_layers": 2}
 * }</pre>
 * "catalog" stands for every data set of the study's catalog; a file path is relative to the suite file. A user's
 * data set may name a separate {@code "test_file"} (same columns): its rows are then every run's test split.
 */
public record SuiteSpec(String name, int version, List<DatasetRef> datasets, Map<String, Double> capacities,
                        List<Double> labelNoise, List<Long> seeds, RunSettings run) {

  /**
   * A data set: a catalog name (file null) or a user's CSV/ARFF file with its target column, and optionally a separate
   * test file with the same columns (then the runs' test split is that file instead of a random part of the data).
   */
  public record DatasetRef(String name, Path file, String target, Path testFile) {
    public boolean isFile() {
      return file != null;
    }
  }

  /** The settings every run of the suite shares (see docs/study.md for why these values). */
  public record RunSettings(int maxTrainRows, int maxTestRows, double testFraction, int epochs, int every, int probeSize,
                            int top, int slqSteps, int slqProbes, double lr, int batch, String activation, int hiddenLayers) {}

  /** The capacity classes, in order, and what they mean: target parameters per training sample. */
  public static final List<String> CAPACITY_CLASSES = List.of("under", "well", "over");

  static final String CATALOG = "catalog";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Set<String> TOP_KEYS = Set.of("name", "version", "datasets", "capacities", "label_noise", "seeds", "run");
  private static final Set<String> RUN_KEYS = Set.of("max_train_rows", "max_test_rows", "test_fraction", "epochs", "every",
      "probe_size", "top", "slq_steps", "slq_probes", "lr", "batch", "activation", "hidden_layers");

  /** The default suite (the full study) and the small one for CI. */
  public static SuiteSpec study() throws IOException {
    return resource("study.json");
  }

  public static SuiteSpec quick() throws IOException {
    return resource("quick.json");
  }

  private static SuiteSpec resource(String name) throws IOException {
    try (InputStream in = SuiteSpec.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("suite resource " + name + " missing from the jar");
      return parse(MAPPER.readTree(in), "suite resource " + name, null);
    }
  }

  /** Reads and checks a suite file. */
  public static SuiteSpec read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("suite file " + file + " not found");
    JsonNode root;
    try {
      root = MAPPER.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(root, file.toString(), base);
  }

  static SuiteSpec parse(JsonNode root, String src, Path base) {
    if (root == null || !root.isObject()) throw bad(src, "", "expected a JSON object");
    unknownKeys(root, TOP_KEYS, src, "");
    String name = text(root, "name", src, "suite");
    int version = (int) integer(root, "version", src, 1, 1);
    JsonNode ds = root.get("datasets");
    if (ds == null || !ds.isArray() || ds.isEmpty()) throw bad(src, "datasets", "expected a non-empty list of data set names or {name, file, target} objects");
    List<DatasetRef> refs = new ArrayList<>();
    for (int i = 0; i < ds.size(); i++) {
      JsonNode e = ds.get(i);
      String field = "datasets[" + i + "]";
      if (e.isTextual()) {
        refs.add(new DatasetRef(e.asText(), null, null, null));
      } else if (e.isObject()) {
        unknownKeys(e, Set.of("name", "file", "target", "test_file"), src, field);
        String n = text(e, "name", src, null);
        if (n == null) throw bad(src, field + ".name", "expected a name for the data set");
        String f = text(e, "file", src, null);
        String t = text(e, "target", src, null);
        if (f == null || t == null) throw bad(src, field, "expected both 'file' (CSV or ARFF) and 'target' (its label or target column)");
        Path p = base == null ? Path.of(f) : base.resolve(f);
        if (!Files.isRegularFile(p)) throw bad(src, field + ".file", "file " + p + " not found");
        String tf = text(e, "test_file", src, null);
        Path tp = tf == null ? null : base == null ? Path.of(tf) : base.resolve(tf);
        if (tp != null && !Files.isRegularFile(tp)) throw bad(src, field + ".test_file", "file " + tp + " not found");
        refs.add(new DatasetRef(n, p, t, tp));
      } else {
        throw bad(src, field, "expected a name or a {name, file, target} object, got " + e);
      }
    }
    List<String> names = new ArrayList<>();
    for (DatasetRef r : refs) {
      if (!r.name().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
        throw bad(src, "datasets", "name '" + r.name() + "': expected letters, digits, '_', '.', '-' (it names run directories)");
      }
      if (names.contains(r.name())) throw bad(src, "datasets", "'" + r.name() + "' is listed twice");
      names.add(r.name());
    }
    Map<String, Double> caps = new LinkedHashMap<>();
    JsonNode c = root.get("capacities");
    if (c == null) {
      caps.put("under", 0.1);
      caps.put("well", 1.0);
      caps.put("over", 10.0);
    } else {
      if (!c.isObject() || c.isEmpty()) throw bad(src, "capacities", "expected an object such as {\"under\": 0.1, \"well\": 1, \"over\": 10}");
      unknownKeys(c, Set.copyOf(CAPACITY_CLASSES), src, "capacities");
      for (String k : CAPACITY_CLASSES) {
        if (!c.has(k)) continue;
        double v = number(c, k, src, "capacities.", 0);
        if (!(v > 0)) throw bad(src, "capacities." + k, "expected parameters per training sample > 0, got " + v);
        caps.put(k, v);
      }
    }
    List<Double> noise = new ArrayList<>();
    for (JsonNode v : list(root, "label_noise", src, "[0]")) {
      if (!v.isNumber() || !(v.asDouble() >= 0 && v.asDouble() < 1)) throw bad(src, "label_noise", "expected fractions in [0, 1), got " + v);
      if (noise.contains(v.asDouble())) throw bad(src, "label_noise", v + " is listed twice");
      noise.add(v.asDouble());
    }
    List<Long> seeds = new ArrayList<>();
    for (JsonNode v : list(root, "seeds", src, "[0]")) {
      if (!v.canConvertToLong() || !v.isIntegralNumber()) throw bad(src, "seeds", "expected integers, got " + v);
      if (seeds.contains(v.asLong())) throw bad(src, "seeds", v + " is listed twice");
      seeds.add(v.asLong());
    }
    JsonNode r = root.has("run") ? root.get("run") : MAPPER.createObjectNode();
    if (!r.isObject()) throw bad(src, "run", "expected an object of run settings");
    unknownKeys(r, RUN_KEYS, src, "run");
    RunSettings run = new RunSettings((int) integer(r, "max_train_rows", src, 2000, 10), (int) integer(r, "max_test_rows", src, 1000, 5),
        frac(r, "test_fraction", src, 0.3), (int) integer(r, "epochs", src, 60, 1), (int) integer(r, "every", src, 10, 1),
        (int) integer(r, "probe_size", src, 256, 1), (int) integer(r, "top", src, 3, 1), (int) integer(r, "slq_steps", src, 20, 1),
        (int) integer(r, "slq_probes", src, 3, 2), positive(r, "lr", src, 0.05), (int) integer(r, "batch", src, 32, 1),
        text(r, "activation", src, "tanh"), (int) integer(r, "hidden_layers", src, 2, 1));
    return new SuiteSpec(name, version, List.copyOf(refs), orderedCaps(caps),
        List.copyOf(noise), List.copyOf(seeds), run);
  }

  private static Map<String, Double> orderedCaps(Map<String, Double> caps) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String k : CAPACITY_CLASSES) if (caps.containsKey(k)) m.put(k, caps.get(k));
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The suite as JSON (what the out directory's suite.json holds; resuming requires the same). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("version", version);
    List<Object> ds = new ArrayList<>();
    for (DatasetRef d : datasets) {
      if (!d.isFile()) {
        ds.add(d.name());
      } else {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", d.name());
        o.put("file", d.file().toAbsolutePath().normalize().toString());
        o.put("target", d.target());
        if (d.testFile() != null) o.put("test_file", d.testFile().toAbsolutePath().normalize().toString());
        ds.add(o);
      }
    }
    m.put("datasets", ds);
    m.put("capacities", capacities);
    m.put("label_noise", labelNoise);
    m.put("seeds", seeds);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("max_train_rows", run.maxTrainRows());
    r.put("max_test_rows", run.maxTestRows());
    r.put("test_fraction", run.testFraction());
    r.put("epochs", run.epochs());
    r.put("every", run.every());
    r.put("probe_size", run.probeSize());
    r.put("top", run.top());
    r.put("slq_steps", run.slqSteps());
    r.put("slq_probes", run.slqProbes());
    r.put("lr", run.lr());
    r.put("batch", run.batch());
    r.put("activation", run.activation());
    r.put("hidden_layers", run.hiddenLayers());
    m.put("run", r);
    return m;
  }

  private static IllegalArgumentException bad(String src, String field, String what) {
    return new IllegalArgumentException(src + (field.isEmpty() ? "" : ": '" + field + "'") + ": " + what);
  }

  private static void unknownKeys(JsonNode o, Set<String> allowed, String src, String where) {
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw bad(src, where.isEmpty() ? k : where + "." + k, "unknown field; expected one of " + new java.util.TreeSet<>(allowed));
      }
    }
  }

  private static String text(JsonNode o, String key, String src, String dflt) {
    JsonNode v = o.get(key);
    if (v == null) return dflt;
    if (!v.isTextual() || v.asText().isBlank()) throw bad(src, key, "expected a non-empty string, got " + v);
    return v.asText();
  }

  private static long integer(JsonNode o, String key, String src, long dflt, long min) {
    JsonNode v = o.get(key);
    if (v == null) return dflt;
    if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > Integer.MAX_VALUE) {
      throw bad(src, key, "expected an integer >= " + min + ", got " + v);
    }
    return v.asLong();
  }

  private static double number(JsonNode o, String key, String src, String prefix, double dflt) {
    JsonNode v = o.get(key);
    if (v == null) return dflt;
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw bad(src, prefix + key, "expected a number, got " + v);
    return v.asDouble();
  }

  private static double positive(JsonNode o, String key, String src, double dflt) {
    double v = number(o, key, src, "", dflt);
    if (!(v > 0)) throw bad(src, key, "expected a number > 0, got " + v);
    return v;
  }

  private static double frac(JsonNode o, String key, String src, double dflt) {
    double v = number(o, key, src, "", dflt);
    if (!(v > 0 && v < 1)) throw bad(src, key, String.format(Locale.ROOT, "expected a fraction in (0, 1), got %s", o.get(key)));
    return v;
  }

  private static List<JsonNode> list(JsonNode o, String key, String src, String example) {
    JsonNode v = o.get(key);
    List<JsonNode> out = new ArrayList<>();
    if (v == null) {
      try {
        MAPPER.readTree(example).forEach(out::add);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out;
    }
    if (!v.isArray() || v.isEmpty()) throw bad(src, key, "expected a non-empty list such as " + example + ", got " + v);
    v.forEach(out::add);
    return out;
  }
}
