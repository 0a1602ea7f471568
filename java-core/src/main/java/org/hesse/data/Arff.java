package org.hesse.data;

import org.hesse.io.InputException;
import org.hesse.io.Inputs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Reads Weka's ARFF format into a {@link Table}: a header of {@code @relation}, {@code @attribute NAME TYPE} lines
 * and {@code @data}, then one instance a line. Types: {@code numeric}, {@code real}, {@code integer} (numeric
 * columns), {@code {v1, v2, ...}} (nominal: a categorical column whose schema is the declared values),
 * {@code string} and {@code date} (categorical columns of the values as written). Names and values may be quoted
 * with {@code '} or {@code "} (backslash escapes inside quotes); {@code ?} is missing; {@code %} starts a comment
 * line; keywords are case-insensitive. Sparse instances {@code {index value, ...}} (0-based indices) are read, an
 * absent value being 0 (numeric) or the first declared value (nominal), as Weka reads them. An instance weight
 * {@code {w}} after a dense instance is ignored. Relational attributes are refused. Gzip files are decompressed
 * transparently. Malformed input is an {@link InputException} naming the file, line and attribute.
 */
public final class Arff {

    private Arff() {
    }

    private enum Kind { NUMERIC, NOMINAL, STRING }

    private record Attribute(String name, Kind kind, List<String> values) {
    }

    public static Table read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Inputs.requireFile(file, "ARFF");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /** Reads from a stream (closed by the caller); {@code source} names it in messages. */
    public static Table read(InputStream in, String source) throws IOException {
        Objects.requireNonNull(in, "in");
        try {
            return parse(Inputs.utf8Lines(Csv.maybeGunzip(in)), "ARFF " + source);
        } catch (IOException e) {
            if (!Inputs.isDataError(e)) throw e;
            throw Inputs.unreadable("ARFF " + source, e);
        }
    }

    private static Table parse(BufferedReader r, String src) throws IOException {
        List<Attribute> attrs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        String line;
        int lineNo = 0;
        boolean data = false;
        while (!data && (line = r.readLine()) != null) {
            lineNo++;
            Inputs.checkUtf8Line(line, src + ", line " + lineNo);
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("%")) {
                continue;
            }
            String at = src + ", line " + lineNo;
            String lower = s.toLowerCase(Locale.ROOT);
            if (lower.startsWith("@relation")) {
                continue;
            }
            if (lower.startsWith("@data")) {
                data = true;
            } else if (lower.startsWith("@attribute")) {
                Attribute a = attribute(s.substring("@attribute".length()).strip(), at);
                if (!names.add(a.name())) {
                    throw new InputException(at + ": attribute '" + InputException.excerpt(a.name()) + "' declared twice");
                }
                attrs.add(a);
            } else {
                throw new InputException(at + ": expected @relation, @attribute or @data, found '" + InputException.excerpt(s) + "'");
            }
        }
        if (!data) {
            throw new InputException(src + ": no @data line; expected a header of @attribute lines then @data");
        }
        if (attrs.isEmpty()) {
            throw new InputException(src + ": no @attribute before @data");
        }
        int m = attrs.size();
        List<String[]> rows = new ArrayList<>();
        Growable.Ints lines = new Growable.Ints(src + ": the rows");
        while ((line = r.readLine()) != null) {
            lineNo++;
            Inputs.checkUtf8Line(line, src + ", line " + lineNo);
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("%")) {
                continue;
            }
            String at = src + ", line " + lineNo;
            String[] row = new String[m];
            if (s.startsWith("{")) {
                sparse(s, row, attrs, at);
            } else {
                List<String> cells = split(s, at);
                if (cells.size() == m + 1 && cells.get(m) != null && cells.get(m).startsWith("{")) {
                    cells = cells.subList(0, m); // instance weight
                }
                if (cells.size() != m) {
                    throw new InputException(at + ": expected " + m + " values (one per attribute), found " + cells.size());
                }
                for (int j = 0; j < m; j++) {
                    row[j] = cells.get(j);
                }
            }
            for (int j = 0; j < m; j++) {
                check(row, j, attrs.get(j), at);
            }
            rows.add(row);
            lines.add(lineNo);
        }
        if (rows.isEmpty()) {
            throw new InputException(src + ": no instances after @data");
        }
        List<Table.Column> cols = new ArrayList<>(m);
        int n = rows.size();
        for (int j = 0; j < m; j++) {
            Attribute a = attrs.get(j);
            if (a.kind() == Kind.NUMERIC) {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    String c = rows.get(i)[j];
                    v[i] = c == null ? Double.NaN : Double.parseDouble(c);
                }
                cols.add(new Table.Numeric(a.name(), v));
            } else {
                String[] v = new String[n];
                for (int i = 0; i < n; i++) {
                    v[i] = rows.get(i)[j];
                }
                cols.add(Table.Categorical.of(a.name(), v, a.kind() == Kind.NOMINAL ? a.values() : null));
            }
        }
        return Table.of(src, cols, lines.toArray());
    }

    /** Checks cell {@code j} of a row against its attribute; numbers are validated here, parsed later. */
    private static void check(String[] row, int j, Attribute a, String at) {
        String v = row[j];
        if (v == null) {
            return;
        }
        String where = at + ", attribute '" + InputException.excerpt(a.name()) + "'";
        switch (a.kind()) {
            case NUMERIC -> Csv.finiteNumber(v, where);
            case NOMINAL -> {
                if (!a.values().contains(v)) {
                    throw new InputException(where + ": value '" + InputException.excerpt(v) + "' is not one of the declared "
                            + InputException.excerpt(a.values().toString(), 200));
                }
            }
            case STRING -> {
            }
        }
    }

    private static void sparse(String s, String[] row, List<Attribute> attrs, String at) {
        if (!s.endsWith("}")) {
            throw new InputException(at + ": sparse instance without closing '}'");
        }
        for (int j = 0; j < row.length; j++) {
            Attribute a = attrs.get(j);
            row[j] = a.kind() == Kind.NUMERIC ? "0" : a.kind() == Kind.NOMINAL ? a.values().get(0) : "";
        }
        String body = s.substring(1, s.length() - 1).strip();
        if (body.isEmpty()) {
            return;
        }
        for (String pair : split(body, at)) {
            int sp = pair.indexOf(' ');
            if (sp < 0) {
                sp = pair.indexOf('\t');
            }
            if (sp < 0) {
                throw new InputException(at + ": expected 'index value' in a sparse instance, found '" + InputException.excerpt(pair) + "'");
            }
            int idx;
            try {
                idx = Integer.parseInt(pair.substring(0, sp));
            } catch (NumberFormatException e) {
                throw new InputException(at + ": expected an attribute index, found '" + InputException.excerpt(pair.substring(0, sp)) + "'");
            }
            if (idx < 0 || idx >= row.length) {
                throw new InputException(at + ": sparse index " + idx + ", expected 0.." + (row.length - 1));
            }
            List<String> v = split(pair.substring(sp + 1).strip(), at);
            if (v.size() != 1) {
                throw new InputException(at + ": expected one value after sparse index " + idx);
            }
            row[idx] = v.get(0);
        }
    }

    /** {@code NAME TYPE} after {@code @attribute}. */
    private static Attribute attribute(String s, String at) {
        int[] end = new int[1];
        String name = token(s, 0, end, at);
        if (name.isEmpty()) {
            throw new InputException(at + ": @attribute without a name");
        }
        String type = s.substring(end[0]).strip();
        String lower = type.toLowerCase(Locale.ROOT);
        if (type.startsWith("{")) {
            if (!type.endsWith("}")) {
                throw new InputException(at + ": nominal attribute '" + InputException.excerpt(name) + "' without closing '}'");
            }
            List<String> values = new ArrayList<>();
            String body = type.substring(1, type.length() - 1).strip();
            if (!body.isEmpty()) {
                for (String v : split(body, at)) {
                    if (v == null) {
                        throw new InputException(at + ": nominal value '?' declared for '" + InputException.excerpt(name)
                                + "'; '?' means missing");
                    }
                    values.add(v);
                }
            }
            if (new HashSet<>(values).size() != values.size()) {
                throw new InputException(at + ": nominal attribute '" + InputException.excerpt(name) + "' declares a value twice");
            }
            return new Attribute(name, Kind.NOMINAL, List.copyOf(values));
        }
        if (lower.equals("numeric") || lower.equals("real") || lower.equals("integer")) {
            return new Attribute(name, Kind.NUMERIC, List.of());
        }
        if (lower.equals("string") || lower.startsWith("date")) {
            return new Attribute(name, Kind.STRING, List.of());
        }
        throw new InputException(at + ": attribute '" + InputException.excerpt(name) + "' has type '" + InputException.excerpt(type)
                + "'; expected numeric, real, integer, string, date or {nominal values}");
    }

    /** A name or value from {@code from}: quoted with ' or " (backslash escapes), or up to a blank. */
    private static String token(String s, int from, int[] end, String at) {
        int i = from;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i < s.length() && (s.charAt(i) == '\'' || s.charAt(i) == '"')) {
            char q = s.charAt(i++);
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw new InputException(at + ": unterminated quote " + q);
                }
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) {
                    b.append(s.charAt(i++));
                } else if (c == q) {
                    break;
                } else {
                    b.append(c);
                }
            }
            end[0] = i;
            return b.toString();
        }
        int j = i;
        while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && s.charAt(j) != '{') {
            j++;
        }
        end[0] = j;
        return s.substring(i, j);
    }

    /** Comma-separated values, each stripped, quotes removed; an unquoted {@code ?} becomes null (missing). */
    static List<String> split(String s, String at) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int len = s.length();
        while (true) {
            while (i < len && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String v;
            if (i < len && (s.charAt(i) == '\'' || s.charAt(i) == '"')) {
                char q = s.charAt(i++);
                StringBuilder b = new StringBuilder();
                while (true) {
                    if (i >= len) {
                        throw new InputException(at + ": unterminated quote " + q);
                    }
                    char c = s.charAt(i++);
                    if (c == '\\' && i < len) {
                        b.append(s.charAt(i++));
                    } else if (c == q) {
                        break;
                    } else {
                        b.append(c);
                    }
                }
                v = b.toString();
                while (i < len && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i < len && s.charAt(i) != ',') {
                    throw new InputException(at + ": unexpected text after a quoted value at character " + (i + 1));
                }
            } else {
                int comma = s.indexOf(',', i);
                int end = comma < 0 ? len : comma;
                String raw = s.substring(i, end).strip();
                v = raw.equals("?") ? null : raw;
                i = end;
            }
            out.add(v);
            if (i >= len) {
                return out;
            }
            i++; // the comma
        }
    }
}
