package org.hesse.data;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.hesse.io.InputException;
import org.hesse.io.Inputs;
import org.tukaani.xz.LZMA2InputStream;
import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;

/**
 * Reads R's serialisation format (XDR, versions 2 and 3), as R writes data: {@code .rda}/{@code .RData} files
 * ({@code save()}: gzip, bzip2 or xz around {@code RDX2\n}/{@code RDX3\n} and the stream) and lazy-load databases
 * ({@code Rdata.rdx} index + {@code Rdata.rdb} blobs, each zlib, bzip2, raw LZMA2 or stored), and turns data frames
 * into {@link Table}s. Enough of the format for data: vectors (logical, integer, double, complex, character, list,
 * raw), pairlists, symbols, environments and references, the ALTREP forms R 3.5+ writes (compact sequences,
 * wrappers, deferred strings), attributes. Functions' byte code and external pointers are not needed and refused.
 *
 * <p>Malformed input is an {@link InputException} naming the file, the byte offset in the (decompressed) stream and
 * what was expected.
 */
public final class RData {

    /** An R object: its SEXP type, value and attributes. */
    public static final class RObject {
        public final int type;
        /**
         * {@code int[]} (logical, integer; NA = {@link Integer#MIN_VALUE}), {@code double[]} (double; NA is a NaN),
         * {@code String[]} (character; NA = null), {@code List<RObject>} (list, pairlist), {@code String} (symbol,
         * CHARSXP), {@code byte[]} (raw), else null.
         */
        public final Object value;
        /** Tags of a pairlist's elements (null where untagged); null for other types. */
        public final List<String> tags;
        Map<String, RObject> attributes = Map.of();

        RObject(int type, Object value, List<String> tags) {
            this.type = type;
            this.value = value;
            this.tags = tags;
        }

        public Map<String, RObject> attributes() {
            return attributes;
        }

        public RObject attribute(String name) {
            return attributes.get(name);
        }

        /** The character vector attribute {@code name}, or an empty list. */
        public List<String> stringsAttribute(String name) {
            RObject a = attributes.get(name);
            return a != null && a.value instanceof String[] s ? Arrays.asList(s) : List.of();
        }

        public boolean inherits(String cls) {
            return stringsAttribute("class").contains(cls);
        }

        /** Number of elements of a vector or list. */
        public int length() {
            if (value instanceof int[] a) return a.length;
            if (value instanceof double[] a) return type == CPLXSXP ? a.length / 2 : a.length;
            if (value instanceof String[] a) return a.length;
            if (value instanceof List<?> a) return a.size();
            if (value instanceof byte[] a) return a.length;
            return 0;
        }

        @SuppressWarnings("unchecked")
        public List<RObject> elements() {
            return value instanceof List<?> l ? (List<RObject>) l : List.of();
        }

        /** The type as R names it ({@code typeof}). */
        public String typeName() {
            return switch (type) {
                case NILSXP -> "NULL";
                case SYMSXP -> "symbol";
                case LISTSXP -> "pairlist";
                case ENVSXP -> "environment";
                case LGLSXP -> "logical";
                case INTSXP -> "integer";
                case REALSXP -> "double";
                case CPLXSXP -> "complex";
                case STRSXP -> "character";
                case VECSXP -> "list";
                case RAWSXP -> "raw";
                case S4SXP -> "S4";
                default -> "SEXP type " + type;
            };
        }
    }

