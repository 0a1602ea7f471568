package org.hesse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.hesse.data.Standardizer;
import org.hesse.io.AtomicFiles;

/**
 * A run directory as {@code train} and {@code analyze} write it: model.json, model.safetensors, config.json and
 * standardizer.json (the preprocessing), and the rules for writing into one.
 *
 * <p>config.json of a classification run holds {@code "classes"}: the training labels in class-index order (output
 * c of the model is label {@code classes[c]}); {@code spectrum} maps other data to them.
 *
 * <p>standardizer.json: {@code mean}, {@code scale} (features: {@code x' = (x - mean) / scale}, fitted on the
 * training split) and, for regression with target standardisation (the default), {@code target_mean},
 * {@code target_scale} ({@code y' = (y - target_mean) / target_scale}; the model predicts y', so a prediction
 * in the data's units is {@code y = y' * target_scale + target_mean}, and a mean squared error on the
 * standardised scale is, per target, the error in the data's units divided by {@code target_scale²}).
 */
final class RunDir {
  private RunDir() {}

  static final String MODEL = "model.json";
  static final String WEIGHTS = "model.safetensors";
  static final String CONFIG = "config.json";
  static final String STANDARDIZER = org.hesse.data.StandardizerFile.NAME;
  /** config.json's key of the class mapping: the training labels in class-index order. */
  static final String CLASSES = "classes";

  /** Feature and (optional) target standardisation of a run. */
  record Preprocessing(Standardizer features, Standardizer targets) {}

  /**
   * Refuses to write into an existing non-empty directory (a run there would be silently mixed or overwritten)
   * unless {@code force}; {@code alternative} names the other way out (e.g. "--resume to continue it"), or null.
   */
  static void requireWritable(Path out, boolean force, String alternative) throws IOException {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new IllegalArgumentException("--out: " + out + " is a file; expected a run directory (new or empty)");
    }
    if (force || !Files.isDirectory(out) || isEmpty(out)) return;
    throw new IllegalArgumentException("--out: " + out + " already exists and is not empty; pass "
        + (alternative == null ? "" : alternative + ", ") + "--force to overwrite its files, or choose another directory");
  }

  static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Deletes the temporary files (".NAME.*.tmp", AtomicFiles') a killed process left in dir. */
  static void removeStaleTemporaries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.tmp")) {
      for (Path p : s) Files.deleteIfExists(p);
    }
  }

  static void writeStandardizer(Path dir, Preprocessing pre) throws IOException {
    if (pre.features() == null && pre.targets() == null) return;
    Map<String, Object> m = new LinkedHashMap<>();
    if (pre.features() != null) {
      m.put("mean", pre.features().mean());
      m.put("scale", pre.features().scale());
    }
    if (pre.targets() != null) {
      m.put("target_mean", pre.targets().mean());
      m.put("target_scale", pre.targets().scale());
    }
    m.put("note", "features: x' = (x - mean) / scale"
        + (pre.targets() == null ? "" : "; targets: y' = (y - target_mean) / target_scale, the model predicts y', "
            + "so y = y' * target_scale + target_mean, and losses are on the standardised scale")
        + "; fitted on the training split");
    AtomicFiles.writeString(dir.resolve(STANDARDIZER), Json.write(m) + "\n");
  }

  /** Reads standardizer.json; {@code option} names where it came from in error messages. */
  static Preprocessing readStandardizer(Path file, String option) throws IOException {
    org.hesse.data.StandardizerFile f = org.hesse.data.StandardizerFile.read(file, option); // the one reading rule (Spark shares it)
    return new Preprocessing(f.features(), f.targets());
  }

  /**
   * config.json's "classes" (classification runs): the label of class index c is element c, the training data's
   * {@code Dataset.classNames()}; null when the run has none (regression, or written before it was stored).
   */
  static java.util.List<String> classes(JsonNode config, Path file) {
    JsonNode a = config.get(CLASSES);
    if (a == null || a.isNull()) return null;
    if (!a.isArray() || a.isEmpty()) {
      throw new IllegalArgumentException(file + ": '" + CLASSES + "': expected a non-empty list of class labels, got "
          + org.hesse.io.InputException.excerpt(a.toString(), 80));
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    for (JsonNode e : a) {
      if (!e.isTextual()) {
        throw new IllegalArgumentException(file + ": '" + CLASSES + "': expected class labels as strings, got "
            + org.hesse.io.InputException.excerpt(e.toString(), 80));
      }
      names.add(e.asText());
    }
    if (new java.util.HashSet<>(names).size() != names.size()) {
      throw new IllegalArgumentException(file + ": '" + CLASSES + "': a class label is listed twice");
    }
    return names;
  }

  /** config.json of a run, or null when there is none (or it is unreadable: it only informs warnings). */
  static JsonNode config(Path dir) {
    Path c = dir.resolve(CONFIG);
    if (!Files.isRegularFile(c)) return null;
    try {
      JsonNode n = Json.MAPPER.readTree(c.toFile());
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * A run directory's config.json for --run: missing or unreadable is refused, naming the file (next to a bare
   * --model, {@link #config} instead treats a config.json that is not a run's as absent).
   */
  static JsonNode requiredConfig(Path dir, String option) {
    Path c = dir.resolve(CONFIG);
    if (!Files.isRegularFile(c)) {
      throw new IllegalArgumentException(option + ": " + c + " not found; expected the config.json that hesse train or "
          + "analyze writes (or give --model, --weights and --data/--dataset)");
    }
    try {
      JsonNode n = Json.MAPPER.readTree(c.toFile());
      if (n == null || !n.isObject()) throw new IllegalArgumentException(option + ": " + c + ": expected a JSON object");
      return n;
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(option + ": " + c + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException(option + ": cannot read " + c + ": " + org.hesse.io.AtomicFiles.reason(e));
    }
  }
}
