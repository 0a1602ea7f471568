package org.hesse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.hesse.runtime.RuntimeInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hesse info}: which back end runs each part (BLAS, LAPACK, ARPACK, OpenBLAS kernels, SIMD), and the resources. */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description = "Show the back ends in use (BLAS, LAPACK, ARPACK, OpenBLAS kernels and threads, SIMD kernels), "
        + "the JDK, cores, heap, memory budget and thread policy.")
final class InfoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    RuntimeInfo info = RuntimeInfo.collect();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info.toMap()));
    } else {
      info.lines().forEach(out::println);
    }
    out.flush();
    return 0;
  }
}
