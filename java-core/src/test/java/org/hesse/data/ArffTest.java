package org.hesse.data;

import org.hesse.io.InputException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ARFF reader on Weka's example files (Debian weka; skipped with the cache's message if it cannot be had)
 * against summaries computed by scipy.io.arff (make_arff_fixture.py), and on small files whose values are stated
 * here (sparse instances, quoting, strings, missing values, malformed input).
 */
class ArffTest {

    @TestFactory
    Stream<DynamicTest> readsWekasExamplesLikeScipy() throws IOException {
        return FixtureSummaries.load("arff_fixture.json").stream().map(e -> DynamicTest.dynamicTest(
                e.get("path").asText(), () -> FixtureSummaries.assertMatches(e, Arff.read(FixtureSummaries.file(e)))));
    }

    private static Table read(String text) throws IOException {
        return Arff.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "test.arff");
    }

    @Test
    void quotedNamesStringsMissingAndWeights() throws IOException {
        Table t = read("""
                % a comment
                @RELATION 'my data'
                @attribute 'first value' NUMERIC
                @attribute "colour" {red, 'dark blue', green}
                @attribute note string
                @DATA
                1.5, 'dark blue', 'it\\'s'
                ?, red, "a, b"
                % comment between rows
                -2e3, ?, plain, {0.5}
                """);
        assertEquals(List.of("first value", "colour", "note"), t.names());
        assertEquals(3, t.rows());
        double[] v = ((Table.Numeric) t.column("first value")).values();
        assertEquals(1.5, v[0]);
        assertTrue(Double.isNaN(v[1]));
        assertEquals(-2000.0, v[2]);
        Table.Categorical colour = (Table.Categorical) t.column("colour");
        assertEquals(List.of("red", "dark blue"), colour.levels(), "declared order, unused 'green' dropped");
        assertArrayEquals(new int[] {1, 0, -1}, colour.codes());
        Table.Categorical note = (Table.Categorical) t.column("note");
        assertEquals("it's", note.value(0), "backslash escape inside quotes");
        assertEquals("a, b", note.value(1));
        assertEquals("line 10", t.rowName(2), "rows named by their line in the file");
    }

    @Test
    void sparseInstancesFillAbsentValuesAsWeka() throws IOException {
        Table t = read("""
                @relation s
                @attribute a numeric
                @attribute b numeric
                @attribute c {x, y}
                @data
                {1 3.5}
                {0 2, 2 y}
                {}
                """);
        assertArrayEquals(new double[] {0, 2, 0}, ((Table.Numeric) t.column("a")).values());
        assertArrayEquals(new double[] {3.5, 0, 0}, ((Table.Numeric) t.column("b")).values());
        Table.Categorical c = (Table.Categorical) t.column("c");
        assertEquals(List.of("x", "y"), List.of(c.value(0), c.value(1)));
        assertEquals("x", c.value(2), "absent nominal = first declared value");
    }

    private static void assertRefused(String text, String... fragments) {
        InputException e = assertThrows(InputException.class, () -> read(text));
        assertTrue(e.getMessage().startsWith("ARFF test.arff"), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
        }
    }

    @Test
    void malformedFilesAreRefusedNamingLineAndAttribute() {
        String head = "@relation r\n@attribute x numeric\n@attribute k {a, b}\n@data\n";
        assertRefused(head + "1, a\n2\n", "line 6", "expected 2 values", "found 1");
        assertRefused(head + "1, c\n", "line 5", "attribute 'k'", "'c' is not one of the declared");
        assertRefused(head + "one, a\n", "line 5", "attribute 'x'", "expected a number");
        assertRefused("@relation r\n@attribute x numeric\n", "no @data");
        assertRefused("@relation r\n@attribute x relational\n@data\n", "line 2", "relational");
        assertRefused("@relation r\n@attribute x numeric\n@attribute x numeric\n@data\n1,2\n", "line 3", "declared twice");
        assertRefused(head + "{5 1}\n", "line 5", "sparse index 5");
        assertRefused(head + "1, 'a\n", "line 5", "unterminated quote");
        assertRefused(head, "no instances");
    }
}
