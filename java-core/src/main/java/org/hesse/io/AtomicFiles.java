package org.hesse.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/**
 * Writes files so that a reader never sees a half-written one: the content goes to a temporary file in the
 * target's own directory (same file system, so the rename is atomic), is forced to disk, then moved over the
 * target with {@code ATOMIC_MOVE}. If the file system cannot move atomically the move falls back to
 * {@code REPLACE_EXISTING}. On any failure the temporary file is deleted and the target is left untouched.
 */
public final class AtomicFiles {

    /** A callback that writes the file's content; the stream is buffered and closed by {@link #write}. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes {@code text} as UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        Objects.requireNonNull(text, "text");
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        Objects.requireNonNull(bytes, "bytes");
        write(target, out -> out.write(bytes));
    }

    /** Creates missing parent directories, lets {@code writer} fill a temporary file, then renames it to {@code target}. */
    public static void write(Path target, Writer writer) throws IOException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(writer, "writer");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException("cannot write " + abs + ": a directory, expected a file path");
        }
        Path tmp;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            // name the file the caller asked for, not the temporary one, and say why
            throw new IOException("cannot write " + abs + ": " + reason(e), e);
        }
        boolean moved = false;
        try {
            try (var channel = Files.newOutputStream(tmp);
                 OutputStream out = new BufferedOutputStream(channel, 1 << 16)) {
                writer.writeTo(out);
            }
            try (var fc = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                fc.force(true);
            }
            relaxPermissions(tmp, abs);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Why a file-system call failed, in words (the JDK's message is often the bare path). */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file or directory";
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "already exists (a file where a directory is needed?)";
        if (e instanceof java.nio.file.NotDirectoryException) return "not a directory";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    // createTempFile makes the file owner-only (0600); an ordinary output file should keep the target's
    // permissions if it exists, else be world-readable like one made by Files.write.
    private static void relaxPermissions(Path tmp, Path target) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        if (Files.exists(target)) {
            view.setPermissions(Files.getPosixFilePermissions(target));
        } else {
            view.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
        }
    }
}
