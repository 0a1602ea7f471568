package org.hesse.cli.suite;

import java.io.IOException;
import java.nio.file.Path;

public final class SuiteAnalysis {
  private SuiteAnalysis() {}

  public record Result(String summary) {}

  public static Result run(Path dir) throws IOException {
    return new Result("analysis: TODO");
  }
}
