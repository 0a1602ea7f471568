package org.hesse.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A run's preprocessing as {@code hesse train} writes it ({@value #NAME} next to model.json): {@code mean},
 * {@code scale} of the features ({@code x' = (x - mean) / scale}) and, for regression with standardised targets,
 * {@code target_mean}, {@code target_scale} ({@code y' = (y - target_mean) / target_scale}). The reading rule for
 * front ends outside the CLI module (the Spark entry point); it is the CLI's rule (cli RunDir.readStandardizer), with
 * the same messages.
 *
 * @param features the feature standardisation, or null
 * @param targets the regression targets' standardisation, or null
 */
public record StandardizerFile(Standardizer features, Standardizer targets) {
    /** The file name in a run directory, next to the model. */
    public static final String NAME = "standardizer.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Reads {@code file}; {@code option} names where it came from in error messages (e.g. --standardizer). */
    public static StandardizerFile read(Path file, String option) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(option + ": file not found: " + file);
        JsonNode n;
        try {
            n = MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(option + ": " + file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException(option + ": " + file + ": expected a JSON object");
        Standardizer f = pair(n, "mean", "scale", file, option);
        Standardizer t = pair(n, "target_mean", "target_scale", file, option);
        if (f == null && t == null) {
            throw new IllegalArgumentException(option + ": " + file + " must hold 'mean' and 'scale' arrays");
        }
        return new StandardizerFile(f, t);
    }

    private static Standardizer pair(JsonNode n, String meanKey, String scaleKey, Path file, String option) {
        if (!n.has(meanKey) && !n.has(scaleKey)) return null;
        double[] mean = numbers(n.get(meanKey), meanKey, file, option);
        double[] scale = numbers(n.get(scaleKey), scaleKey, file, option);
        try {
            return Standardizer.of(mean, scale);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + file + ": '" + meanKey + "', '" + scaleKey + "': " + e.getMessage());
        }
    }

    private static double[] numbers(JsonNode a, String key, Path file, String option) {
        if (a == null || !a.isArray() || a.isEmpty()) {
            throw new IllegalArgumentException(option + ": " + file + ": '" + key + "': expected a non-empty array of numbers");
        }
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            if (!a.get(i).isNumber()) {
                throw new IllegalArgumentException(option + ": " + file + ": '" + key + "'[" + i + "]: expected a number, got " + a.get(i));
            }
            v[i] = a.get(i).doubleValue();
        }
        return v;
    }
}