    static final int NILSXP = 0, SYMSXP = 1, LISTSXP = 2, CLOSXP = 3, ENVSXP = 4, PROMSXP = 5, LANGSXP = 6,
            SPECIALSXP = 7, BUILTINSXP = 8, CHARSXP = 9, LGLSXP = 10, INTSXP = 13, REALSXP = 14, CPLXSXP = 15,
            STRSXP = 16, DOTSXP = 17, VECSXP = 19, EXPRSXP = 20, BCODESXP = 21, EXTPTRSXP = 22, WEAKREFSXP = 23,
            RAWSXP = 24, S4SXP = 25;
    private static final int REFSXP = 255, NILVALUE_SXP = 254, GLOBALENV_SXP = 253, UNBOUNDVALUE_SXP = 252,
            MISSINGARG_SXP = 251, BASENAMESPACE_SXP = 250, NAMESPACESXP = 249, PACKAGESXP = 248, PERSISTSXP = 247,
            EMPTYENV_SXP = 242, BASEENV_SXP = 241, ATTRLANGSXP = 240, ATTRLISTSXP = 239, ALTREP_SXP = 238;
    private static final int HAS_ATTR = 1 << 9, HAS_TAG = 1 << 10;
    private static final int UTF8_MASK = 1 << 3, LATIN1_MASK = 1 << 2;
    /** R's NA_integer_ (and NA for logicals). */
    public static final int NA_INTEGER = Integer.MIN_VALUE;

    private static final RObject NULL = new RObject(NILSXP, null, null);

    private RData() {
    }

    // ---------------------------------------------------------------- files

    /** The objects saved in an {@code .rda}/{@code .RData} file, by name, in file order. */
    public static Map<String, RObject> readRda(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        org.hesse.io.Inputs.requireFile(file, "R data");
        return readRda(Files.readAllBytes(file), "R data " + file);
    }

    /**
     * The objects saved in the bytes of an {@code .rda}/{@code .RData} file (gzip, bzip2, xz or uncompressed);
     * {@code source} names them in messages.
     */
    public static Map<String, RObject> readRda(byte[] raw, String source) {
        String src = source;
        byte[] b = decompress(raw, src);
        String magic = new String(b, 0, Math.min(5, b.length), StandardCharsets.ISO_8859_1);
        if (!magic.equals("RDX2\n") && !magic.equals("RDX3\n")) {
            throw new InputException(src + ", offset 0: expected 'RDX2' or 'RDX3' (an R save() file), found '"
                    + InputException.excerpt(magic) + "'");
        }
        RObject list = new Reader(b, 5, src).readStream();
        if (list.type != LISTSXP) {
            throw new InputException(src + ": expected a pairlist of saved objects, found " + list.typeName());
        }
        Map<String, RObject> out = new LinkedHashMap<>();
        for (int i = 0; i < list.elements().size(); i++) {
            out.put(list.tags.get(i), list.elements().get(i));
        }
        return out;
    }

    /** One serialised object: the bytes {@code X\n}, the header and the item (as {@code serialize()} writes). */
    public static RObject readSerialized(byte[] stream, String source) {
        return new Reader(stream, 0, source).readStream();
    }

    /** The object {@code name} of an {@code .rda} file; an InputException listing the names if it has none. */
    public static RObject readRda(Path file, String name) throws IOException {
        Map<String, RObject> all = readRda(file);
        RObject o = all.get(name);
        if (o == null) {
            throw new InputException("R data " + file + ": no object '" + InputException.excerpt(name) + "'; it holds "
                    + InputException.excerpt(all.keySet().toString(), 200));
        }
        return o;
    }

    /** A lazy-load database ({@code X.rdx} and {@code X.rdb} side by side), read from {@code rdx}. */
    public static final class LazyLoadDb {
        private final Path rdb;
        private final Map<String, int[]> variables = new LinkedHashMap<>();
        private final int compressed;

        private LazyLoadDb(Path rdb, int compressed) {
            this.rdb = rdb;
            this.compressed = compressed;
        }

        public List<String> names() {
            return List.copyOf(variables.keySet());
        }

