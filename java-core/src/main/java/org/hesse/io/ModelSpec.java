package org.hesse.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The model description, {@code model.json}:
 * <pre>{"input": 4, "loss": "cross_entropy", "layers": [{"type": "dense", "out": 16}, {"type": "tanh"}, {"type": "dense", "out": 3}]}</pre>
 * {@code input} is the feature count, {@code loss} is {@code cross_entropy} or {@code mse}, and layer {@code i}'s
 * tensors in the companion safetensors file are {@code i.weight} and {@code i.bias} (PyTorch's
 * {@code nn.Sequential} naming). Unknown top-level keys are kept in {@link #extra()} and unknown layer keys in
 * {@link LayerSpec#extra()}, so descriptions written for newer layer types round-trip unchanged.
 *
 * <p>Writing is deterministic: {@code input}, {@code loss}, {@code layers}, then extra keys sorted; in a layer
 * {@code type}, {@code out}, then extra keys sorted (recursively for nested objects). The layout is that of Python's
 * {@code json.dump(indent=1)}, the layout of the PyTorch-made fixtures.
 */
public record ModelSpec(int input, String loss, List<LayerSpec> layers, Map<String, Object> extra, boolean graph) {

    public static final Set<String> LOSSES = Set.of("cross_entropy", "mse");

    /** Deepest JSON nesting accepted (objects and arrays); residual blocks take two levels each. */
    public static final int MAX_NESTING = 100;

    /** Largest description file accepted; real ones are a few kilobytes. */
    public static final long MAX_FILE_BYTES = 16L << 20;

    /** Strict JSON: duplicate keys, trailing content and nesting beyond {@link #MAX_NESTING} are refused. */
    static final ObjectMapper JSON = strictJson();

    /** The JSON rules of every Hesse reader (also the safetensors header). */
    static ObjectMapper strictJson() {
        JsonFactory f = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        return new ObjectMapper(f).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** A Jackson failure as one line: what, where (line, column when known), without Jackson's internal names. */
    static String jsonProblem(JsonProcessingException e) {
        String where = where(e.getLocation());
        if (e instanceof StreamConstraintsException) {
            return "nested deeper than " + MAX_NESTING + " levels" + where + "; expected at most " + MAX_NESTING
                    + " levels of objects and arrays";
        }
        String m = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        // Jackson's messages can quote long tokens and spread over lines: keep the first line, cut
        int nl = m.indexOf('\n');
        return InputException.excerpt(nl >= 0 ? m.substring(0, nl) : m, 200) + where;
    }

    /** " at line L, column C", or "" when Jackson gives no location (its nesting-depth error has none) or an unknown one. */
    static String where(com.fasterxml.jackson.core.JsonLocation loc) {
        if (loc == null || loc.getLineNr() <= 0) return "";
        return " at line " + loc.getLineNr() + (loc.getColumnNr() > 0 ? ", column " + loc.getColumnNr() : "");
    }

    private static final ObjectWriter PRETTY;

    static {
        // Python's json.dump(indent=1): one space per level, arrays one element a line, "key": value.
        DefaultIndenter indent = new DefaultIndenter(" ", "\n");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                        .withObjectEmptySeparator("")
                        .withArrayEmptySeparator(""));
        pp.indentObjectsWith(indent);
        pp.indentArraysWith(indent);
        PRETTY = JSON.writer(pp);
    }

    public ModelSpec {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(layers, "layers");
        layers = List.copyOf(layers);
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        validate(input, loss, layers, extra, graph);
    }

    public ModelSpec(int input, String loss, List<LayerSpec> layers) {
        this(input, loss, layers, Map.of());
    }

    /** A layer-list description ({@code "layers"}). */
    public ModelSpec(int input, String loss, List<LayerSpec> layers, Map<String, Object> extra) {
        this(input, loss, layers, extra, false);
    }

    /** The entries: layers of a layer list, or nodes of a graph description ({@link #graph()}). */
    public List<LayerSpec> entries() {
        return layers;
    }

    /** Parses and validates a description held in a string; {@code source} names it in messages. */
    public static ModelSpec parse(String json, String source) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InputException("model description " + source + ": not valid JSON: " + jsonProblem(e), e);
        }
        try {
            return fromTree(root);
        } catch (IllegalArgumentException e) {
            throw new InputException("model description " + source + ": " + e.getMessage(), e);
        }
    }

    public static ModelSpec parse(String json) {
        return parse(json, "(string)");
    }

    public static ModelSpec read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Inputs.requireFile(file, "model description");
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new InputException("model description " + file + ": " + size + " bytes, more than the "
                    + MAX_FILE_BYTES + " a description may have (is it the weights file?)");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses a description from the bytes of a file: UTF-8 JSON, else refused with the offset of the first bad byte. */
    public static ModelSpec parse(byte[] bytes, String source) {
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xFF;
            if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
                throw new InputException("model description " + source + ": binary data (byte " + i + " is 0x"
                        + String.format("%02x", b) + "); expected UTF-8 JSON text (is it the weights file?)");
            }
        }
        String text;
        try {
            text = Inputs.decodeUtf8(bytes, "model description " + source);
        } catch (InputException e) {
            throw new InputException(e.getMessage() + " holding JSON (is it the weights file?)", e);
        }
        return parse(text, source);
    }

    /** Pretty JSON, without a trailing newline. */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("input", input);
        root.put("loss", loss);
        List<Object> ls = new ArrayList<>(layers.size());
        for (LayerSpec l : layers) {
            ls.add(layerToMap(l));
        }
        root.put(graph ? "nodes" : "layers", ls);
        new TreeMap<>(extra).forEach((k, v) -> root.put(k, canonical(v)));
        try {
            return PRETTY.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new InputException("model description: a value in extra cannot be written as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** Writes {@link #toJson()} and a final newline, atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson() + "\n");
    }

    // ---------------------------------------------------------------- parsing

    private static ModelSpec fromTree(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new InputException("expected a JSON object, found "
                    + (root == null || root.isMissingNode() ? "nothing (an empty file?)" : root.getNodeType()));
        }
        JsonNode in = root.get("input");
        if (root.has("nodes") && root.has("layers")) {
            throw new InputException("fields 'layers' and 'nodes': expected one of them (a layer list or a graph), found both");
        }
        boolean graph = root.has("nodes");
        int input;
        if (in == null && graph && root.has("input_shape")) {
            input = shapeSize(root.get("input_shape"));
        } else if (in == null) {
            throw new InputException("field 'input' is missing (the number of input features)");
        } else if (!in.isIntegralNumber() || !in.canConvertToInt()) {
            throw new InputException("field 'input': expected a positive integer, found " + InputException.excerpt(in));
        } else {
            input = in.intValue();
        }
        JsonNode loss = root.get("loss");
        if (loss == null) {
            throw new InputException("field 'loss' is missing (one of " + sortedLosses() + ")");
        }
        if (!loss.isTextual()) {
            throw new InputException("field 'loss': expected one of " + sortedLosses() + ", found " + InputException.excerpt(loss));
        }
        String field = graph ? "nodes" : "layers";
        JsonNode layersNode = root.get(field);
        if (layersNode == null || !layersNode.isArray()) {
            throw new InputException("field 'layers': expected a list of layers (or 'nodes', a list of graph nodes), found "
                    + (layersNode == null ? "nothing" : layersNode.getNodeType()));
        }
        List<LayerSpec> layers = new ArrayList<>();
        for (int i = 0; i < layersNode.size(); i++) {
            layers.add(layerFromObject(JSON.convertValue(layersNode.get(i), Object.class), (graph ? "node " : "layer ") + i));
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getKey().equals("input") && !f.getKey().equals("loss") && !f.getKey().equals(field)) {
                extra.put(f.getKey(), JSON.convertValue(f.getValue(), Object.class));
            }
        }
        return new ModelSpec(input, loss.textValue(), layers, extra, graph);
    }

    /** The element count of an "input_shape" list (its own checks are the network builder's). */
    private static int shapeSize(JsonNode shape) {
        long n = 1;
        if (!shape.isArray() || shape.isEmpty()) {
            throw new InputException("field 'input_shape': expected a list of positive integers, found " + InputException.excerpt(shape));
        }
        for (JsonNode d : shape) {
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() <= 0) {
                throw new InputException("field 'input_shape': expected a list of positive integers, found " + InputException.excerpt(shape));
            }
            n *= d.intValue();
            if (n > Integer.MAX_VALUE) throw new InputException("field 'input_shape': more than " + Integer.MAX_VALUE + " values");
        }
        return (int) n;
    }

    /** Builds a layer from a parsed JSON object ({@code Map}); {@code where} prefixes messages, e.g. "layer 2". */
    static LayerSpec layerFromObject(Object o, String where) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new InputException(where + ": expected an object with a 'type', found " + InputException.excerpt(o));
        }
        Object type = m.get("type");
        if (!(type instanceof String t) || t.isEmpty()) {
            throw new InputException(where + ": field 'type' must be a non-empty string, found " + InputException.excerpt(type));
        }
        Integer out = null;
        if (m.containsKey("out")) {
            Object v = m.get("out");
            if (!(v instanceof Integer i)) {
                throw new InputException(where + " (" + t + "): field 'out' must be a positive integer, found " + InputException.excerpt(v));
            }
            out = i;
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = (String) e.getKey();
            if (!k.equals("type") && !k.equals("out")) {
                extra.put(k, e.getValue());
            }
        }
        LayerSpec l = new LayerSpec(t, out, extra);
        validateLayer(l, where);
        return l;
    }

    private static void validate(int input, String loss, List<LayerSpec> layers, Map<String, Object> extra, boolean graph) {
        String field = graph ? "nodes" : "layers";
        String what = graph ? "node" : "layer";
        if (input <= 0) {
            throw new InputException("field 'input': expected a positive integer, found " + input);
        }
        if (!LOSSES.contains(loss)) {
            throw new InputException("field 'loss': expected one of " + sortedLosses() + ", found '" + InputException.excerpt(loss) + "'");
        }
        if (layers.isEmpty()) {
            throw new InputException("field '" + field + "': expected at least one " + what + ", found none");
        }
        for (int i = 0; i < layers.size(); i++) {
            validateLayer(Objects.requireNonNull(layers.get(i), field + "[" + i + "]"), what + " " + i);
        }
        for (String k : extra.keySet()) {
            if (k.equals("input") || k.equals("loss") || k.equals("layers") || k.equals("nodes")) {
                throw new InputException("extra: must not contain '" + k + "' (it is a field)");
            }
        }
    }

    private static void validateLayer(LayerSpec l, String where) {
        String at = where + " (" + InputException.excerpt(l.type()) + ")";
        if (l.out() != null && l.out() <= 0) {
            throw new InputException(at + ": field 'out' must be a positive integer, found " + l.out());
        }
        if (l.type().equals("dense") && l.out() == null) {
            throw new InputException(at + ": field 'out' is missing (dense needs the number of outputs)");
        }
    }

    private static String sortedLosses() {
        return new java.util.TreeSet<>(LOSSES).toString();
    }

    // ---------------------------------------------------------------- writing

    private static Map<String, Object> layerToMap(LayerSpec l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", l.type());
        if (l.out() != null) {
            m.put("out", l.out());
        }
        new TreeMap<>(l.extra()).forEach((k, v) -> m.put(k, canonical(v)));
        return m;
    }

    /** Nested maps: "type" then "out" first (they read as layers), the other keys sorted. */
    private static Object canonical(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> r = new LinkedHashMap<>();
            for (String first : List.of("type", "out")) {
                if (m.containsKey(first)) {
                    r.put(first, canonical(m.get(first)));
                }
            }
            TreeMap<String, Object> rest = new TreeMap<>();
            m.forEach((k, x) -> rest.put(String.valueOf(k), x));
            rest.forEach((k, x) -> r.putIfAbsent(k, canonical(x)));
            return r;
        }
        if (v instanceof List<?> list) {
            List<Object> r = new ArrayList<>(list.size());
            for (Object x : list) {
                r.add(canonical(x));
            }
            return r;
        }
        if (v instanceof LayerSpec l) {
            return layerToMap(l);
        }
        return v;
    }
}
