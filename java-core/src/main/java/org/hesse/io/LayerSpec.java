package org.hesse.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of a model description's {@code "layers"} list: its {@code type}, its {@code out} width if it has
 * one, and every other key verbatim in {@code extra} (JSON values as Jackson maps them: String, Integer, Long,
 * Double, Boolean, {@code List}, {@code Map}, or null). Layer types this class does not know (batchnorm, conv2d
 * with kernel/stride/padding, residual with nested {@code "layers"}, dropout {@code p}, ...) therefore parse and
 * write back unchanged; their builders read {@link #extra()} or {@link #sublayers(String)}.
 */
public record LayerSpec(String type, Integer out, Map<String, Object> extra) {

    public LayerSpec {
        Objects.requireNonNull(type, "type");
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        if (extra.containsKey("type") || extra.containsKey("out")) {
            throw new InputException("extra: must not contain 'type' or 'out' (they are fields), found keys "
                    + extra.keySet());
        }
    }

    /** A layer without {@code out} nor extra keys, e.g. {@code tanh}. */
    public static LayerSpec of(String type) {
        return new LayerSpec(type, null, Map.of());
    }

    /** A dense (affine) layer of {@code out} outputs. */
    public static LayerSpec dense(int out) {
        return new LayerSpec("dense", out, Map.of());
    }

    /** Integer-valued extra key, or {@code defaultValue} if absent. */
    public int intParam(String key, int defaultValue) {
        Object v = extra.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Integer i) {
            return i;
        }
        throw new InputException("field '" + key + "' must be an integer, found " + InputException.excerpt(v));
    }

    /** An integer field the layer cannot do without (conv2d's out_channels, kernel sizes). */
    public int requiredInt(String key) {
        if (!extra.containsKey(key)) {
            throw new InputException("'" + key + "' is required");
        }
        return intParam(key, 0);
    }

    /** A required list of integers under {@code key} (reshape's shape, layer norm's normalized_shape). */
    public int[] ints(String key) {
        return intList(extra.get(key), key);
    }

    /** A JSON value that must be a list of integers; errors name {@code field}. */
    public static int[] intList(Object v, String field) {
        if (v == null) {
            throw new InputException("'" + field + "' is required");
        }
        if (!(v instanceof List<?> list)) {
            throw new InputException(field + ": expected a list of integers, got " + InputException.excerpt(v));
        }
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Integer n)) {
                throw new InputException(field + ": expected integers, got " + InputException.excerpt(v));
            }
            out[i] = n;
        }
        return out;
    }

    /** Number-valued extra key, or {@code defaultValue} if absent. */
    public double doubleParam(String key, double defaultValue) {
        Object v = extra.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new InputException("field '" + key + "' must be a number, found " + InputException.excerpt(v));
    }

    /**
     * Nested layer list under {@code key} (e.g. a residual block's {@code "layers"}), parsed and validated like
     * the top-level list; empty if the key is absent.
     */
    public List<LayerSpec> sublayers(String key) {
        Object v = extra.get(key);
        if (v == null) {
            return List.of();
        }
        String where = "field '" + key + "'";
        if (!(v instanceof List<?> list)) {
            throw new InputException(where + ": expected a list of layers, found " + InputException.excerpt(v));
        }
        List<LayerSpec> r = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            r.add(ModelSpec.layerFromObject(list.get(i), where + " layer " + i));
        }
        return Collections.unmodifiableList(r);
    }
}
