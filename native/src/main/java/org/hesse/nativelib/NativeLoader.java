package org.hesse.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads a JNI library of ours that the build packaged into the jar as
 * {@code org/hesse/nativelib/<platform>/lib<name>.so}: the resource is copied to a temp file (a library cannot
 * be loaded from inside a jar) and loaded from there. Failures come back as a reason, never an exception:
 * native code is optional and every caller has a Java fallback.
 */
public final class NativeLoader {
  private NativeLoader() {}

  /** The outcome of a load: {@code loaded()} or the reason it failed. */
  public static final class Result {
    private final boolean loaded;
    private final String detail;

    private Result(boolean loaded, String detail) {
      this.loaded = loaded;
      this.detail = detail;
    }

    public boolean loaded() {
      return loaded;
    }

    /** Where it was loaded from, or why it was not. */
    public String detail() {
      return detail;
    }

    @Override
    public String toString() {
      return (loaded ? "loaded from " : "not loaded: ") + detail;
    }
  }

  /** e.g. {@code linux-x86_64}; null on platforms we never build for. */
  public static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) return null;
    if (arch.equals("amd64") || arch.equals("x86_64")) return "linux-x86_64";
    if (arch.equals("aarch64") || arch.equals("arm64")) return "linux-aarch64";
    return "linux-" + arch;
  }

  /** The resource path of library {@code name} for this platform, or null if the platform is unsupported. */
  public static String resourcePath(String name) {
    String p = platform();
    return p == null ? null : "org/hesse/nativelib/" + p + "/lib" + name + ".so";
  }

  /**
   * Loads library {@code name} (e.g. {@code hesse_openblas}). {@code -Dhesse.native.<name>=/abs/path.so} loads
   * that file instead of the packaged one; {@code -Dhesse.native=false} disables all our native code.
   */
  public static Result load(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("name: expected a library name such as hesse_openblas, got '" + name + "'");
    }
    if ("false".equalsIgnoreCase(System.getProperty("hesse.native"))) {
      return new Result(false, "disabled by -Dhesse.native=false");
    }
    String override = System.getProperty("hesse.native." + name);
    if (override != null) return loadFile(Path.of(override));
    String resource = resourcePath(name);
    if (resource == null) {
      return new Result(false, "no native build for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    Path tmp = null;
    try (InputStream in = NativeLoader.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return new Result(false, resource + " is not on the class path (built without gcc or JNI headers?)");
      }
      tmp = Files.createTempFile("lib" + name + "-", ".so");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | SecurityException e) {
      if (tmp != null) tmp.toFile().delete();
      return new Result(false, "cannot extract " + resource + " to the temp directory: " + e);
    }
    // The mapping survives deletion on Linux, so the file need not outlive the load.
    Result r = loadFile(tmp);
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      tmp.toFile().deleteOnExit();
    }
    return r;
  }

  private static Result loadFile(Path file) {
    try {
      System.load(file.toAbsolutePath().toString());
      return new Result(true, file.toString());
    } catch (UnsatisfiedLinkError | SecurityException e) {
      return new Result(false, "System.load(" + file + ") failed: " + e.getMessage());
    }
  }
}
