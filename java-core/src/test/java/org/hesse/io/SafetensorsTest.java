package org.hesse.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsTest {
    @TempDir
    Path dir;

    // ---- helpers that build files by hand, independently of the writer

    /** A file from a header string and a data section filled by {@code data}. */
    private static byte[] file(String header, int dataBytes, Consumer<ByteBuffer> data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        data.accept(b);
        assertEquals(b.capacity(), b.position(), "test helper filled the data section exactly");
        return b.array();
    }

    private static Tensor only(byte[] bytes) {
        Map<String, Tensor> m = Safetensors.decode(bytes, "(test)").tensors();
        assertEquals(1, m.size());
        return m.values().iterator().next();
    }

    private static String one(String dtype, String shape, int bytes) {
        return "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[0," + bytes + "]}}";
    }

    private static IllegalArgumentException bad(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> Safetensors.decode(bytes, "(test)"));
    }

    // ---- decoding of every dtype, values from the IEEE / two's-complement definitions

    @Test
    void decodesF16() {
        short[] bits = {0x3C00, (short) 0xC000, 0x3555, 0x7BFF, 0x0001, 0x0400, 0x7C00, (short) 0xFC00,
                (short) 0x8000, 0x7E00};
        // 0x3555: exponent 13, mantissa 0x155 -> 2^(13-15) * (1 + 0x155/1024)
        double[] expect = {1.0, -2.0, 0.25 * (1 + 0x155 / 1024.0), 65504.0, Math.pow(2, -24), Math.pow(2, -14),
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.NaN};
        Tensor t = only(file(one("F16", "[2,5]", 20), 20, b -> { for (short s : bits) b.putShort(s); }));
        assertEquals("F16", t.dtype());
        assertArrayEquals(new long[]{2, 5}, t.shape());
        for (int i = 0; i < bits.length; i++) {
            assertEquals(Double.doubleToLongBits(expect[i]), Double.doubleToLongBits(t.data()[i]),
                    "half 0x" + Integer.toHexString(bits[i] & 0xFFFF) + " -> " + t.data()[i] + ", expected " + expect[i]);
        }
    }

    @Test
    void decodesBF16AndF32() {
        short[] bf = {0x3F80, (short) 0xC020, 0x4049, 0x0001};
        double[] expect = {1.0, -2.5, 3.140625, Math.pow(2, -133)};
        Tensor t = only(file(one("BF16", "[4]", 8), 8, b -> { for (short s : bf) b.putShort(s); }));
        assertArrayEquals(expect, t.data(), 0.0);

        // 0x3DCCCCCD is the float nearest 0.1: 13421773 * 2^-27
        Tensor f = only(file(one("F32", "[2]", 8), 8, b -> b.putInt(0x3DCCCCCD).putInt(0xC0490FDB)));
        assertEquals(13421773 * Math.pow(2, -27), f.data()[0], 0.0);
        assertEquals(-(0x490FDB | 0x800000) * Math.pow(2, 1 - 23), f.data()[1], 0.0);
    }

    @Test
    void decodesIntegersAndBool() {
        Tensor i64 = only(file(one("I64", "[3]", 24), 24, b -> b.putLong(-3).putLong(1L << 53).putLong(Long.MIN_VALUE)));
        assertArrayEquals(new double[]{-3, Math.pow(2, 53), -Math.pow(2, 63)}, i64.data(), 0.0);
        Tensor u64 = only(file(one("U64", "[2]", 16), 16, b -> b.putLong(-1L).putLong(7)));
        assertArrayEquals(new double[]{Math.pow(2, 64), 7}, u64.data(), 0.0);
        Tensor i32 = only(file(one("I32", "[2]", 8), 8, b -> b.putInt(Integer.MIN_VALUE).putInt(12345)));
        assertArrayEquals(new double[]{-Math.pow(2, 31), 12345}, i32.data(), 0.0);
        Tensor u32 = only(file(one("U32", "[1]", 4), 4, b -> b.putInt(-1)));
        assertArrayEquals(new double[]{Math.pow(2, 32) - 1}, u32.data(), 0.0);
        Tensor i16 = only(file(one("I16", "[2]", 4), 4, b -> b.putShort((short) -32768).putShort((short) 300)));
        assertArrayEquals(new double[]{-32768, 300}, i16.data(), 0.0);
        Tensor u16 = only(file(one("U16", "[1]", 2), 2, b -> b.putShort((short) -1)));
        assertArrayEquals(new double[]{65535}, u16.data(), 0.0);
        Tensor i8 = only(file(one("I8", "[2]", 2), 2, b -> b.put((byte) -128).put((byte) 127)));
        assertArrayEquals(new double[]{-128, 127}, i8.data(), 0.0);
        Tensor u8 = only(file(one("U8", "[2]", 2), 2, b -> b.put((byte) 255).put((byte) 0)));
        assertArrayEquals(new double[]{255, 0}, u8.data(), 0.0);
        Tensor bool = only(file(one("BOOL", "[3]", 3), 3, b -> b.put((byte) 1).put((byte) 0).put((byte) 1)));
        assertArrayEquals(new double[]{1, 0, 1}, bool.data(), 0.0);
        IllegalArgumentException e = bad(file(one("BOOL", "[1]", 1), 1, b -> b.put((byte) 2)));
        assertTrue(e.getMessage().contains("expected 0 or 1"), e.getMessage());
    }

    @Test
    void keepsHeaderOrderAndMetadata() {
        String h = "{\"__metadata__\":{\"format\":\"pt\"},\"z\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        Safetensors.Contents c = Safetensors.decode(file(h, 2, b -> b.put((byte) 10).put((byte) 20)), "(test)");
        assertEquals(List.of("z", "a"), new ArrayList<>(c.tensors().keySet()));
        assertEquals(20, c.tensors().get("z").data()[0]);
        assertEquals(10, c.tensors().get("a").data()[0]);
        assertEquals(Map.of("format", "pt"), c.metadata());
    }

    // ---- writing

    @Test
    void roundTripF64AndF32() throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        List<Tensor> ts = new ArrayList<>();
        ts.add(Tensor.f64("0.weight", new long[]{16, 4}, rnd.doubles(64, -1, 1).toArray()));
        ts.add(Tensor.f64("0.bias", new long[]{16}, rnd.doubles(16).toArray()));
        ts.add(Tensor.f64("scalar", new long[]{}, new double[]{Math.PI}));
        ts.add(Tensor.f64("empty", new long[]{0, 3}, new double[0]));
        ts.add(new Tensor("half", "F32", new long[]{3}, new double[]{0.1, -1e30, 3}));
        // larger than the 64 KiB chunk, to cross chunk boundaries on both sides
        ts.add(Tensor.f64("big", new long[]{100, 123}, rnd.doubles(12300).toArray()));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("creator", "hesse");
        meta.put("step", "3");
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, ts, meta);

        byte[] raw = Files.readAllBytes(f);
        long hlen = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + hlen) % 8, "data section is 8-byte aligned");

        Safetensors.Contents c = Safetensors.readContents(f);
        assertEquals(meta, c.metadata());
        assertEquals(List.of("0.weight", "0.bias", "scalar", "empty", "half", "big"), new ArrayList<>(c.tensors().keySet()));
        for (Tensor t : ts) {
            Tensor r = c.tensors().get(t.name());
            assertEquals(t.dtype(), r.dtype());
            assertArrayEquals(t.shape(), r.shape(), t.name());
            if (t.dtype().equals("F64")) {
                assertArrayEquals(t.data(), r.data(), 0.0, t.name());
            } else {
                for (int i = 0; i < t.data().length; i++) {
                    assertEquals((double) (float) t.data()[i], r.data()[i], 0.0);
                }
            }
        }
        assertArrayEquals(raw, Safetensors.encode(ts, meta), "encode gives the bytes write puts in the file");
    }

    @Test
    void writesI64AsLittleEndianLongs() throws IOException {
        Path f = dir.resolve("i.safetensors");
        Safetensors.write(f, List.of(new Tensor("0.num_batches_tracked", "I64", new long[]{}, new double[]{300}),
                new Tensor("v", "I64", new long[]{2}, new double[]{-7, 1L << 53})));
        byte[] raw = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long hlen = b.getLong(0);
        String header = new String(raw, 8, (int) hlen, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.contains("\"dtype\":\"I64\""), header);
        // the data section read by hand: three 8-byte two's-complement integers in file order
        assertEquals(300L, b.getLong((int) (8 + hlen)));
        assertEquals(-7L, b.getLong((int) (8 + hlen + 8)));
        assertEquals(1L << 53, b.getLong((int) (8 + hlen + 16)));
        Tensor t = Safetensors.read(f).get("0.num_batches_tracked");
        assertEquals("I64", t.dtype());
        assertEquals(0, t.rank());
        assertEquals(300.0, t.data()[0], 0.0);
    }

    @Test
    void writeRejectsUnwritableInput() {
        Path f = dir.resolve("x.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f,
                List.of(new Tensor("i", "I32", new long[]{1}, new double[]{1}))));
        assertTrue(e.getMessage().contains("'i'") && e.getMessage().contains("F64, F32 or I64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f,
                List.of(new Tensor("n", "I64", new long[]{2}, new double[]{1, 2.5}))));
        assertTrue(e.getMessage().contains("'n'") && e.getMessage().contains("2.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, List.of(
                Tensor.f64("a", new long[]{1}, new double[1]), Tensor.f64("a", new long[]{1}, new double[1]))));
        assertTrue(e.getMessage().contains("duplicate name 'a'"), e.getMessage());
        assertFalse(Files.exists(f));
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.f64("w", new long[]{2, 3}, new double[5]));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("5"), e.getMessage());
    }

    // ---- requireShape

    @Test
    void requireShapeNamesTensorAndShapes() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("0.weight", Tensor.f64("0.weight", new long[]{4, 16}, new double[64]));
        m.put("0.bias", Tensor.f64("0.bias", new long[]{16}, new double[16]));
        assertSame(m.get("0.bias"), Safetensors.requireShape(m, "0.bias", 16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.requireShape(m, "0.weight", 16, 4));
        assertEquals("tensor '0.weight': expected shape [16, 4], found [4, 16]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.requireShape(m, "2.weight", 3, 16));
        assertEquals("tensor '2.weight' not found; present: [0.weight, 0.bias]", e.getMessage());
    }

    // ---- bad input

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("nope.safetensors"), e.getMessage());
    }

    @Test
    void truncatedFiles() throws IOException {
        assertTrue(bad(new byte[5]).getMessage().contains("truncated: 5 bytes"));
        byte[] good = file(one("F64", "[2]", 16), 16, b -> b.putDouble(1).putDouble(2));
        // header length claims more than the file holds
        byte[] cut = Arrays.copyOf(good, 8 + 10);
        assertTrue(bad(cut).getMessage().contains("exceeds the file"), bad(cut).getMessage());
        // header intact, data cut short: offsets now beyond the data section
        byte[] shortData = Arrays.copyOf(good, good.length - 3);
        IllegalArgumentException e = bad(shortData);
        assertTrue(e.getMessage().contains("out of range") && e.getMessage().contains("13 bytes"), e.getMessage());
        // the same through the file reader
        Path f = dir.resolve("cut.safetensors");
        Files.write(f, shortData);
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("cut.safetensors") && e.getMessage().contains("out of range"), e.getMessage());
        // a header length with the top bit set (negative as a signed long)
        byte[] huge = good.clone();
        huge[7] = (byte) 0x80;
        assertTrue(bad(huge).getMessage().contains("exceeds the file"));
    }

    @Test
    void badHeaders() {
        assertTrue(bad(file("{not json", 0, b -> { })).getMessage().contains("not valid JSON"));
        assertTrue(bad(file("[1,2]", 0, b -> { })).getMessage().contains("expected a JSON object"));
        IllegalArgumentException e = bad(file(one("F8_E4M3", "[2]", 2), 2, b -> b.putShort((short) 0)));
        assertTrue(e.getMessage().contains("unknown dtype 'F8_E4M3'") && e.getMessage().contains("BF16"), e.getMessage());
        e = bad(file(one("F64", "[3]", 16), 16, b -> b.putDouble(1).putDouble(2)));
        assertTrue(e.getMessage().contains("needs 24"), e.getMessage());
        e = bad(file("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,1]}}", 2, b -> b.putShort((short) 0)));
        assertTrue(e.getMessage().contains("begin after end"), e.getMessage());
        e = bad(file("{\"t\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1, b -> b.put((byte) 0)));
        assertTrue(e.getMessage().contains("'shape'[0]") && e.getMessage().contains("non-negative"), e.getMessage());
        e = bad(file("{\"t\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, b -> b.put((byte) 0)));
        assertTrue(e.getMessage().contains("'data_offsets' missing"), e.getMessage());
        e = bad(file("{\"__metadata__\":{\"k\":1}}", 0, b -> { }));
        assertTrue(e.getMessage().contains("__metadata__") && e.getMessage().contains("expected a string"), e.getMessage());
        e = bad(file("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, b -> b.put((byte) 0)));
        assertTrue(e.getMessage().contains("Duplicate field 't'"), e.getMessage());
    }

    @Test
    void overlappingOffsets() {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        IllegalArgumentException e = bad(file(h, 12, b -> b.putInt(0).putInt(0).putInt(0)));
        assertTrue(e.getMessage().contains("'a' [0, 8)") && e.getMessage().contains("'b' [4, 12)")
                && e.getMessage().contains("overlap"), e.getMessage());
    }

    // ---- the PyTorch-made fixture

    @Test
    void loadsPytorchFixture() throws IOException {
        Path d = Fixtures.dir("pytorch-mlp-tanh-ce");
        ModelSpec spec = ModelSpec.read(d.resolve("model.json"));
        Map<String, Tensor> ts = Safetensors.read(d.resolve("model.safetensors"));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(ts.keySet()));
        // expected shapes follow from the model description: dense layer i maps width in -> out
        int width = spec.input();
        for (int i = 0; i < spec.layers().size(); i++) {
            LayerSpec l = spec.layers().get(i);
            if (l.type().equals("dense")) {
                assertEquals("F64", Safetensors.requireShape(ts, i + ".weight", l.out(), width).dtype());
                Safetensors.requireShape(ts, i + ".bias", l.out());
                width = l.out();
            }
        }
        for (Tensor t : ts.values()) {
            for (double v : t.data()) {
                assertTrue(Double.isFinite(v) && Math.abs(v) < 10, t.name() + " holds a plausible weight: " + v);
            }
        }
    }
}
