package org.hesse.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModelSpecTest {
    @TempDir
    Path dir;

    private static IllegalArgumentException bad(String json) {
        return assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse(json));
    }

    @Test
    void parsesTheBriefExample() {
        ModelSpec m = ModelSpec.parse("{\"input\": 4, \"loss\": \"cross_entropy\", \"layers\": [{\"type\": \"dense\", "
                + "\"out\": 16}, {\"type\": \"tanh\"}, {\"type\": \"dense\", \"out\": 3}]}");
        assertEquals(4, m.input());
        assertEquals("cross_entropy", m.loss());
        assertEquals(List.of(LayerSpec.dense(16), LayerSpec.of("tanh"), LayerSpec.dense(3)), m.layers());
    }

    @Test
    void fixturesParseAndWriteBackByteForByte() throws IOException {
        for (String name : List.of("pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse")) {
            Path f = Fixtures.dir(name).resolve("model.json");
            String text = Files.readString(f);
            ModelSpec m = ModelSpec.read(f);
            // the fixtures were written by Python's json.dump(indent=1): same layout, same key order
            assertEquals(text.strip(), m.toJson(), name);
            Path out = dir.resolve(name + ".json");
            m.write(out);
            assertEquals(m, ModelSpec.read(out));
        }
    }

    @Test
    void keepsUnknownLayerTypesAndKeys() throws IOException {
        String json = "{\"loss\": \"mse\", \"input\": 12, \"seed\": 5, \"layers\": ["
                + "{\"type\": \"conv2d\", \"out\": 8, \"kernel\": [3, 3], \"stride\": 1, \"padding\": \"same\"},"
                + "{\"type\": \"batchnorm\", \"momentum\": 0.1, \"affine\": true},"
                + "{\"type\": \"residual\", \"layers\": [{\"type\": \"dense\", \"out\": 8}, {\"type\": \"relu\"}]},"
                + "{\"type\": \"dropout\", \"p\": 0.25},"
                + "{\"type\": \"dense\", \"out\": 1, \"zeta\": null}]}";
        ModelSpec m = ModelSpec.parse(json);
        assertEquals(Map.of("seed", 5), m.extra());
        LayerSpec conv = m.layers().get(0);
        assertEquals(8, conv.out());
        assertEquals(List.of(3, 3), conv.extra().get("kernel"));
        assertEquals(1, conv.intParam("stride", 0));
        assertEquals("same", conv.extra().get("padding"));
        assertEquals(0.1, m.layers().get(1).doubleParam("momentum", 0), 0.0);
        assertEquals(Boolean.TRUE, m.layers().get(1).extra().get("affine"));
        assertEquals(List.of(LayerSpec.dense(8), LayerSpec.of("relu")), m.layers().get(2).sublayers("layers"));
        assertEquals(0.25, m.layers().get(3).doubleParam("p", 0), 0.0);
        assertTrue(m.layers().get(4).extra().containsKey("zeta"));

        // writing: fixed key order, and the tree survives a round trip
        String out = m.toJson();
        assertTrue(out.startsWith("{\n \"input\": 12,\n \"loss\": \"mse\",\n \"layers\": ["), out);
        assertTrue(out.indexOf("\"kernel\"") < out.indexOf("\"padding\"") && out.indexOf("\"padding\"") < out.indexOf("\"stride\""));
        assertEquals(m, ModelSpec.parse(out));
        assertEquals(out, ModelSpec.parse(out).toJson(), "deterministic");
        ObjectMapper om = new ObjectMapper();
        assertEquals(om.readTree(json), om.readTree(out), "same JSON tree as the input");
    }

    @Test
    void badInputNamesLayerAndField() {
        String layers = ", \"layers\": [{\"type\": \"dense\", \"out\": 2}]";
        assertTrue(bad("{\"loss\": \"mse\"" + layers + "}").getMessage().contains("field 'input' is missing"));
        IllegalArgumentException e = bad("{\"input\": 0, \"loss\": \"mse\"" + layers + "}");
        assertTrue(e.getMessage().contains("field 'input'") && e.getMessage().contains("found 0"), e.getMessage());
        e = bad("{\"input\": 2.5, \"loss\": \"mse\"" + layers + "}");
        assertTrue(e.getMessage().contains("field 'input'") && e.getMessage().contains("2.5"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"hinge\"" + layers + "}");
        assertTrue(e.getMessage().contains("field 'loss'") && e.getMessage().contains("[cross_entropy, mse]")
                && e.getMessage().contains("'hinge'"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": []}");
        assertTrue(e.getMessage().contains("at least one layer"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": 2}, {\"type\": \"tanh\"}, "
                + "{\"type\": \"dense\"}]}");
        assertTrue(e.getMessage().contains("layer 2 (dense): field 'out' is missing"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": -4}]}");
        assertTrue(e.getMessage().contains("layer 0 (dense): field 'out' must be a positive integer, found -4"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": \"8\"}]}");
        assertTrue(e.getMessage().contains("layer 0 (dense): field 'out'") && e.getMessage().contains("found 8"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": [{\"out\": 4}]}");
        assertTrue(e.getMessage().contains("layer 0: field 'type'"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": [7]}");
        assertTrue(e.getMessage().contains("layer 0: expected an object"), e.getMessage());
        e = bad("{\"input\": 3, \"loss\": \"mse\", \"layers\": [{\"type\": \"dense\", \"out\": 2}],}");
        assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("line 1"), e.getMessage());
        e = bad("{\"input\": 3, \"input\": 4, \"loss\": \"mse\"" + layers + "}");
        assertTrue(e.getMessage().contains("Duplicate field 'input'"), e.getMessage());
        LayerSpec residual = ModelSpec.parse("{\"input\": 3, \"loss\": \"mse\", \"layers\": [{\"type\": \"residual\", "
                + "\"layers\": [{\"type\": \"relu\"}, {\"type\": \"dense\", \"out\": 0}]}]}").layers().get(0);
        e = assertThrows(IllegalArgumentException.class, () -> residual.sublayers("layers"));
        assertTrue(e.getMessage().contains("field 'layers' layer 1 (dense): field 'out'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.read(dir.resolve("missing.json")));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("missing.json"), e.getMessage());
    }

    @Test
    void constructorValidatesToo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelSpec(4, "mse", List.of(LayerSpec.of("tanh"), new LayerSpec("dense", null, Map.of()))));
        assertTrue(e.getMessage().contains("layer 1 (dense): field 'out' is missing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LayerSpec("dense", 3, Map.of("out", 4)));
        assertTrue(e.getMessage().contains("'out'"), e.getMessage());
    }
}
