package org.hesse.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the byte after the header) plus
 * an optional {@code "__metadata__"} object of string to string, then the raw little-endian tensor bytes.
 *
 * <p>Reading converts every supported dtype to {@code double} and keeps the tensors in header order.
 * Writing supports F64, F32 (rounds to nearest float) and I64 (integer values only, e.g. BN's
 * num_batches_tracked). Malformed files are reported with
 * {@link IllegalArgumentException} naming the file and what is wrong; genuine I/O failures stay {@link IOException}.
 */
public final class Safetensors {

    /** Largest header accepted, as in the reference implementation: guards against absurd allocations. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final String METADATA_KEY = "__metadata__";
    private static final int CHUNK = 1 << 16; // decoding buffer, a multiple of every element size
    /** Strict JSON as for model descriptions: no trailing content after the header object (padding spaces aside). */
    private static final ObjectMapper JSON = ModelSpec.strictJson();

    /** The decoded content of a file: tensors in header order and the optional string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /** Element types: safetensors name and size in bytes. Only F64, F32 and I64 can be written. */
    public enum DType {
        F64(8), F32(4), F16(2), BF16(2), I64(8), U64(8), I32(4), U32(4), I16(2), U16(2), I8(1), U8(1), BOOL(1);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** The dtype of a safetensors name, or {@code null} if this reader does not know it. */
        public static DType of(String name) {
            for (DType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    private Safetensors() {
    }

    /** Reads all tensors of {@code file}, in header order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return readContents(file).tensors();
    }

    /** Reads all tensors and the {@code __metadata__} of {@code file}. */
    public static Contents readContents(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Inputs.requireFile(file, "safetensors");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parse(new Source() {
                @Override
                public long size() throws IOException {
                    return ch.size();
                }

                @Override
                public void read(long pos, ByteBuffer dst) throws IOException {
                    while (dst.hasRemaining()) {
                        int n = ch.read(dst, pos);
                        if (n < 0) {
                            throw new IOException("unexpected end of " + file + " at byte " + pos);
                        }
                        pos += n;
                    }
                }
            }, file.toString());
        }
    }

    /** Decodes safetensors bytes held in memory; {@code source} names them in error messages. */
    public static Contents decode(byte[] bytes, String source) {
        Objects.requireNonNull(bytes, "bytes");
        try {
            return parse(new Source() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public void read(long pos, ByteBuffer dst) {
                    dst.put(bytes, (int) pos, dst.remaining());
                }
            }, source);
        } catch (IOException e) {
            throw new AssertionError("in-memory source cannot fail", e);
        }
    }

