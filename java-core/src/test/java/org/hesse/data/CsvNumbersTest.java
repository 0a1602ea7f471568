package org.hesse.data;

import org.hesse.io.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CSV reader's numbers (parsed by FastDoubleParser) against {@link Double#parseDouble} under the reader's
 * rule as it was written with parseDouble (the reference below): the same bits for every cell it accepts, the same
 * message for every cell it refuses.
 */
class CsvNumbersTest {
    @TempDir
    Path dir;

    /** The rule of the text readers, on Double.parseDouble: the value, or the message's ending. */
    private static Object reference(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < ' ' && c != '\t') || c == 0x7f) {
                return "expected a number, found control character U+" + String.format("%04X", (int) c);
            }
        }
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        if (Character.isLetter(last) && last != 'N' && last != 'y') {
            return "expected a number, found '" + InputException.excerpt(s) + "'";
        }
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return "expected a number, found '" + InputException.excerpt(s) + "'";
        }
        return Double.isFinite(v) ? (Object) v : "expected a finite number, found '" + InputException.excerpt(s) + "'";
    }

    private static final List<String> TRICKY = List.of(
            // zeros and signs
            "0", "-0", "+0", "0.0", "-0.0", "+0.0", "00", "-00.000e-0", "0e0", "-0E-5",
            // subnormals and the edges of the normal range
            "4.9e-324", "4.9E-324", "-4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
            "2.47032822920623272088e-324", "1e-324", "3e-324", "7.4e-324", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "2.2250738585072014e-308",
            "2.225073858507201136057409796709131975934819546351645648e-308",
            "4.940656458412465441765687928682213723651e-324", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623159e308", "-1.7976931348623157E+308", "1e308", "1e309", "-1e309", "1e-400", "-1e-400",
            // many digits, halfway cases (ties to even), just off halfway
            "0.1", "0.2", "0.3", "0.1000000000000000055511151231257827021181583404541015625",
            "0.1000000000000000055511151231257827021181583404541015624",
            "0.1000000000000000055511151231257827021181583404541015626", "9007199254740992", "9007199254740993",
            "9007199254740993.0000000000000000001", "9007199254740994", "9007199254740995", "18014398509481985",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203126",
            "1.00000000000000011102230246251565404236316680908203124", "123456789012345678901234567890",
            "0.000000000000000000000000000000000000001234567890123456789", "0.00392156862745098",
            "1" + "0".repeat(400), "0." + "0".repeat(400) + "1", "1." + "0".repeat(500) + "1",
            "4.9406564584124654417656879286822137236505980e-324" + "0".repeat(300) + "1",
            // exponents
            "1E5", "1e+5", "1e-5", ".5", "5.", "-.5e-3", "+.5E+3", "1e0000000000000000000000001",
            "1e-0000000000000000000000001", "0.0000001e7", "1e2147483647", "1e-2147483648", "1e99999999999999999999",
            "0e99999999999999999999", "1e-99999999999999999999", "1e", "1e+", "e5", ".", "-", "+", ".e1", "1.2.3",
            "1e5.0", "--1", "+-1", "1 2", "1,5", "",
            // NaN and infinity spellings: Java's parse as non-finite numbers, the others are text
            "NaN", "-NaN", "+NaN", "nan", "NAN", "Infinity", "-Infinity", "+Infinity", "infinity", "Inf", "inf",
            "-inf", "INF", "Infinit", "Infinityy", "NaNN", "1N", "1y",
            // Java suffixes and hex floats
            "1d", "1D", "2f", "2F", "1.5e3d", "0x1p3", "0x1.8p1", "-0X1.8P-1", "0x10", "0x1p", "0x.8p1", "0x1p3d",
            "0x1.fffffffffffffp1023", "0x1p-1074", "0x0.0000000000001p-1022", "0x1p1024", "0x1P-1075",
            // blanks and other white space
            " 1", " 1 ", "\t1", "1\t", "\t 1.5 \t", " ", "\t", "1 .5", "1\u00a0", "\u20001", "\u30001", "1\u2003",
            // control characters, other digits, other syntax
            "1\u0000", "\u00011", "1\u007f", "1\u000b", "\u000c1", "\u0661", "\uff11", "1_000", "1L", "0b1", "1e5L");

    @Test
    void finiteNumberMatchesParseDoubleOnTrickyInputs() {
        for (String s : TRICKY) {
            assertSame(reference(s), s);
        }
    }

    @Test
    void csvCellsMatchParseDoubleOnTrickyInputs() throws IOException {
        int line = 1;
        for (String s : TRICKY) {
            if (s.indexOf(',') >= 0) {
                continue;
            }
            for (boolean quoted : new boolean[]{false, true}) {
                Path p = dir.resolve("t" + line++ + ".csv");
                String cell = quoted ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
                Files.writeString(p, "a,label\n" + cell + ",0\n");
                // the reader strips the cell (String.strip) first; the rule applies to what is left
                String stripped = s.strip();
                Object want = stripped.isEmpty() ? "empty cell, expected a number" : reference(stripped);
                if (want instanceof Double v) {
                    Dataset d = Csv.readClassification(p, "label");
                    assertEquals(Double.doubleToRawLongBits(v), Double.doubleToRawLongBits(d.x()[0]),
                            "'" + s + "' (quoted " + quoted + ")");
                } else {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> Csv.readClassification(p, "label"), "'" + s + "' (quoted " + quoted + ")");
                    assertTrue(e.getMessage().startsWith("CSV " + p + ", line 2, column 'a': " + want), e.getMessage());
                }
            }
        }
    }

    @Test
    void finiteNumberMatchesParseDoubleOnRandomDecimals() {
        Random rnd = new Random(13);
        for (String s : randomDecimals(rnd, 10_000)) {
            assertSame(reference(s), s);
        }
    }

    /**
     * A generated file of numbers in many spellings (shortest, exact, fixed digits, random digit strings, halfway
     * points between neighbouring doubles and just off them; some quoted or blank-padded) reads as parseDouble
     * reads each cell; and a file of random doubles (every bit pattern, subnormals and -0.0 included) written by
     * {@link Csv#write} reads back to the same bits. {@link Csv#readTable} reads the numbers the same way.
     */
    @Test
    void generatedFileReadsAsParseDoubleAndRoundTrips() throws IOException {
        Random rnd = new Random(7);
        int cols = 40;
        List<String> cells = new ArrayList<>();
        for (String s : randomDecimals(rnd, 8_000)) {
            if (reference(s) instanceof Double) {
                cells.add(s);
            }
        }
        int rows = cells.size() / cols;
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < cols; j++) {
            text.append('x').append(j).append(',');
        }
        text.append("y\n");
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                String s = cells.get(i * cols + j);
                int how = rnd.nextInt(10);
                text.append(how == 0 ? "\"" + s + "\"" : how == 1 ? " " + s + "\t" : s).append(',');
            }
            text.append(i).append('\n');
        }
        Path p = dir.resolve("numbers.csv");
        Files.writeString(p, text);
        Dataset d = Csv.readRegression(p, "y");
        assertEquals(rows * cols, d.x().length);
        Table table = Csv.readTable(p);
        for (int k = 0; k < rows * cols; k++) {
            long want = Double.doubleToRawLongBits(Double.parseDouble(cells.get(k)));
            assertEquals(want, Double.doubleToRawLongBits(d.x()[k]), cells.get(k));
            Table.Numeric column = (Table.Numeric) table.column("x" + k % cols);
            assertEquals(want, Double.doubleToRawLongBits(column.values()[k / cols]), "readTable " + cells.get(k));
        }
        // a text cell makes its column categorical, a missing one is NaN in a numeric column
        Files.writeString(p, "a,b,c\n1.5,2,x\n?,3e-320,-0.0\n");
        table = Csv.readTable(p);
        assertArrayEquals(new double[]{1.5, Double.NaN}, ((Table.Numeric) table.column("a")).values());
        assertArrayEquals(new double[]{2, 3e-320}, ((Table.Numeric) table.column("b")).values());
        assertEquals(List.of("-0.0", "x"), ((Table.Categorical) table.column("c")).levels());

        int n = 200;
        int m = 30;
        double[] x = new double[n * m];
        for (int k = 0; k < x.length; k++) {
            double v;
            do {
                v = Double.longBitsToDouble(rnd.nextLong());
            } while (!Double.isFinite(v));
            x[k] = switch (k % 5) {
                case 0 -> Double.longBitsToDouble(rnd.nextLong() & 0x800FFFFFFFFFFFFFL); // subnormal or ±0
                case 1 -> rnd.nextInt(256) / 255.0; // pixels, as the benchmark's data
                case 2 -> rnd.nextGaussian();
                default -> v;
            };
        }
        x[0] = -0.0;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextGaussian() * 1e-300;
        }
        Dataset written = Dataset.regression(x, n, m, y, 1, null, List.of("y"));
        for (String name : List.of("r.csv", "r.csv.gz")) {
            Csv.write(dir.resolve(name), written);
            Dataset back = Csv.readRegression(dir.resolve(name), "y");
            for (int k = 0; k < x.length; k++) {
                assertEquals(Double.doubleToRawLongBits(x[k]), Double.doubleToRawLongBits(back.x()[k]), name + " " + x[k]);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToRawLongBits(y[i]), Double.doubleToRawLongBits(back.targets()[i]), name);
            }
        }
    }

    /** Decimal spellings of numbers that are hard to round correctly, and some that are not numbers. */
    private static List<String> randomDecimals(Random rnd, int count) {
        List<String> out = new ArrayList<>(count);
        while (out.size() < count) {
            double v;
            do {
                v = Double.longBitsToDouble(rnd.nextLong());
            } while (!Double.isFinite(v));
            double next = Math.nextUp(v);
            switch (rnd.nextInt(8)) {
                case 0 -> out.add(Double.toString(v));
                case 1 -> out.add(new BigDecimal(v).toString()); // exact: up to 767 significant digits
                case 2 -> out.add(String.format(Locale.ROOT, "%." + rnd.nextInt(25) + "e", v));
                case 3 -> out.add(randomDigits(rnd));
                case 4, 5 -> {
                    if (Double.isFinite(next)) {
                        // halfway between two neighbours (ties to even), and a hair above or below it
                        BigDecimal mid = new BigDecimal(v).add(new BigDecimal(next)).divide(BigDecimal.valueOf(2));
                        BigDecimal hair = mid.ulp().scaleByPowerOfTen(-rnd.nextInt(30));
                        int side = rnd.nextInt(3) - 1;
                        out.add(mid.add(hair.multiply(BigDecimal.valueOf(side))).toString());
                    }
                }
                case 6 -> out.add((rnd.nextBoolean() ? "-" : "") + (rnd.nextInt(1000) / 1000.0) + "e"
                        + (rnd.nextInt(700) - 350));
                default -> {
                    // small edits of a number: a character dropped, doubled or replaced
                    StringBuilder b = new StringBuilder(Double.toString(v));
                    int at = rnd.nextInt(b.length());
                    switch (rnd.nextInt(3)) {
                        case 0 -> b.deleteCharAt(at);
                        case 1 -> b.insert(at, b.charAt(at));
                        default -> b.setCharAt(at, "0123456789.eE+-xpNI a".charAt(rnd.nextInt(21)));
                    }
                    out.add(b.toString());
                }
            }
        }
        return out;
    }

    /** A random digit string: sign, 1 to 40 digits around a point, an exponent from -360 to 330. */
    private static String randomDigits(Random rnd) {
        StringBuilder b = new StringBuilder(rnd.nextBoolean() ? "-" : "");
        int digits = 1 + rnd.nextInt(40);
        int point = rnd.nextInt(digits + 1);
        for (int i = 0; i < digits; i++) {
            if (i == point) {
                b.append('.');
            }
            b.append((char) ('0' + rnd.nextInt(10)));
        }
        return b.append('e').append(rnd.nextInt(691) - 360).toString();
    }

    /** finiteNumber's value has the reference's bits, or its message ends as the reference's. */
    private static void assertSame(Object want, String s) {
        if (want instanceof Double v) {
            assertEquals(Double.doubleToRawLongBits(v), Double.doubleToRawLongBits(Csv.finiteNumber(s, "w")), "'" + s + "'");
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Csv.finiteNumber(s, "w"),
                    "'" + s + "'");
            assertTrue(e.getMessage().startsWith("w: " + want), "'" + s + "': " + e.getMessage());
        }
    }
}
