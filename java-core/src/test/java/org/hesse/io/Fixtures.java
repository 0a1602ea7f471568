package org.hesse.io;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The PyTorch-made cases, in the repository at java-core/src/test/resources/pytorch-fixtures (README.md there
 * says what they hold and where they came from), read from the test class path so that the hvp-kernels tests
 * find them through java-core's test jar too. A missing fixture fails the test: it is an input, not an option.
 */
public final class Fixtures {
    /** The class-path folder of the cases. */
    public static final String RESOURCE = "/pytorch-fixtures";

    private static Path root;

    private Fixtures() {
    }

    /** The folder holding every case (a directory; copied out of the jar when the test jar is a file). */
    public static synchronized Path root() {
        if (root == null) root = locate();
        return root;
    }

    /** The fixture folder {@code name}, e.g. {@code pytorch-mlp-tanh-ce}; fails the test if it is missing. */
    public static Path dir(String name) {
        Path d = root().resolve(name);
        if (!Files.isDirectory(d)) fail("fixture " + name + " is missing from " + root() + " (java-core/src/test/resources" + RESOURCE + ")");
        return d;
    }

    /** Every case folder, sorted by name; fails the test if there are none. */
    public static List<Path> cases() {
        try (Stream<Path> s = Files.list(root())) {
            List<Path> dirs = s.filter(Files::isDirectory).sorted().collect(Collectors.toList());
            if (dirs.isEmpty()) fail("no fixture cases in " + root());
            return dirs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path locate() {
        URL url = Fixtures.class.getResource(RESOURCE + "/README.md");
        if (url == null) {
            fail(RESOURCE + " is not on the test class path (expected java-core/src/test/resources" + RESOURCE + ")");
        }
        try {
            URI uri = url.toURI();
            if ("file".equals(uri.getScheme())) return Path.of(uri).getParent();
            FileSystem fs;
            try {
                fs = FileSystems.newFileSystem(uri, Map.of());
            } catch (FileSystemAlreadyExistsException e) {
                fs = FileSystems.getFileSystem(uri);
            }
            Path src = fs.getPath(RESOURCE);
            Path out = Files.createTempDirectory("hesse-fixtures");
            try (Stream<Path> walk = Files.walk(src)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Path dst = out.resolve(src.relativize(p).toString());
                    if (Files.isDirectory(p)) Files.createDirectories(dst);
                    else Files.copy(p, dst);
                }
            }
            return out;
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot read the fixtures at " + url + ": " + e, e);
        }
    }
}
