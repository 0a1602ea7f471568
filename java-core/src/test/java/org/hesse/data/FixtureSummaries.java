package org.hesse.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.hesse.data.catalog.DebianCache;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Column summaries of real files computed by an independent reader (Python's rdata, scipy.io.arff: see the
 * make_*_fixture.py scripts next to the JSON files), compared with a {@link Table} read here.
 */
final class FixtureSummaries {

    private FixtureSummaries() {
    }

    static List<JsonNode> load(String resource) throws IOException {
        try (InputStream in = FixtureSummaries.class.getResourceAsStream(resource)) {
            List<JsonNode> out = new ArrayList<>();
            new ObjectMapper().readTree(in).forEach(out::add);
            return out;
        }
    }

    /** The fixture's file from the Debian cache; the test is skipped with the cache's message if it cannot be had. */
    static Path file(JsonNode entry) throws IOException {
        try {
            return DebianCache.file(entry.get("package").asText(), entry.get("path").asText());
        } catch (DebianCache.Unavailable e) {
            Assumptions.abort(e.getMessage());
            throw e;
        }
    }

    /**
     * Same rows and columns (names, order, kind, missing counts); categorical: the levels that occur, in order, and
     * their counts; numeric: the first value exactly and the sum to 1e-12 relative (summation order differs).
     */
    static void assertMatches(JsonNode expected, Table t) {
        String what = expected.get("path").asText();
        assertEquals(expected.get("rows").asInt(), t.rows(), what + ": rows");
        JsonNode cols = expected.get("columns");
        assertEquals(cols.size(), t.columns().size(), what + ": columns");
        for (int j = 0; j < cols.size(); j++) {
            JsonNode c = cols.get(j);
            Table.Column col = t.columns().get(j);
            String at = what + ", column " + c.get("name").asText();
            assertEquals(c.get("name").asText(), col.name(), at);
            int missing = 0;
            for (int i = 0; i < col.size(); i++) {
                missing += col.isMissing(i) ? 1 : 0;
            }
            assertEquals(c.get("missing").asInt(), missing, at + ": missing");
            if (c.get("kind").asText().equals("categorical")) {
                assertTrue(col instanceof Table.Categorical, at + " is categorical");
                Table.Categorical cat = (Table.Categorical) col;
                List<String> levels = new ArrayList<>();
                c.get("levels").forEach(l -> levels.add(l.asText()));
                assertEquals(levels, cat.levels(), at + ": levels");
                int[] counts = new int[levels.size()];
                for (int code : cat.codes()) {
                    if (code >= 0) {
                        counts[code]++;
                    }
                }
                for (int l = 0; l < counts.length; l++) {
                    assertEquals(c.get("counts").get(l).asInt(), counts[l], at + ": count of " + levels.get(l));
                }
            } else {
                assertTrue(col instanceof Table.Numeric, at + " is numeric");
                double[] v = ((Table.Numeric) col).values();
                double sum = 0;
                for (double x : v) {
                    sum += Double.isNaN(x) ? 0 : x;
                }
                double want = c.get("sum").asDouble();
                assertEquals(want, sum, 1e-12 * Math.max(1, Math.abs(want)), at + ": sum");
                if (c.get("first").isNull()) {
                    assertTrue(Double.isNaN(v[0]), at + ": first value missing");
                } else {
                    assertEquals(c.get("first").asDouble(), v[0], 0.0, at + ": first value");
                }
            }
        }
    }
}
