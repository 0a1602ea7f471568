package org.hesse.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Real data sets shipped as resources under {@code org/hesse/data/} (gzip CSV, described by {@code datasets.json};
 * sources and licences in NOTICE): iris, wine, breast_cancer, digits (classification) and diabetes (regression),
 * from scikit-learn's copies. No network access.
 */
public final class BundledDatasets {

    /** What {@code datasets.json} says about one data set. */
    public record Info(String name, String file, Dataset.Task task, String target, List<String> classes,
                       int rows, int features, String source) {
    }

    private static final String INDEX = "datasets.json";
    private static volatile Map<String, Info> index;

    private BundledDatasets() {
    }

    /** Names of the bundled data sets, in the index's order. */
    public static List<String> names() {
        return List.copyOf(index().keySet());
    }

    public static Info info(String name) {
        Objects.requireNonNull(name, "name");
        Info info = index().get(name);
        if (info == null) {
            throw new org.hesse.io.InputException("unknown bundled data set '" + org.hesse.io.InputException.excerpt(name)
                    + "'; expected one of " + names());
        }
        return info;
    }

    /** Loads data set {@code name} (a new copy each call; callers may standardise or split it freely). */
    public static Dataset load(String name) {
        Info info = info(name);
        try (InputStream in = BundledDatasets.class.getResourceAsStream(info.file())) {
            if (in == null) {
                throw new IllegalStateException("bundled data set '" + name + "': resource " + info.file() + " missing from the jar");
            }
            Dataset d = Csv.read(in, "bundled:" + info.file(), info.task(), List.of(info.target()),
                    info.task() == Dataset.Task.CLASSIFICATION ? info.classes() : null);
            if (d.size() != info.rows() || d.numFeatures() != info.features()) {
                throw new IllegalStateException("bundled data set '" + name + "': " + d.size() + " × " + d.numFeatures()
                        + ", index says " + info.rows() + " × " + info.features());
            }
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("reading bundled data set '" + name + "'", e);
        }
    }

    private static Map<String, Info> index() {
        Map<String, Info> m = index;
        if (m == null) {
            synchronized (BundledDatasets.class) {
                if (index == null) {
                    index = readIndex();
                }
                m = index;
            }
        }
        return m;
    }

    private static Map<String, Info> readIndex() {
        try (InputStream in = BundledDatasets.class.getResourceAsStream(INDEX)) {
            if (in == null) {
                throw new IllegalStateException("resource org/hesse/data/" + INDEX + " missing from the jar");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            Map<String, Info> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                Dataset.Task task = Dataset.Task.valueOf(v.get("task").asText().toUpperCase(java.util.Locale.ROOT));
                List<String> classes = new ArrayList<>();
                if (v.has("classes")) {
                    v.get("classes").forEach(c -> classes.add(c.asText()));
                }
                m.put(e.getKey(), new Info(e.getKey(), v.get("file").asText(), task, v.get("target").asText(),
                        Collections.unmodifiableList(classes), v.get("rows").asInt(), v.get("features").asInt(),
                        v.get("source").asText()));
            }
            return Collections.unmodifiableMap(m);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + INDEX, e);
        }
    }
}
