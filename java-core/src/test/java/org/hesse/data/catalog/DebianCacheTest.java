package org.hesse.data.catalog;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Debian package cache: a copy already present is used as is; a package that cannot be had says what to do. */
class DebianCacheTest {

    @TempDir
    Path cache;
    private String before;

    @BeforeEach
    void useTempCache() {
        before = System.getProperty(DebianCache.PROPERTY);
        System.setProperty(DebianCache.PROPERTY, cache.toString());
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(DebianCache.PROPERTY);
        } else {
            System.setProperty(DebianCache.PROPERTY, before);
        }
    }

    @Test
    void aCopyExtractedByHandIsUsedWithoutDownload() throws IOException {
        Path f = cache.resolve("r-cran-example/usr/share/x/data.csv");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "a,b\n");
        assertEquals(f, DebianCache.file("r-cran-example", "/usr/share/x/data.csv"));
        IOException e = assertThrows(IOException.class, () -> DebianCache.file("r-cran-example", "/usr/share/x/other.csv"));
        assertTrue(e.getMessage().contains("has no file /usr/share/x/other.csv"), e.getMessage());
    }

    @Test
    void anUnobtainablePackageIsOneClearMessageAndLeavesNothingBehind() throws IOException {
        String pkg = "hesse-no-such-package-x9";
        DebianCache.Unavailable e = assertThrows(DebianCache.Unavailable.class, () -> DebianCache.extracted(pkg));
        String m = e.getMessage();
        assertTrue(m.startsWith("Debian package " + pkg + " cannot be had: `apt-get download " + pkg + "`"), m);
        assertTrue(m.contains("-D" + DebianCache.PROPERTY) && m.contains("dpkg-deb -x"), m);
        assertTrue(!m.contains("\n"), "one line: " + m);
        try (var left = Files.list(cache)) {
            assertEquals(0, left.count(), "no package directory, no temporary directory");
        }
        // asked again in this JVM: the same message at once
        assertEquals(m, assertThrows(DebianCache.Unavailable.class, () -> DebianCache.extracted(pkg)).getMessage());
    }

    @Test
    void extractsARealPackageAtomically() throws IOException {
        Path root;
        try {
            root = DebianCache.extracted("liblinear-tools");
        } catch (DebianCache.Unavailable e) {
            org.junit.jupiter.api.Assumptions.abort(e.getMessage());
            return;
        }
        assertTrue(Files.isRegularFile(root.resolve("usr/share/doc/liblinear-tools/examples/heart_scale")));
        try (var left = Files.list(cache)) {
            assertEquals(1, left.count(), "only the package directory remains");
        }
        // the committed heart_scale resource is this file, gzip-compressed
        byte[] committed;
        try (var in = new java.util.zip.GZIPInputStream(StudyDatasets.class.getResourceAsStream("heart_scale.gz"))) {
            committed = in.readAllBytes();
        }
        assertEquals(new String(Files.readAllBytes(root.resolve("usr/share/doc/liblinear-tools/examples/heart_scale"))),
                new String(committed));
    }
}
