package org.hesse.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LibSvmTest {
    @TempDir
    Path dir;

    private Path file(String text) throws IOException {
        Path p = dir.resolve("d.svm");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void sparseToDenseAndSortedLabelMapping() throws IOException {
        Dataset d = LibSvm.read(file("+1 1:0.5 3:-2 # comment\n-1 2:4\n\n# only a comment\n3 1:1e-3\n"),
                Dataset.Task.CLASSIFICATION, 0);
        assertEquals(3, d.size());
        assertEquals(3, d.numFeatures());
        assertArrayEquals(new double[]{0.5, 0, -2, 0, 4, 0, 1e-3, 0, 0}, d.x(), 0.0);
        // labels sorted ascending: -1 -> 0, 1 -> 1, 3 -> 2
        assertArrayEquals(new int[]{1, 0, 2}, d.labels());
        assertEquals(List.of("-1", "1", "3"), d.classNames());
        assertEquals(List.of("x0", "x1", "x2"), d.featureNames());

        Dataset wide = LibSvm.read(file("2.5 2:1\n-0.5 1:1\n"), Dataset.Task.REGRESSION, 5);
        assertEquals(5, wide.numFeatures());
        assertArrayEquals(new double[]{2.5, -0.5}, wide.targets(), 0.0);
        assertArrayEquals(new double[]{0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, wide.x(), 0.0);
    }

    @Test
    void badInput() throws IOException {
        Path p = file("1 0:1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LibSvm.read(p, Dataset.Task.CLASSIFICATION, 0));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("1-based"), e.getMessage());
        Path q = file("1 1:1\n1 3:1 2:1\n");
        e = assertThrows(IllegalArgumentException.class, () -> LibSvm.read(q, Dataset.Task.CLASSIFICATION, 0));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("must increase"), e.getMessage());
        Path r = file("1 1:x\n");
        e = assertThrows(IllegalArgumentException.class, () -> LibSvm.read(r, Dataset.Task.REGRESSION, 0));
        assertTrue(e.getMessage().contains("line 1, feature 1: expected a number, found 'x'"), e.getMessage());
        Path s = file("1 4:1\n");
        e = assertThrows(IllegalArgumentException.class, () -> LibSvm.read(s, Dataset.Task.REGRESSION, 3));
        assertTrue(e.getMessage().contains("feature index 4 exceeds the 3 features expected"), e.getMessage());
        Path t = file("abc 1:1\n");
        e = assertThrows(IllegalArgumentException.class, () -> LibSvm.read(t, Dataset.Task.REGRESSION, 0));
        assertTrue(e.getMessage().contains("line 1, label: expected a number, found 'abc'"), e.getMessage());
        Path u = file("1 1:2f\n");  // Java would read "2f" as 2.0; the CSV reader's rule refuses it
        e = assertThrows(IllegalArgumentException.class, () -> LibSvm.read(u, Dataset.Task.REGRESSION, 0));
        assertTrue(e.getMessage().contains("line 1, feature 1: expected a number, found '2f'"), e.getMessage());
    }
}