        /** The object {@code name}; an InputException listing the names if there is none. */
        public RObject get(String name) throws IOException {
            int[] at = variables.get(name);
            if (at == null) {
                throw new InputException("R lazy-load database " + rdb + ": no object '" + InputException.excerpt(name)
                        + "'; it holds " + InputException.excerpt(names().toString(), 300));
            }
            String src = "R lazy-load database " + rdb + ", object '" + name + "'";
            Inputs.checkBudget(src, at[1], "the stored object (" + at[1] + " bytes)");
            byte[] blob = new byte[at[1]];
            try (FileChannel ch = FileChannel.open(rdb)) {
                ByteBuffer bb = ByteBuffer.wrap(blob);
                long pos = at[0];
                while (bb.hasRemaining()) {
                    int r = ch.read(bb, pos);
                    if (r < 0) {
                        throw new InputException(src + ": the index points at bytes " + at[0] + ".." + ((long) at[0] + at[1])
                                + ", beyond the end of the file (" + ch.size() + " bytes)");
                    }
                    pos += r;
                }
            }
            return new Reader(unpackBlob(blob, compressed, src), 0, src).readStream();
        }
    }

    /** Opens the lazy-load database whose index is {@code rdx} (the {@code .rdb} next to it holds the data). */
    public static LazyLoadDb openLazyLoad(Path rdx) throws IOException {
        Objects.requireNonNull(rdx, "rdx");
        org.hesse.io.Inputs.requireFile(rdx, "R lazy-load index");
        String fn = rdx.getFileName().toString();
        if (!fn.endsWith(".rdx")) {
            throw new InputException("R lazy-load index " + rdx + ": expected a file name ending in .rdx");
        }
        Path rdb = rdx.resolveSibling(fn.substring(0, fn.length() - 4) + ".rdb");
        org.hesse.io.Inputs.requireFile(rdb, "R lazy-load database");
        String src = "R lazy-load index " + rdx;
        RObject index = new Reader(decompress(Files.readAllBytes(rdx), src), 0, src).readStream();
        Map<String, RObject> parts = namedList(index, src);
        RObject vars = parts.get("variables");
        RObject comp = parts.get("compressed");
        if (vars == null || comp == null) {
            throw new InputException(src + ": expected a list with 'variables' and 'compressed', found " + parts.keySet());
        }
        int compressed;
        if (comp.value instanceof int[] c && c.length == 1) {
            compressed = c[0];
        } else if (comp.value instanceof double[] c && c.length == 1) {
            compressed = (int) c[0];
        } else {
            throw new InputException(src + ": 'compressed' is " + comp.typeName() + ", expected one logical or number");
        }
        LazyLoadDb db = new LazyLoadDb(rdb, compressed);
        for (Map.Entry<String, RObject> e : namedList(vars, src + ", 'variables'").entrySet()) {
            RObject v = e.getValue();
            int[] at;
            if (v.value instanceof int[] a && a.length == 2) {
                at = a.clone();
            } else if (v.value instanceof double[] a && a.length == 2) {
                at = new int[] {(int) a[0], (int) a[1]};
            } else {
                throw new InputException(src + ", variable '" + InputException.excerpt(e.getKey())
                        + "': expected (offset, length), found " + v.typeName() + " of length " + v.length());
            }
            if (at[0] < 0 || at[1] < 5) {
                throw new InputException(src + ", variable '" + InputException.excerpt(e.getKey())
                        + "': expected offset >= 0 and length >= 5, found " + at[0] + ", " + at[1]);
            }
            db.variables.put(e.getKey(), at);
        }
        return db;
    }

    /** A named list (VECSXP with names) or tagged pairlist as a map. */
    static Map<String, RObject> namedList(RObject o, String src) {
        Map<String, RObject> m = new LinkedHashMap<>();
        List<RObject> el = o.elements();
        List<String> names = o.type == LISTSXP ? o.tags : o.stringsAttribute("names");
        if ((o.type != VECSXP && o.type != LISTSXP) || names == null || names.size() != el.size()) {
            throw new InputException(src + ": expected a named list, found " + o.typeName());
        }
        for (int i = 0; i < el.size(); i++) {
            m.put(names.get(i), el.get(i));
        }
        return m;
    }

