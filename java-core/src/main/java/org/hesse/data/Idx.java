package org.hesse.data;

import org.hesse.nn.Sizes;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.hesse.io.InputException;
import org.hesse.io.Inputs;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (gzipped or not): a big-endian magic number {@code 0x0000TTRR}
 * (TT = 0x08 unsigned bytes, RR = number of dimensions), RR big-endian 32-bit sizes, then the values.
 * Images ({@code idx3-ubyte}) become pixels / 255 in [0, 1], one row of {@code rows·cols} per image; labels
 * ({@code idx1-ubyte}) become class indices.
 */
public final class Idx {

    /** Fashion-MNIST class names, index = label. */
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private Idx() {
    }

    /** Images as read: {@code count × rows × cols}, pixels scaled to [0, 1]. */
    public record Images(int count, int rows, int cols, double[] pixels) {
    }

    /**
     * Reads at most {@code limit} images (all if {@code limit <= 0}). The sizes the header claims are checked
     * (overflow-safe, against one array and the memory budget) before anything is allocated, and the pixels are
     * read as they come, so a header claiming more images than the file holds is refused as truncated.
     */
    public static Images readImages(Path file, int limit) throws IOException {
        return read(file, in -> readImages(in, file.toString(), limit));
    }

    /** {@link #readImages(Path, int)} from a stream (not closed), {@code source} naming it. */
    public static Images readImages(InputStream in, String source, int limit) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int[] dims = header(d, source, 3);
        int n = limit > 0 ? Math.min(limit, dims[0]) : dims[0];
        long px = (long) dims[1] * dims[2];
        String what = n + " images of " + dims[1] + " × " + dims[2] + " pixels";
        Inputs.checkDoubles("IDX " + source, px * n, what); // both < 2^31: no long overflow
        byte[] raw = readUpTo(d, (int) (px * n), source, what);
        double[] out = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = (raw[i] & 0xFF) / 255.0;
        }
        return new Images(n, dims[1], dims[2], out);
    }

    /** Reads at most {@code limit} labels (all if {@code limit <= 0}); sizes checked as for the images. */
    public static int[] readLabels(Path file, int limit) throws IOException {
        return read(file, in -> readLabels(in, file.toString(), limit));
    }

    /** {@link #readLabels(Path, int)} from a stream (not closed), {@code source} naming it. */
    public static int[] readLabels(InputStream in, String source, int limit) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int[] dims = header(d, source, 1);
        int n = limit > 0 ? Math.min(limit, dims[0]) : dims[0];
        if (n > Sizes.MAX_ARRAY) {
            throw new InputException("IDX " + source + ": " + n + " labels, more than one Java array holds");
        }
        Inputs.checkBudget("IDX " + source, (long) n * (Integer.BYTES + 1), n + " labels");
        byte[] raw = readUpTo(d, n, source, n + " labels");
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = raw[i] & 0xFF;
        }
        return out;
    }

    private interface Reading<T> {
        T from(InputStream in) throws IOException;
    }

    /** Opens {@code file} (gunzipping it when its magic says so); broken gzip data is refused naming the file. */
    private static <T> T read(Path file, Reading<T> reading) throws IOException {
        Objects.requireNonNull(file, "file");
        org.hesse.io.Inputs.requireFile(file, "IDX");
        try (InputStream raw = Files.newInputStream(file)) {
            return reading.from(Csv.maybeGunzip(raw));
        } catch (IOException e) {
            if (!Inputs.isDataError(e)) throw e;
            throw Inputs.unreadable("IDX " + file, e);
        }
    }

    /**
     * Exactly {@code count} bytes, read in pieces (InputStream.readNBytes grows its buffer as data arrive), so that
     * a header claiming more than the file holds costs no more memory than the file.
     */
    private static byte[] readUpTo(DataInputStream in, int count, String source, String what) throws IOException {
        byte[] b = in.readNBytes(count);
        if (b.length < count) {
            throw new InputException("IDX " + source + ": truncated: the header announces " + what + " (" + count
                    + " bytes) but only " + b.length + " bytes follow");
        }
        return b;
    }

    /**
     * A Fashion-MNIST split as a classification data set of {@code rows·cols} features named {@code pixel_r_c} and
     * the ten Fashion-MNIST classes; at most {@code limit} samples (all if {@code limit <= 0}).
     */
    public static Dataset fashionMnist(Path images, Path labels, int limit) throws IOException {
        Images im = readImages(images, limit);
        if (im.rows() == 0 || im.cols() == 0) {
            throw new InputException("IDX " + images + ": images of " + im.rows() + " × " + im.cols()
                    + " pixels; expected at least one pixel");
        }
        int[] lab = readLabels(labels, limit);
        if (lab.length != im.count()) {
            throw new InputException("IDX " + images + ": " + im.count() + " images but " + labels
                    + " has " + lab.length + " labels; expected one label per image");
        }
        for (int i = 0; i < lab.length; i++) {
            if (lab[i] >= FASHION_CLASSES.size()) {
                throw new InputException("IDX " + labels + ": label " + i + " is " + lab[i]
                        + ", expected 0.." + (FASHION_CLASSES.size() - 1));
            }
        }
        int cols = im.cols();
        List<String> names = new java.util.AbstractList<>() { // computed on access, no string per pixel
            @Override
            public String get(int i) {
                Objects.checkIndex(i, size());
                return "pixel_" + i / cols + "_" + i % cols;
            }

            @Override
            public int size() {
                return im.rows() * cols;
            }
        };
        return Dataset.classification(im.pixels(), im.count(), im.rows() * im.cols(), lab, FASHION_CLASSES.size(),
                names, "label", FASHION_CLASSES);
    }

    /**
     * Fashion-MNIST from a directory holding {@code <split>-images-idx3-ubyte[.gz]} and
     * {@code <split>-labels-idx1-ubyte[.gz]}, {@code split} = "train" or "t10k" (Debian's dataset-fashion-mnist
     * installs them in /usr/share/datasets/fashion-mnist).
     */
    public static Dataset fashionMnist(Path dir, String split, int limit) throws IOException {
        Objects.requireNonNull(split, "split");
        if (!split.equals("train") && !split.equals("t10k")) {
            throw new IllegalArgumentException("split: expected 'train' or 't10k', found '" + split + "'");
        }
        return fashionMnist(find(dir, split + "-images-idx3-ubyte"), find(dir, split + "-labels-idx1-ubyte"), limit);
    }

    private static Path find(Path dir, String stem) {
        for (String name : new String[]{stem + ".gz", stem}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new InputException("IDX: neither " + stem + ".gz nor " + stem + " found in " + dir.toAbsolutePath());
    }

    private static int[] header(DataInputStream in, String file, int rank) throws IOException {
        int magic;
        int[] dims = new int[rank];
        try {
            magic = in.readInt();
            int expected = 0x0800 | rank;
            if (magic != expected) {
                throw new InputException(String.format("IDX %s: magic number 0x%08X, expected 0x%08X "
                        + "(unsigned bytes, %d dimension%s)", file, magic, expected, rank, rank == 1 ? "" : "s"));
            }
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) {
                    throw new InputException("IDX " + file + ": size " + Integer.toUnsignedString(dims[i]) + " in dimension "
                            + i + " of the header; expected at most " + Integer.MAX_VALUE);
                }
            }
        } catch (EOFException e) {
            throw new InputException("IDX " + file + ": truncated header; expected the magic number and "
                    + rank + " size" + (rank == 1 ? "" : "s") + " (" + (4 + 4 * rank) + " bytes)");
        }
        return dims;
    }
}