    /** Writes {@code tensors} (dtype F64, F32 or I64 each) atomically to {@code file}, with no metadata. */
    public static void write(Path file, Collection<Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes {@code tensors} in iteration order and {@code metadata} (may be empty) atomically to {@code file}. */
    public static void write(Path file, Collection<Tensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        AtomicFiles.write(file, out -> writeTo(out, header, tensors));
    }

    /** The bytes {@link #write} would put in a file. */
    public static byte[] encode(Collection<Tensor> tensors, Map<String, String> metadata) {
        byte[] header = header(tensors, metadata);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out, header, tensors);
        } catch (IOException e) {
            throw new AssertionError("in-memory sink cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * Returns tensor {@code name} of {@code tensors} after checking its shape. Fails naming the tensor and both
     * shapes, or, if it is absent, naming it and listing the tensors that are present.
     */
    public static Tensor requireShape(Map<String, Tensor> tensors, String name, long... expected) {
        Objects.requireNonNull(tensors, "tensors");
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new InputException("tensor '" + name + "' not found; present: "
                    + InputException.excerpt(tensors.keySet().toString(), 200));
        }
        if (!Arrays.equals(t.shapeRef(), expected)) {
            throw new InputException("tensor '" + name + "': expected shape " + Arrays.toString(expected)
                    + ", found " + Arrays.toString(t.shapeRef()));
        }
        return t;
    }

    // ---------------------------------------------------------------- reading

    private interface Source {
        long size() throws IOException;

        /** Fills {@code dst} completely from absolute position {@code pos}. */
        void read(long pos, ByteBuffer dst) throws IOException;
    }

    /** One header entry, validated but not yet decoded. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    private static Contents parse(Source src, String what) throws IOException {
        long size = src.size();
        if (size < 8) {
            throw bad(what, "truncated: " + size + " bytes, fewer than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        src.read(0, lenBuf);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 0 || headerLen > size - 8) {
            throw bad(what, "header length " + Long.toUnsignedString(headerLen) + " exceeds the file: only "
                    + (size - 8) + " bytes follow the length field (truncated or not a safetensors file?)");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw bad(what, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        src.read(8, hb);
        String headerText;
        try {
            headerText = Inputs.decodeUtf8(hb.array(), "header");
        } catch (InputException e) {
            int at = Inputs.firstBadUtf8(hb.array());
            throw bad(what, "header byte " + at + " (file offset " + (8 + at) + ") is not UTF-8; expected a UTF-8 JSON "
                    + "object after the 8-byte length");
        }
        JsonNode root;
        try {
            root = JSON.readTree(headerText);
        } catch (JsonProcessingException e) {
            throw bad(what, "header is not valid JSON: " + ModelSpec.jsonProblem(e));
        }
        if (root == null || !root.isObject()) {
            throw bad(what, "header: expected a JSON object, found " + (root == null ? "nothing" : root.getNodeType()));
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals(METADATA_KEY)) {
                readMetadata(f.getValue(), metadata, what);
            } else {
                entries.add(entry(f.getKey(), f.getValue(), dataSize, what));
            }
        }
        checkOverlap(entries, what);
        long values = 0; // every tensor becomes doubles: up to 8 times its bytes (U8, BOOL)
        for (Entry e : entries) {
            values += (e.end - e.begin) / e.dtype.bytes;
        }
        Inputs.checkBudget("safetensors " + what, Inputs.times(values, Double.BYTES),
                "decoding " + entries.size() + " tensors to " + values + " doubles");

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : entries) {
            double[] data = new double[(int) ((e.end - e.begin) / e.dtype.bytes)];
            int k = 0;
            for (long pos = e.begin; pos < e.end; ) {
                int len = (int) Math.min(CHUNK, e.end - pos);
                chunk.clear().limit(len);
                src.read(dataStart + pos, chunk);
                chunk.flip();
                k = decodeChunk(e, chunk, data, k, what);
                pos += len;
            }
            tensors.put(e.name, new Tensor(e.name, e.dtype.name(), e.shape, data));
        }
        return new Contents(tensors, metadata);
    }

    private static void readMetadata(JsonNode node, Map<String, String> out, String what) {
        if (!node.isObject()) {
            throw bad(what, "'" + METADATA_KEY + "': expected an object of strings, found " + node.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw bad(what, "'" + METADATA_KEY + "'." + InputException.excerpt(f.getKey()) + ": expected a string, found "
                        + f.getValue().getNodeType());
            }
            out.put(f.getKey(), f.getValue().textValue());
        }
    }

    private static Entry entry(String name, JsonNode node, long dataSize, String what) {
        String at = "tensor '" + InputException.excerpt(name) + "'";
        if (!node.isObject()) {
            throw bad(what, at + ": expected an object with dtype, shape, data_offsets, found " + node.getNodeType());
        }
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw bad(what, at + ": field 'dtype' missing or not a string");
        }
        DType dtype = DType.of(dt.textValue());
        if (dtype == null) {
            throw bad(what, at + ": unknown dtype '" + InputException.excerpt(dt.textValue()) + "'; supported: " + Arrays.toString(DType.values()));
        }
        long[] shape = longs(node.get("shape"), -1, at + ": field 'shape'", what);
        long[] offsets = longs(node.get("data_offsets"), 2, at + ": field 'data_offsets'", what);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw bad(what, at + ": data_offsets [" + begin + ", " + end + "] have begin after end");
        }
        if (end > dataSize) {
            throw bad(what, at + ": data_offsets [" + begin + ", " + end + "] out of range: the data section has "
                    + dataSize + " bytes (file truncated?)");
        }
        long numel;
        try {
            numel = Tensor.numel(shape, name);
            Math.multiplyExact(numel, (long) dtype.bytes);
        } catch (ArithmeticException e) {
            throw bad(what, at + ": shape " + Arrays.toString(shape) + " overflows");
        }
        if (end - begin != numel * dtype.bytes) {
            throw bad(what, at + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes, but "
                    + dtype + " shape " + Arrays.toString(shape) + " needs " + numel * dtype.bytes);
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw bad(what, at + ": " + numel + " elements do not fit in one Java array");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] longs(JsonNode node, int expectedLength, String at, String what) {
        if (node == null || !node.isArray()) {
            throw bad(what, at + " missing or not an array");
        }
        if (expectedLength >= 0 && node.size() != expectedLength) {
            throw bad(what, at + ": expected " + expectedLength + " integers, found " + node.size());
        }
        long[] r = new long[node.size()];
        for (int i = 0; i < r.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
                throw bad(what, at + "[" + i + "]: expected a non-negative integer, found " + InputException.excerpt(v));
            }
            r[i] = v.asLong();
        }
        return r;
    }

    private static void checkOverlap(List<Entry> entries, String what) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin == e.end) {
                continue; // empty tensors occupy no bytes
            }
            if (prev != null && e.begin < prev.end) {
                throw bad(what, "tensors '" + prev.name + "' [" + prev.begin + ", " + prev.end + ") and '" + e.name
                        + "' [" + e.begin + ", " + e.end + ") overlap");
            }
            prev = e;
        }
    }

    private static int decodeChunk(Entry e, ByteBuffer b, double[] out, int k, String what) {
        switch (e.dtype) {
            case F64 -> { while (b.hasRemaining()) out[k++] = b.getDouble(); }
            case F32 -> { while (b.hasRemaining()) out[k++] = b.getFloat(); }
            case F16 -> { while (b.hasRemaining()) out[k++] = halfToDouble(b.getShort()); }
            case BF16 -> { while (b.hasRemaining()) out[k++] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16); }
            case I64 -> { while (b.hasRemaining()) out[k++] = b.getLong(); }
            case U64 -> {
                while (b.hasRemaining()) {
                    long v = b.getLong();
                    // unsigned: halve, convert, double back, so values >= 2^63 stay positive
                    out[k++] = v >= 0 ? v : ((double) (v >>> 1)) * 2.0 + (v & 1);
                }
            }
            case I32 -> { while (b.hasRemaining()) out[k++] = b.getInt(); }
            case U32 -> { while (b.hasRemaining()) out[k++] = b.getInt() & 0xFFFFFFFFL; }
            case I16 -> { while (b.hasRemaining()) out[k++] = b.getShort(); }
            case U16 -> { while (b.hasRemaining()) out[k++] = b.getShort() & 0xFFFF; }
            case I8 -> { while (b.hasRemaining()) out[k++] = b.get(); }
            case U8 -> { while (b.hasRemaining()) out[k++] = b.get() & 0xFF; }
            case BOOL -> {
                while (b.hasRemaining()) {
                    byte v = b.get();
                    if (v != 0 && v != 1) {
                        throw bad(what, "tensor '" + e.name + "': BOOL element " + k + " is " + (v & 0xFF)
                                + ", expected 0 or 1");
                    }
                    out[k++] = v;
                }
            }
            default -> throw new AssertionError(e.dtype);
        }
        return k;
    }

    /** IEEE 754 binary16 to double (exact: every half is a double). */
    static double halfToDouble(short h) {
        int bits = h & 0xFFFF;
        int sign = bits >>> 15;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        double v;
        if (exp == 0) {
            v = Math.scalb((double) mant, -24); // subnormal
        } else if (exp == 0x1F) {
            v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = Math.scalb((double) (mant | 0x400), exp - 25);
        }
        return sign == 0 ? v : -v;
    }

    // ---------------------------------------------------------------- writing

    private static byte[] header(Collection<Tensor> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach((k, v) -> meta.put(Objects.requireNonNull(k, "metadata key"),
                    Objects.requireNonNull(v, "metadata value of '" + k + "'")));
        }
        long offset = 0;
        for (Tensor t : tensors) {
            Objects.requireNonNull(t, "tensor");
            if (t.name().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("tensors: the name '" + METADATA_KEY + "' is reserved");
            }
            if (root.has(t.name())) {
                throw new IllegalArgumentException("tensors: duplicate name '" + t.name() + "'");
            }
            DType dt = writableDType(t);
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", dt.name());
            ArrayNode shape = e.putArray("shape");
            for (long s : t.shapeRef()) {
                shape.add(s);
            }
            long end = offset + t.numel() * dt.bytes;
            e.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise safetensors header", e);
        }
        // pad with spaces so the data section starts 8-byte aligned, as the reference writer does
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static DType writableDType(Tensor t) {
        DType dt = DType.of(t.dtype());
        if (dt != DType.F64 && dt != DType.F32 && dt != DType.I64) {
            throw new IllegalArgumentException("tensor '" + t.name() + "': can write dtype F64, F32 or I64, found '"
                    + t.dtype() + "'");
        }
        if (dt == DType.I64) {
            for (double v : t.data()) {
                // integers up to 2^63 in magnitude; doubles above 2^53 are integers but were rounded already
                if (v != Math.rint(v) || Math.abs(v) >= 0x1p63) {
                    throw new IllegalArgumentException("tensor '" + t.name() + "': I64 needs integer values in "
                            + "(-2^63, 2^63), found " + v);
                }
            }
        }
        return dt;
    }

    private static void writeTo(OutputStream out, byte[] header, Collection<Tensor> tensors) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, header.length);
        out.write(b.array(), 0, 8);
        out.write(header);
        for (Tensor t : tensors) {
            DType dt = writableDType(t);
            boolean f32 = dt == DType.F32;
            boolean i64 = dt == DType.I64;
            int step = f32 ? 4 : 8;
            double[] d = t.data();
            b.clear();
            for (double v : d) {
                if (b.remaining() < step) {
                    out.write(b.array(), 0, b.position());
                    b.clear();
                }
                if (f32) {
                    b.putFloat((float) v);
                } else if (i64) {
                    b.putLong((long) v);
                } else {
                    b.putDouble(v);
                }
            }
            out.write(b.array(), 0, b.position());
        }
    }

    private static InputException bad(String what, String msg) {
        return new InputException("safetensors " + what + ": " + msg);
    }
}
