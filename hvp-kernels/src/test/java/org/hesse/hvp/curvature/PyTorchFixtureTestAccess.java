package org.hesse.hvp.curvature;

import java.io.IOException;
import java.nio.file.Path;

/** The fixture CSV reader of {@link PyTorchFixtureTest} for tests in other packages. */
public final class PyTorchFixtureTestAccess {
  private PyTorchFixtureTestAccess() {}

  public static double[][] readCsv(Path file, int features) throws IOException {
    return PyTorchFixtureTest.readCsv(file, features);
  }
}
