package org.hesse.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

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

    /** Reads at most {@code limit} images (all if {@code limit <= 0}). */
    public static Images readImages(Path file, int limit) throws IOException {
        try (DataInputStream in = open(file)) {
            int[] dims = header(in, file, 3);
            int n = limit > 0 ? Math.min(limit, dims[0]) : dims[0];
            int px = Math.multiplyExact(dims[1], dims[2]);
            if ((long) n * px > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("IDX " + file + ": " + n + " images of " + px + " pixels do not fit in one array; pass a limit");
            }
            byte[] raw = new byte[px];
            double[] out = new double[n * px];
            for (int i = 0; i < n; i++) {
                readFully(in, raw, file, "image " + i + " of " + dims[0]);
                for (int j = 0; j < px; j++) {
                    out[i * px + j] = (raw[j] & 0xFF) / 255.0;
                }
            }
            return new Images(n, dims[1], dims[2], out);
        }
    }

    /** Reads at most {@code limit} labels (all if {@code limit <= 0}). */
    public static int[] readLabels(Path file, int limit) throws IOException {
        try (DataInputStream in = open(file)) {
            int[] dims = header(in, file, 1);
            int n = limit > 0 ? Math.min(limit, dims[0]) : dims[0];
            byte[] raw = new byte[n];
            readFully(in, raw, file, n + " labels");
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = raw[i] & 0xFF;
            }
            return out;
        }
    }

    /**
     * A Fashion-MNIST split as a classification data set of {@code rows·cols} features named {@code pixel_r_c} and
     * the ten Fashion-MNIST classes; at most {@code limit} samples (all if {@code limit <= 0}).
     */
    public static Dataset fashionMnist(Path images, Path labels, int limit) throws IOException {
        Images im = readImages(images, limit);
        int[] lab = readLabels(labels, limit);
        if (lab.length != im.count()) {
            throw new IllegalArgumentException("IDX: " + images + " gives " + im.count() + " images but " + labels
                    + " gives " + lab.length + " labels");
        }
        for (int i = 0; i < lab.length; i++) {
            if (lab[i] >= FASHION_CLASSES.size()) {
                throw new IllegalArgumentException("IDX " + labels + ": label " + i + " is " + lab[i]
                        + ", expected 0.." + (FASHION_CLASSES.size() - 1));
            }
        }
        java.util.List<String> names = new java.util.ArrayList<>(im.rows() * im.cols());
        for (int r = 0; r < im.rows(); r++) {
            for (int c = 0; c < im.cols(); c++) {
                names.add("pixel_" + r + "_" + c);
            }
        }
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
        throw new IllegalArgumentException("IDX: neither " + stem + ".gz nor " + stem + " found in " + dir.toAbsolutePath());
    }

    private static DataInputStream open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("IDX file not found: " + file.toAbsolutePath());
        }
        InputStream in = Files.newInputStream(file);
        try {
            return new DataInputStream(Csv.maybeGunzip(in));
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }

    private static int[] header(DataInputStream in, Path file, int rank) throws IOException {
        int magic;
        int[] dims = new int[rank];
        try {
            magic = in.readInt();
            int expected = 0x0800 | rank;
            if (magic != expected) {
                throw new IllegalArgumentException(String.format("IDX %s: magic number 0x%08X, expected 0x%08X "
                        + "(unsigned bytes, %d dimension%s)", file, magic, expected, rank, rank == 1 ? "" : "s"));
            }
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) {
                    throw new IllegalArgumentException("IDX " + file + ": negative size " + dims[i] + " in dimension " + i);
                }
            }
        } catch (EOFException e) {
            throw new IllegalArgumentException("IDX " + file + ": truncated header");
        }
        return dims;
    }

    private static void readFully(DataInputStream in, byte[] b, Path file, String what) throws IOException {
        try {
            in.readFully(b);
        } catch (EOFException e) {
            throw new IllegalArgumentException("IDX " + file + ": truncated while reading " + what);
        }
    }
}
