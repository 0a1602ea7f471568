package org.hesse.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private long leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path f = dir.resolve("sub/report.txt");
        AtomicFiles.writeString(f, "first é");
        assertEquals("first é", Files.readString(f, StandardCharsets.UTF_8));
        AtomicFiles.writeBytes(f, new byte[]{1, 2, 3});
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(f));
        AtomicFiles.write(f, out -> {
            for (int i = 0; i < 200_000; i++) {
                out.write(i & 0xFF);
            }
        });
        byte[] b = Files.readAllBytes(f);
        assertEquals(200_000, b.length);
        assertEquals((byte) (199_999 & 0xFF), b[199_999]);
        assertEquals(0, leftovers());
    }

    @Test
    void failedWriteLeavesTargetAndNoTempFile() throws IOException {
        Path f = dir.resolve("keep.txt");
        AtomicFiles.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("partial".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(0, leftovers());
    }

    @Test
    void refusesDirectoryTarget() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AtomicFiles.writeString(dir, "x"));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void anUnwritableTargetIsNamedWithTheReasonNotTheTemporaryFile() throws IOException {
        Path ro = dir.resolve("ro");
        Files.createDirectories(ro);
        Path target = ro.resolve("out.json");
        boolean restricted = ro.toFile().setWritable(false, false);
        try {
            // root may write anyway; /proc refuses everyone
            Path unwritable = restricted && !Files.isWritable(ro) ? target : Path.of("/proc/hesse-atomic-test.json");
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(unwritable.getParent()), "no /proc here");
            IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(unwritable, "x"));
            assertTrue(e.getMessage().startsWith("cannot write " + unwritable.toAbsolutePath() + ": "), e.getMessage());
            assertFalse(e.getMessage().contains(".tmp"), e.getMessage());
        } finally {
            ro.toFile().setWritable(true, false);
        }
    }
}
