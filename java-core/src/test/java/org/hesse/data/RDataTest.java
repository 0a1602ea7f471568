package org.hesse.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.hesse.io.InputException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The R reader on real files of Debian's R packages (xz, bzip2 and gzip .rda; lazy-load databases with zlib and raw
 * LZMA2), against summaries computed by Python's rdata package with Python's own decompression
 * (make_rdata_fixture.py). Skipped with the cache's message where a package cannot be had.
 */
class RDataTest {

    @TestFactory
    Stream<DynamicTest> readsLikePythonsRdata() throws IOException {
        return FixtureSummaries.load("rdata_fixture.json").stream().map(e -> DynamicTest.dynamicTest(
                e.get("object").asText() + " (" + e.get("package").asText() + ")", () -> {
                    Path f = FixtureSummaries.file(e);
                    String name = e.get("object").asText();
                    RData.RObject o = f.toString().endsWith(".rdx") ? RData.openLazyLoad(f).get(name) : RData.readRda(f, name);
                    FixtureSummaries.assertMatches(e, RData.toTable(o, name));
                }));
    }

    @TestFactory
    Stream<DynamicTest> readsFilesWrittenByPythonsRdataInEveryCompression() {
        return Stream.of("gzip", "bzip2", "xz", "plain", "v2").map(c -> DynamicTest.dynamicTest(c, () -> {
            byte[] b;
            try (var in = RDataTest.class.getResourceAsStream("rdata_written/" + c + ".rda")) {
                b = in.readAllBytes();
            }
            // the values make.py wrote
            Table t = RData.toTable(RData.readRda(b, c).get("df"), c);
            assertEquals(java.util.List.of("x", "k", "s", "b", "i"), t.names());
            assertArrayEquals(new double[] {1.5, Double.NaN, -3.0}, ((Table.Numeric) t.column("x")).values());
            Table.Categorical k = (Table.Categorical) t.column("k");
            assertEquals(java.util.List.of("b", "a"), k.levels(), "declared order; unused level c dropped");
            assertArrayEquals(new int[] {1, 0, 1}, k.codes());
            Table.Categorical s = (Table.Categorical) t.column("s");
            assertEquals(java.util.Arrays.asList("u", "v", null), java.util.List.of(0, 1, 2).stream().map(s::value).toList());
            assertArrayEquals(new double[] {1, 0, 1}, ((Table.Numeric) t.column("b")).values());
            assertArrayEquals(new double[] {1, Double.NaN, 3}, ((Table.Numeric) t.column("i")).values());
        }));
    }

    @Test
    void lazyLoadBlobsInEveryCompressionRWrites() throws IOException {
        byte[] file;
        try (var in = RDataTest.class.getResourceAsStream("rdata_written/plain.rda")) {
            file = in.readAllBytes();
        }
        // plain.rda is "RDX3\n" + a serialised pairlist; a lazy-load blob holds such a serialisation
        byte[] stream = Arrays.copyOfRange(file, 5, file.length);
        java.io.ByteArrayOutputStream zlib = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.DeflaterOutputStream(zlib)) {
            out.write(stream);
        }
        java.io.ByteArrayOutputStream bz = new java.io.ByteArrayOutputStream();
        try (var out = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(bz)) {
            out.write(stream);
        }
        java.io.ByteArrayOutputStream lz = new java.io.ByteArrayOutputStream();
        try (var out = new org.tukaani.xz.LZMA2Options(9).getOutputStream(new org.tukaani.xz.FinishableWrapperOutputStream(lz))) {
            out.write(stream);
        }
        byte[][] blobs = {
                blob(stream.length, null, zlib.toByteArray()),       // compressed = TRUE: zlib, no type byte
                blob(stream.length, '1', zlib.toByteArray()),        // compressed = 2/3 with type bytes
                blob(stream.length, '2', bz.toByteArray()),
                blob(stream.length, 'Z', lz.toByteArray()),
                blob(stream.length, '0', stream)};
        int[] compressed = {1, 3, 2, 3, 3};
        for (int k = 0; k < blobs.length; k++) {
            assertArrayEquals(stream, RData.unpackBlob(blobs[k], compressed[k], "blob " + k), "blob " + k);
        }
        assertArrayEquals(stream, RData.unpackBlob(stream, 0, "stored"));
        InputException e = assertThrows(InputException.class, () -> RData.unpackBlob(blob(stream.length, 'Q', stream), 3, "blob"));
        assertTrue(e.getMessage().contains("compression type 'Q'"), e.getMessage());
        byte[] corrupt = blob(stream.length, 'Z', Arrays.copyOf(lz.toByteArray(), 20));
        e = assertThrows(InputException.class, () -> RData.unpackBlob(corrupt, 3, "blob"));
        assertTrue(e.getMessage().startsWith("blob: compressed data is corrupt"), e.getMessage());
    }

    private static byte[] blob(int outLen, Character type, byte[] data) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + (type == null ? 0 : 1) + data.length);
        b.putInt(outLen);
        if (type != null) {
            b.put((byte) type.charValue());
        }
        return b.put(data).array();
    }

    /** The first object of the fixture (mlbench Glass.rda), decompressed: the XDR stream after "RDX2\n". */
    private static byte[] glassStream() throws IOException {
        JsonNode glass = FixtureSummaries.load("rdata_fixture.json").get(0);
        return RData.decompress(Files.readAllBytes(FixtureSummaries.file(glass)), "test");
    }

    private static Path gzip(Path dir, byte[] b) throws IOException {
        Path f = dir.resolve("broken.rda");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(b);
        }
        return f;
    }

    @Test
    void truncatedStreamIsRefusedNamingFileAndOffset(@TempDir Path dir) throws IOException {
        byte[] b = glassStream();
        Path f = gzip(dir, Arrays.copyOf(b, b.length / 2));
        InputException e = assertThrows(InputException.class, () -> RData.readRda(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void wrongMagicIsRefused(@TempDir Path dir) throws IOException {
        Path f = gzip(dir, "RDA9\nX\n".getBytes());
        InputException e = assertThrows(InputException.class, () -> RData.readRda(f));
        assertTrue(e.getMessage().contains("RDX2") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void unknownTypeIsRefusedWithItsOffset(@TempDir Path dir) throws IOException {
        byte[] b = glassStream();
        // the first item after the 5-byte magic, "X\n" and three header ints: its flags at offset 19
        int at = 5 + 2 + 12;
        byte[] c = b.clone();
        c[at + 3] = (byte) 200; // SEXP type 200 does not exist
        Path f = gzip(dir, c);
        InputException e = assertThrows(InputException.class, () -> RData.readRda(f));
        assertTrue(e.getMessage().contains("unknown R type 200") && e.getMessage().contains("offset " + (at + 4)), e.getMessage());
    }

    @Test
    void missingObjectListsTheOnesPresent() throws IOException {
        JsonNode glass = FixtureSummaries.load("rdata_fixture.json").get(0);
        Path f = FixtureSummaries.file(glass);
        InputException e = assertThrows(InputException.class, () -> RData.readRda(f, "Nope"));
        assertTrue(e.getMessage().contains("Glass") && e.getMessage().contains("Nope"), e.getMessage());
    }

    @Test
    void rPrintsDoublesWith15SignificantDigits() {
        assertEquals("12", RData.formatReal(12.0));
        assertEquals("0.1", RData.formatReal(0.1));
        assertEquals("3.14159265358979", RData.formatReal(Math.PI));
    }
}
