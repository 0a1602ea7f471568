package org.hesse.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class IdxTest {
    @TempDir
    Path dir;

    private static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(bo);
        o.writeInt(magic);
        for (int d : dims) o.writeInt(d);
        o.write(body);
        return bo.toByteArray();
    }

    private Path put(String name, byte[] b, boolean gz) throws IOException {
        Path p = dir.resolve(name + (gz ? ".gz" : ""));
        try (OutputStream o = gz ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(b);
        }
        return p;
    }

    @Test
    void readsImagesAndLabelsWithLimit() throws IOException {
        int n = 5, rows = 2, cols = 3;
        byte[] px = new byte[n * rows * cols];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 37 % 256);
        byte[] lab = {9, 0, 3, 3, 7};
        for (boolean gz : new boolean[]{false, true}) {
            Path sub = Files.createDirectories(dir.resolve(gz ? "gz" : "plain"));
            put(sub.getFileName() + "/train-images-idx3-ubyte", idx(0x803, new int[]{n, rows, cols}, px), gz);
            put(sub.getFileName() + "/train-labels-idx1-ubyte", idx(0x801, new int[]{n}, lab), gz);
            Dataset all = Idx.fashionMnist(sub, "train", 0);
            assertEquals(n, all.size());
            assertEquals(rows * cols, all.numFeatures());
            assertEquals("pixel_1_2", all.featureNames().get(5));
            for (int i = 0; i < px.length; i++) {
                assertEquals((px[i] & 0xFF) / 255.0, all.x()[i], 0.0);
            }
            assertArrayEquals(new int[]{9, 0, 3, 3, 7}, all.labels());
            assertEquals("Ankle boot", all.classNames().get(all.labels()[0]));
            Dataset two = Idx.fashionMnist(sub, "train", 2);
            assertEquals(2, two.size());
            assertArrayEquals(Arrays.copyOf(all.x(), 12), two.x(), 0.0);
        }
    }

    @Test
    void badInput() throws IOException {
        Path wrongMagic = put("a", idx(0x801, new int[]{1}, new byte[1]), false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readImages(wrongMagic, 0));
        assertTrue(e.getMessage().contains("magic number 0x00000801, expected 0x00000803"), e.getMessage());
        Path truncated = put("b", idx(0x803, new int[]{3, 2, 2}, new byte[9]), true);
        e = assertThrows(IllegalArgumentException.class, () -> Idx.readImages(truncated, 0));
        assertTrue(e.getMessage().contains("announces 3 images of 2 × 2 pixels (12 bytes) but only 9 bytes follow"), e.getMessage());
        Path shortHeader = put("c", new byte[]{0, 0, 8}, false);
        e = assertThrows(IllegalArgumentException.class, () -> Idx.readLabels(shortHeader, 0));
        assertTrue(e.getMessage().contains("truncated header"), e.getMessage());
        Path img = put("d", idx(0x803, new int[]{2, 1, 1}, new byte[2]), false);
        Path lab = put("e", idx(0x801, new int[]{3}, new byte[3]), false);
        e = assertThrows(IllegalArgumentException.class, () -> Idx.fashionMnist(img, lab, 0));
        assertTrue(e.getMessage().contains("2 images but") && e.getMessage().contains("3 labels"), e.getMessage());
        Path badLab = put("f", idx(0x801, new int[]{2}, new byte[]{1, 10}), false);
        e = assertThrows(IllegalArgumentException.class, () -> Idx.fashionMnist(img, badLab, 0));
        assertTrue(e.getMessage().contains("label 1 is 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Idx.fashionMnist(dir, "test", 0));
        assertTrue(e.getMessage().contains("'train' or 't10k'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Idx.fashionMnist(dir, "t10k", 0));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz nor"), e.getMessage());
    }
}
