package org.hesse.io.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.hesse.io.InputException;
import org.hesse.io.onnx.proto.Onnx;

/**
 * The values of an ONNX tensor (an initializer or a Constant) as doubles: float, double, int32 and int64 data, held
 * in raw_data, in the typed fields or in an external-data file next to the model. Every size is checked against the
 * bytes actually present before anything is allocated.
 */
final class OnnxTensors {
  private OnnxTensors() {}

  /** Most elements one tensor may have (one Java array). */
  static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  static final int FLOAT = 1, INT32 = 6, INT64 = 7, DOUBLE = 11;

  /** The shape; a negative dimension or an element count past one Java array is refused. */
  static long[] shape(Onnx.Tensor t, String where) {
    long[] dims = new long[t.getDimsCount()];
    long n = 1;
    for (int i = 0; i < dims.length; i++) {
      dims[i] = t.getDims(i);
      if (dims[i] < 0) throw new InputException(where + ": dimension " + i + " is " + dims[i] + "; expected >= 0");
      if (dims[i] > 0 && n > MAX_ELEMENTS / dims[i]) {
        throw new InputException(where + ": dims " + t.getDimsList() + " exceed " + MAX_ELEMENTS + " elements");
      }
      n *= dims[i];
    }
    return dims;
  }

  static long count(long[] dims) {
    long n = 1;
    for (long d : dims) n *= d;
    return n;
  }

  private static int elementBytes(int type, String where) {
    return switch (type) {
      case FLOAT, INT32 -> 4;
      case DOUBLE, INT64 -> 8;
      default -> throw new InputException(where + ": data type " + type + " is not supported; expected float (1), "
          + "double (11), int32 (6) or int64 (7)");
    };
  }

  /** The values, row-major; {@code dir} resolves external-data locations (the model file's folder). */
  static double[] values(Onnx.Tensor t, Path dir, String where) {
    long[] dims = shape(t, where);
    int n = (int) count(dims);
    int type = t.getDataType();
    int size = elementBytes(type, where);
    if (t.getDataLocation() == Onnx.Tensor.DataLocation.EXTERNAL) return fromBytes(external(t, dir, (long) n * size, where), type, n);
    if (t.hasRawData()) {
      long have = t.getRawData().size();
      if (have != (long) n * size) {
        throw new InputException(where + ": raw_data has " + have + " bytes; expected " + n + " elements of " + size
            + " bytes for dims " + Arrays.toString(dims));
      }
      return fromBytes(t.getRawData().asReadOnlyByteBuffer(), type, n);
    }
    int have = switch (type) {
      case FLOAT -> t.getFloatDataCount();
      case DOUBLE -> t.getDoubleDataCount();
      case INT32 -> t.getInt32DataCount();
      default -> t.getInt64DataCount();
    };
    if (have != n) {
      throw new InputException(where + ": holds " + have + " values; expected " + n + " for dims " + Arrays.toString(dims));
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = switch (type) {
        case FLOAT -> t.getFloatData(i);
        case DOUBLE -> t.getDoubleData(i);
        case INT32 -> t.getInt32Data(i);
        default -> t.getInt64Data(i);
      };
    }
    return out;
  }

  private static double[] fromBytes(ByteBuffer b, int type, int n) {
    b = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = switch (type) {
        case FLOAT -> b.getFloat();
        case DOUBLE -> b.getDouble();
        case INT32 -> b.getInt();
        default -> b.getLong();
      };
    }
    return out;
  }

  /**
   * External data: "location" (a relative path inside the model's folder), optional "offset" and "length" (bytes);
   * the file must hold exactly the tensor's bytes there.
   */
  private static ByteBuffer external(Onnx.Tensor t, Path dir, long bytes, String where) {
    String location = null;
    long offset = 0, length = -1;
    for (Onnx.StringStringEntry e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = parseLong(e.getValue(), "offset", where);
        case "length" -> length = parseLong(e.getValue(), "length", where);
        default -> { } // checksum etc.: not needed to read
      }
    }
    if (location == null || location.isEmpty()) throw new InputException(where + ": external data without a 'location'");
    if (dir == null) throw new InputException(where + ": external data '" + InputException.excerpt(location) + "' but no model folder to read it from");
    Path base = dir.toAbsolutePath().normalize();
    Path file;
    try {
      file = base.resolve(location).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new InputException(where + ": external data location '" + InputException.excerpt(location) + "' is not a path", e);
    }
    if (!file.startsWith(base) || Path.of(location).isAbsolute()) {
      throw new InputException(where + ": external data location '" + InputException.excerpt(location)
          + "' leaves the model's folder; expected a relative path inside " + base);
    }
    if (length >= 0 && length != bytes) {
      throw new InputException(where + ": external data length " + length + "; expected " + bytes + " bytes for its dims");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (offset > size || size - offset < bytes) {
        throw new InputException(where + ": external data file " + file + " has " + size + " bytes; expected " + bytes
            + " at offset " + offset);
      }
      ByteBuffer b = ByteBuffer.allocate((int) bytes);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) throw new InputException(where + ": external data file " + file + " ended early");
      }
      return b.flip();
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException(where + ": external data file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new InputException(where + ": cannot read external data file " + file + ": " + e.getMessage(), e);
    }
  }

  private static long parseLong(String v, String key, String where) {
    try {
      long x = Long.parseLong(v.trim());
      if (x < 0) throw new NumberFormatException();
      return x;
    } catch (NumberFormatException e) {
      throw new InputException(where + ": external data " + key + " '" + InputException.excerpt(v) + "'; expected a byte count >= 0");
    }
  }
}
