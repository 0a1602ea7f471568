package org.hesse.data.catalog;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Debian packages extracted into a cache directory at first use: {@code apt-get download PKG} (no installation, no
 * root needed), then the package's {@code data.tar.xz} (or {@code .gz}) is unpacked in Java into a temporary
 * directory and renamed to {@code CACHE/PKG} in one step, so a reader never sees half a package, and two processes
 * extracting at once keep one copy. Only the GPL-packaged data sets of the study come from here; they are never
 * committed. {@code CACHE} is the system property {@value #PROPERTY}, else {@code ~/.cache/hesse/debian}.
 *
 * <p>A copy extracted by hand works as well: {@code dpkg-deb -x PKG_*.deb CACHE/PKG}.
 */
public final class DebianCache {

    /** The system property naming the cache directory. */
    public static final String PROPERTY = "hesse.cache.dir";

    /** A package that cannot be had (no apt-get, no mirror, unknown package); the message says what to do. */
    public static final class Unavailable extends IOException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();
    /** Packages that could not be had in this JVM: asked again, they fail at once (no second apt-get timeout). */
    private static final Map<String, String> UNAVAILABLE = new ConcurrentHashMap<>();
    private static final long DOWNLOAD_TIMEOUT_MINUTES = 10;

    private DebianCache() {
    }

    /** The cache directory ({@value #PROPERTY} or {@code ~/.cache/hesse/debian}). */
    public static Path dir() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "hesse", "debian");
    }

    /**
     * The file {@code pathInPackage} (absolute inside the package, e.g. {@code /usr/lib/R/site-library/mlbench/data/Glass.rda})
     * of package {@code pkg}, extracting the package first if the cache lacks it.
     */
    public static Path file(String pkg, String pathInPackage) throws IOException {
        Path root = extracted(pkg);
        Path f = root.resolve(pathInPackage.replaceFirst("^/+", ""));
        if (!Files.isRegularFile(f)) {
            throw new IOException("Debian package " + pkg + " in " + root + " has no file " + pathInPackage
                    + " (another package version?); delete " + root + " to extract it again");
        }
        return f;
    }

    /** The directory holding package {@code pkg}'s files, extracted at first use. */
    public static Path extracted(String pkg) throws IOException {
        if (!pkg.matches("[a-z0-9][a-z0-9+.-]+")) {
            throw new IllegalArgumentException("pkg: expected a Debian package name, found '" + pkg + "'");
        }
        Path root = dir().resolve(pkg);
        synchronized (LOCKS.computeIfAbsent(pkg, k -> new Object())) {
            if (Files.isDirectory(root)) {
                return root;
            }
            String failed = UNAVAILABLE.get(dir() + "/" + pkg);
            if (failed != null) {
                throw new Unavailable(failed);
            }
            Files.createDirectories(dir());
            Path tmp = Files.createTempDirectory(dir(), "." + pkg + "-");
            try {
                Path deb;
                try {
                    deb = download(pkg, tmp);
                } catch (Unavailable e) {
                    UNAVAILABLE.put(dir() + "/" + pkg, e.getMessage());
                    throw e;
                }
                Path unpacked = tmp.resolve("root");
                extract(deb, unpacked);
                try {
                    Files.move(unpacked, root, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                    if (!Files.isDirectory(root)) {
                        throw e;
                    } // another process was first: keep its copy
                } catch (IOException e) {
                    if (!Files.isDirectory(root)) {
                        throw e;
                    }
                }
            } finally {
                deleteTree(tmp);
            }
            return root;
        }
    }

    private static Path download(String pkg, Path into) throws IOException {
        String command = "apt-get download " + pkg;
        String what = "Debian package " + pkg + " cannot be had: `" + command + "` ";
        String todo = "; to fix, run it where a Debian mirror is reachable and extract with `dpkg-deb -x "
                + pkg + "_*.deb " + dir().resolve(pkg) + "`, or set -D" + PROPERTY + " to a directory holding "
                + pkg + "/ extracted so";
        Process p;
        try {
            p = new ProcessBuilder("apt-get", "download", pkg).directory(into.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new Unavailable(what + "could not start (" + e.getMessage() + ")" + todo);
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(DOWNLOAD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new Unavailable(what + "took over " + DOWNLOAD_TIMEOUT_MINUTES + " minutes" + todo);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(command + " interrupted");
        }
        try (DirectoryStream<Path> debs = Files.newDirectoryStream(into, pkg + "_*.deb")) {
            for (Path d : debs) {
                if (p.exitValue() == 0) {
                    return d;
                }
            }
        }
        throw new Unavailable(what + "failed (exit " + p.exitValue() + ": " + lastError(out) + ")" + todo);
    }

    /** The most telling line of apt-get's output: its last error, else its last line. */
    private static String lastError(byte[] out) {
        String[] lines = new String(out, StandardCharsets.UTF_8).strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("E:")) {
                return lines[i].strip();
            }
        }
        return lines.length == 0 ? "no output" : lines[lines.length - 1].strip();
    }

    /** Unpacks the data archive of {@code deb} (an ar archive holding data.tar.xz or data.tar.gz) into {@code dest}. */
    static void extract(Path deb, Path dest) throws IOException {
        Files.createDirectories(dest);
        try (ArArchiveInputStream ar = new ArArchiveInputStream(new BufferedInputStream(Files.newInputStream(deb)))) {
            ArArchiveEntry e;
            while ((e = ar.getNextEntry()) != null) {
                String name = e.getName();
                if (!name.startsWith("data.tar")) {
                    continue;
                }
                InputStream data;
                if (name.equals("data.tar.xz")) {
                    data = new XZInputStream(ar);
                } else if (name.equals("data.tar.gz")) {
                    data = new GZIPInputStream(ar);
                } else if (name.equals("data.tar")) {
                    data = ar;
                } else {
                    throw new IOException(deb + ": data archive " + name + " not supported; expected data.tar.xz or data.tar.gz");
                }
                untar(data, dest, deb);
                return;
            }
        }
        throw new IOException(deb + ": no data.tar.* member; expected a Debian binary package");
    }

    private static void untar(InputStream data, Path dest, Path deb) throws IOException {
        Path base = dest.toAbsolutePath().normalize();
        TarArchiveInputStream tar = new TarArchiveInputStream(data);
        TarArchiveEntry t;
        while ((t = tar.getNextEntry()) != null) {
            Path to = base.resolve(t.getName()).normalize();
            if (!to.startsWith(base)) {
                throw new IOException(deb + ": entry " + t.getName() + " points outside the package");
            }
            if (t.isDirectory()) {
                Files.createDirectories(to);
            } else if (t.isFile()) {
                Files.createDirectories(to.getParent());
                Files.copy(tar, to, StandardCopyOption.REPLACE_EXISTING);
            } // links and devices: the data files needed are regular files
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
