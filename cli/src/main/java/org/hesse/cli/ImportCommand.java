package org.hesse.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hesse.io.onnx.OnnxImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hesse import net.onnx --loss L --out DIR}: the ONNX model as model.json + model.safetensors, for inspection. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = "Translate an ONNX model (torch.onnx.export, opset 13+) to DIR/model.json (a graph description) and "
        + "DIR/model.safetensors (state-dict names); nothing is written if any check fails.")
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX file (external data next to it).")
  Path model;

  @Option(names = "--out", required = true, description = "Directory for model.json and model.safetensors.")
  Path out;

  @Option(names = "--loss", required = true, description = "cross_entropy or mse (ONNX holds no loss).")
  String loss;

  @Override
  public Integer call() throws Exception {
    OnnxImport.Imported imported = OnnxImport.read(model, loss);
    imported.write(out);
    for (String note : imported.notes()) spec.commandLine().getErr().println(note);
    spec.commandLine().getErr().println("hesse: wrote " + out.resolve("model.json") + " and " + out.resolve("model.safetensors"));
    spec.commandLine().getErr().flush();
    return 0;
  }
}