    /** gzip, bzip2 or xz by magic bytes; anything else as is. */
    static byte[] decompress(byte[] raw, String src) {
        try {
            InputStream in;
            if (raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
                in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16);
            } else if (raw.length >= 3 && raw[0] == 'B' && raw[1] == 'Z' && raw[2] == 'h') {
                in = new BZip2CompressorInputStream(new ByteArrayInputStream(raw));
            } else if (raw.length >= 6 && (raw[0] & 0xff) == 0xfd && raw[1] == '7' && raw[2] == 'z' && raw[3] == 'X') {
                in = new XZInputStream(new ByteArrayInputStream(raw), XZ_MEMORY_LIMIT_KIB);
            } else {
                return raw;
            }
            try (InputStream i = in) {
                return readBounded(i, src);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof InputException ie) throw ie;
            throw new InputException(src + ": compressed data is corrupt (" + InputException.excerpt(e.toString(), 200) + ")", e);
        }
    }

    /** R writes xz with preset 9 (a 64 MiB dictionary); a header asking for far more is refused, not allocated. */
    private static final int XZ_MEMORY_LIMIT_KIB = 256 * 1024;

    /** All of {@code in}, checked against the memory budget as it grows (a small file may inflate enormously). */
    private static byte[] readBounded(InputStream in, String src) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(1 << 16);
        byte[] chunk = new byte[1 << 16];
        int n;
        while ((n = in.read(chunk)) > 0) {
            out.write(chunk, 0, n);
            if (out.size() > (1 << 24) && Integer.bitCount(out.size() >>> 16) == 1) {
                Inputs.checkBudget(src, 2L * out.size(), "the decompressed data");
            }
            if (out.size() > Integer.MAX_VALUE - (1 << 17)) {
                throw new InputException(src + ": decompressed data larger than 2 GiB, more than a Java array holds");
            }
        }
        return out.toByteArray();
    }

    /**
     * A lazy-load blob: 4-byte big-endian uncompressed length, then zlib ({@code compressed} 1), or a type byte and
     * the data ({@code compressed} 2/3: {@code Z} raw LZMA2, {@code 2} bzip2, {@code 1} zlib, {@code 0} stored).
     */
    static byte[] unpackBlob(byte[] blob, int compressed, String src) throws IOException {
        if (compressed == 0) {
            return blob; // stored as serialised, no length header
        }
        int outLen = ByteBuffer.wrap(blob).getInt();
        if (outLen < 0) {
            throw new InputException(src + ", offset 0: uncompressed length " + outLen + ", expected >= 0");
        }
        Inputs.checkBudget(src, outLen, "the uncompressed object (" + outLen + " bytes)");
        byte[] out = new byte[outLen];
        int type = compressed == 1 ? '1' : blob[4];
        int from = compressed == 1 ? 4 : 5;
        ByteArrayInputStream data = new ByteArrayInputStream(blob, from, blob.length - from);
        try {
            switch (type) {
                case '1' -> {
                    Inflater inf = new Inflater();
                    inf.setInput(blob, from, blob.length - from);
                    int n = inf.inflate(out);
                    inf.end();
                    if (n != outLen) {
                        throw new IOException("inflated " + n + " bytes, the header says " + outLen);
                    }
                    return out;
                }
                case 'Z' -> {
                    // R writes LZMA2 with preset 9 (64 MiB dictionary); one at least as long as the data suffices
                    try (InputStream in = new LZMA2InputStream(data, Math.max(outLen, 4096))) {
                        readFully(in, out);
                    }
                    return out;
                }
                case '2' -> {
                    try (InputStream in = new BZip2CompressorInputStream(data)) {
                        readFully(in, out);
                    }
                    return out;
                }
                case '0' -> {
                    return Arrays.copyOfRange(blob, 5, blob.length);
                }
                default -> throw new InputException(src + ", offset 4: compression type '" + (char) type
                        + "', expected Z (LZMA2), 2 (bzip2), 1 (zlib) or 0 (stored)");
            }
        } catch (DataFormatException | IOException | RuntimeException e) {
            if (e instanceof InputException ie) throw ie;
            throw new InputException(src + ": compressed data is corrupt (" + e.getMessage() + ")", e);
        }
    }

    private static void readFully(InputStream in, byte[] out) throws IOException {
        int n = in.readNBytes(out, 0, out.length);
        if (n != out.length) {
            throw new IOException("decompressed " + n + " bytes, the header says " + out.length);
        }
    }

    // ---------------------------------------------------------------- the stream

    private static final class Reader {
        private final ByteBuffer buf;
        private final String src;
        private final List<RObject> refs = new ArrayList<>();

        Reader(byte[] b, int from, String src) {
            this.buf = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
            this.buf.position(from);
            this.src = src;
        }

        private InputException bad(String what) {
            return new InputException(src + ", offset " + buf.position() + ": " + what);
        }

        RObject readStream() {
            try {
                if (buf.remaining() < 2 || buf.get() != 'X' || buf.get() != '\n') {
                    throw new InputException(src + ", offset " + Math.max(0, buf.position() - 1)
                            + ": expected 'X\\n' (R's XDR serialisation; ASCII and native formats are not read)");
                }
                int version = buf.getInt();
                buf.getInt(); // writer's R version
                buf.getInt(); // minimal reader version
                if (version == 3) {
                    int n = buf.getInt();
                    if (n < 0 || n > 64) {
                        throw bad("native encoding name of " + n + " bytes, expected 0..64");
                    }
                    buf.position(buf.position() + n);
                } else if (version != 2) {
                    throw bad("serialisation version " + version + ", expected 2 or 3");
                }
                return item(buf.getInt());
            } catch (BufferUnderflowException | IllegalArgumentException e) {
                if (e instanceof InputException ie) throw ie;
                throw bad("unexpected end of data (truncated file?)");
            } catch (StackOverflowError e) {
                throw bad("objects nested too deeply");
            }
        }

        private int length() {
            int n = buf.getInt();
            if (n == -1) {
                long upper = buf.getInt() & 0xffffffffL;
                long lower = buf.getInt() & 0xffffffffL;
                throw bad("long vector of " + ((upper << 32) | lower) + " elements, expected at most " + Integer.MAX_VALUE);
            }
            if (n < 0) {
                throw bad("vector length " + n + ", expected >= 0");
            }
            return n;
        }

        private void need(long bytes) {
            if (bytes > buf.remaining()) {
                throw bad("a vector of " + bytes + " bytes, but only " + buf.remaining() + " remain (truncated file?)");
            }
        }

        private RObject item(int flags) {
            int type = flags & 0xff;
            boolean hasAttr = (flags & HAS_ATTR) != 0;
            boolean hasTag = (flags & HAS_TAG) != 0;
            switch (type) {
                case NILVALUE_SXP:
                    return NULL;
                case EMPTYENV_SXP, BASEENV_SXP, GLOBALENV_SXP, UNBOUNDVALUE_SXP, MISSINGARG_SXP, BASENAMESPACE_SXP:
                    return new RObject(ENVSXP, null, null);
                case REFSXP: {
                    int i = flags >>> 8;
                    if (i == 0) {
                        i = buf.getInt();
                    }
                    if (i < 1 || i > refs.size()) {
                        throw bad("reference " + i + ", expected 1.." + refs.size());
                    }
                    return refs.get(i - 1);
                }
                case PERSISTSXP, PACKAGESXP, NAMESPACESXP: {
                    RObject o = new RObject(type, stringVector(), null);
                    refs.add(o);
                    return o;
                }
                case SYMSXP: {
                    RObject name = item(buf.getInt());
                    RObject o = new RObject(SYMSXP, name.value, null);
                    refs.add(o);
                    return o;
                }
                case ENVSXP: {
                    buf.getInt(); // locked
                    RObject env = new RObject(ENVSXP, null, null);
                    refs.add(env);
                    item(buf.getInt()); // enclosure
                    item(buf.getInt()); // frame
                    item(buf.getInt()); // hash table
                    RObject attr = item(buf.getInt());
                    env.attributes = attributes(attr);
                    return env;
                }
                case LISTSXP, LANGSXP, CLOSXP, PROMSXP, DOTSXP, ATTRLANGSXP, ATTRLISTSXP:
                    return pairlist(flags);
                case ALTREP_SXP:
                    return altrep();
                case BCODESXP, EXTPTRSXP, WEAKREFSXP, SPECIALSXP, BUILTINSXP:
                    throw bad("R type " + type + " (code, pointers) in a data file; expected data only");
                default:
                    break;
            }
            RObject o;
            switch (type) {
                case CHARSXP: {
                    int n = buf.getInt();
                    if (n == -1) {
                        o = new RObject(CHARSXP, null, null);
                    } else if (n < 0) {
                        throw bad("string length " + n + ", expected >= 0 or -1 (NA)");
                    } else {
                        need(n);
                        int levels = flags >>> 12;
                        String s = new String(buf.array(), buf.position(), n,
                                (levels & LATIN1_MASK) != 0 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
                        buf.position(buf.position() + n);
                        o = new RObject(CHARSXP, s, null);
                    }
                    break;
                }
                case LGLSXP, INTSXP: {
                    int n = length();
                    need(4L * n);
                    int[] a = new int[n];
                    buf.asIntBuffer().get(a);
                    buf.position(buf.position() + 4 * n);
                    o = new RObject(type, a, null);
                    break;
                }
                case REALSXP, CPLXSXP: {
                    int n = length();
                    long count = type == CPLXSXP ? 2L * n : n;
                    need(8L * count);
                    double[] a = new double[(int) count];
                    buf.asDoubleBuffer().get(a);
                    buf.position(buf.position() + 8 * a.length);
                    o = new RObject(type, a, null);
                    break;
                }
                case STRSXP: {
                    int n = length();
                    need(4L * n);
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        RObject c = item(buf.getInt());
                        if (c.type != CHARSXP) {
                            throw bad("element " + (i + 1) + " of a character vector is " + c.typeName() + ", expected a string");
                        }
                        a[i] = (String) c.value;
                    }
                    o = new RObject(STRSXP, a, null);
                    break;
                }
                case VECSXP, EXPRSXP: {
                    int n = length();
                    need(4L * n);
                    List<RObject> a = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        a.add(item(buf.getInt()));
                    }
                    o = new RObject(VECSXP, a, null);
                    break;
                }
                case RAWSXP: {
                    int n = length();
                    need(n);
                    byte[] a = new byte[n];
                    buf.get(a);
                    o = new RObject(RAWSXP, a, null);
                    break;
                }
                case S4SXP:
                    o = new RObject(S4SXP, null, null);
                    break;
                default:
                    throw bad("unknown R type " + type + " (flags 0x" + Integer.toHexString(flags) + ")");
            }
            if (hasAttr) {
                o.attributes = attributes(item(buf.getInt()));
            }
            return o;
        }

        /** A pairlist (or call): read iteratively along the CDR chain, so long lists need no deep recursion. */
        private RObject pairlist(int flags) {
            int type = flags & 0xff;
            List<RObject> values = new ArrayList<>();
            List<String> tags = new ArrayList<>();
            RObject first = new RObject(type == ATTRLISTSXP ? LISTSXP : type == ATTRLANGSXP ? LANGSXP : type, values, tags);
            boolean firstCell = true;
            while (true) {
                int t = flags & 0xff;
                if (t != LISTSXP && t != LANGSXP && t != CLOSXP && t != PROMSXP && t != DOTSXP && t != ATTRLANGSXP
                        && t != ATTRLISTSXP) {
                    RObject rest = item(flags); // normally NULL; an improper tail is kept as a last element
                    if (rest.type != NILSXP) {
                        values.add(rest);
                        tags.add(null);
                    }
                    return first;
                }
                RObject attr = (flags & HAS_ATTR) != 0 || t == ATTRLANGSXP || t == ATTRLISTSXP ? item(buf.getInt()) : null;
                String tag = null;
                if ((flags & HAS_TAG) != 0) {
                    RObject tg = item(buf.getInt());
                    tag = tg.value instanceof String s ? s : null;
                }
                if (firstCell && attr != null) {
                    first.attributes = attributes(attr);
                }
                firstCell = false;
                values.add(item(buf.getInt()));
                tags.add(tag);
                flags = buf.getInt();
            }
        }

        private Map<String, RObject> attributes(RObject attr) {
            if (attr.type == NILSXP) {
                return Map.of();
            }
            if (attr.type != LISTSXP) {
                throw bad("attributes are " + attr.typeName() + ", expected a pairlist");
            }
            Map<String, RObject> m = new LinkedHashMap<>();
            for (int i = 0; i < attr.elements().size(); i++) {
                m.put(attr.tags.get(i), attr.elements().get(i));
            }
            return Collections.unmodifiableMap(m);
        }

        private String[] stringVector() {
            if (buf.getInt() != 0) {
                throw bad("expected 0 before a persistent name vector");
            }
            int n = length();
            need(4L * n);
            String[] s = new String[n];
            for (int i = 0; i < n; i++) {
                RObject c = item(buf.getInt());
                s[i] = c.value instanceof String v ? v : null;
            }
            return s;
        }

        /** ALTREP: class info, state, attributes; expanded to the ordinary vector it stands for. */
        private RObject altrep() {
            RObject info = item(buf.getInt());
            RObject state = item(buf.getInt());
            RObject attr = item(buf.getInt());
            String cls = info.elements().isEmpty() ? "?" : String.valueOf(info.elements().get(0).value);
            RObject o;
            switch (cls) {
                case "compact_intseq", "compact_realseq" -> {
                    double[] s = state.value instanceof double[] d ? d : null;
                    if (s == null || s.length != 3 || s[0] < 0 || s[0] > Integer.MAX_VALUE) {
                        throw bad(cls + " state is not (length, start, step)");
                    }
                    int n = (int) s[0];
                    Inputs.checkBudget(src, 8L * n, cls + " of " + n + " elements");
                    if (cls.equals("compact_intseq")) {
                        int[] a = new int[n];
                        for (int i = 0; i < n; i++) {
                            a[i] = (int) (s[1] + i * s[2]);
                        }
                        o = new RObject(INTSXP, a, null);
                    } else {
                        double[] a = new double[n];
                        for (int i = 0; i < n; i++) {
                            a[i] = s[1] + i * s[2];
                        }
                        o = new RObject(REALSXP, a, null);
                    }
                }
                case "wrap_integer", "wrap_logical", "wrap_real", "wrap_complex", "wrap_string", "wrap_raw", "wrap_list" -> {
                    // state: (the wrapped vector, metadata)
                    RObject x = state.elements().isEmpty() ? null : state.elements().get(0);
                    if (x == null) {
                        throw bad(cls + " without a wrapped vector");
                    }
                    o = new RObject(x.type, x.value, x.tags);
                    o.attributes = x.attributes;
                }
                case "deferred_string" -> {
                    // state: (the numbers to print as strings, scalar flags)
                    RObject x = state.elements().isEmpty() ? state : state.elements().get(0);
                    String[] s = new String[x.length()];
                    for (int i = 0; i < s.length; i++) {
                        if (x.value instanceof int[] a) {
                            s[i] = a[i] == NA_INTEGER ? null : Integer.toString(a[i]);
                        } else if (x.value instanceof double[] a) {
                            s[i] = Double.isNaN(a[i]) ? null : formatReal(a[i]);
                        } else if (x.value instanceof String[] a) {
                            s[i] = a[i];
                        } else {
                            throw bad("deferred_string over " + x.typeName() + ", expected numbers");
                        }
                    }
                    o = new RObject(STRSXP, s, null);
                }
                default -> throw bad("ALTREP class '" + InputException.excerpt(cls) + "', expected a compact "
                        + "sequence, a wrapper or a deferred string");
            }
            if (attr.type != NILSXP) {
                o.attributes = attributes(attr);
            }
            return o;
        }
    }

    /** As R prints a double (up to 15 significant digits, integers without a decimal point). */
    static String formatReal(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(15)).stripTrailingZeros().toPlainString();
    }

    // ---------------------------------------------------------------- data frames

    /**
     * A data frame (or any named list of equally long columns) as a table: factors (ordered or not) become
     * categorical columns with their levels, character vectors categorical columns, logical, integer and double
     * vectors numeric ones (NA is missing; logicals are 0/1; Date and POSIXct their numbers). A matrix column
     * (e.g. spectra stored as one {@code I(matrix)} column) becomes one column per matrix column, named
     * {@code name.colname} (or {@code name.1}, ...). {@code source} names the object in messages.
     */
    public static Table toTable(RObject frame, String source) {
        Objects.requireNonNull(frame, "frame");
        if (frame.type != VECSXP) {
            throw new InputException(source + ": expected a data frame (a list of columns), found " + frame.typeName());
        }
        List<String> names = frame.stringsAttribute("names");
        List<RObject> cols = frame.elements();
        if (names.size() != cols.size()) {
            throw new InputException(source + ": " + cols.size() + " columns but " + names.size() + " names");
        }
        List<Table.Column> out = new ArrayList<>();
        for (int j = 0; j < cols.size(); j++) {
            out.addAll(columns(names.get(j), cols.get(j), source));
        }
        return Table.of(source, out, null);
    }

    /**
     * One R vector (a data frame column, or a stand-alone vector such as a class factor or response) as table
     * column(s), by the rules of {@link #toTable}.
     */
    public static List<Table.Column> columns(String name, RObject v, String source) {
        String at = source + ", column '" + InputException.excerpt(name) + "'";
        RObject dim = v.attribute("dim");
        if (dim != null && dim.value instanceof int[] d && d.length == 2 && (v.value instanceof double[] || v.value instanceof int[])) {
            if (d[0] < 0 || d[1] < 0 || (long) d[0] * d[1] != v.length()) {
                throw new InputException(at + ": matrix of dim " + d[0] + " × " + d[1] + " holds " + v.length() + " values");
            }
            List<String> colNames = List.of();
            RObject dn = v.attribute("dimnames");
            if (dn != null && dn.elements().size() == 2 && dn.elements().get(1).value instanceof String[] cn) {
                colNames = Arrays.asList(cn);
            }
            List<Table.Column> out = new ArrayList<>(d[1]);
            double[] all = numbers(v, at);
            for (int c = 0; c < d[1]; c++) {
                out.add(new Table.Numeric(name + "." + (colNames.size() == d[1] ? colNames.get(c) : Integer.toString(c + 1)),
                        Arrays.copyOfRange(all, c * d[0], (c + 1) * d[0])));
            }
            return out;
        }
        if (v.type == INTSXP && v.inherits("factor")) {
            List<String> levels = v.stringsAttribute("levels");
            int[] raw = (int[]) v.value;
            int[] codes = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == NA_INTEGER) {
                    codes[i] = -1;
                } else if (raw[i] < 1 || raw[i] > levels.size()) {
                    throw new InputException(at + ", row " + (i + 1) + ": factor code " + raw[i] + ", expected 1.." + levels.size());
                } else {
                    codes[i] = raw[i] - 1;
                }
            }
            return List.of(Table.Categorical.ofCodes(name, levels, codes));
        }
        if (v.type == STRSXP) {
            return List.of(Table.Categorical.of(name, (String[]) v.value, null));
        }
        if (v.type == LGLSXP || v.type == INTSXP || v.type == REALSXP) {
            return List.of(new Table.Numeric(name, numbers(v, at)));
        }
        throw new InputException(at + ": R type " + v.typeName() + (v.inherits("data.frame") ? " (a nested data frame)" : "")
                + ", expected a factor, character, logical, integer or double vector");
    }

    /** Integer, logical or double values as doubles, NA as NaN. */
    private static double[] numbers(RObject v, String at) {
        if (v.value instanceof double[] d && v.type == REALSXP) {
            return d.clone();
        }
        if (v.value instanceof int[] a) {
            double[] d = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                d[i] = a[i] == NA_INTEGER ? Double.NaN : a[i];
            }
            return d;
        }
        throw new InputException(at + ": R type " + v.typeName() + ", expected numbers");
    }
}
