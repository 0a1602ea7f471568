package org.hesse.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.hesse.io.ModelFiles;
import org.hesse.io.onnx.OnnxImport;
import org.hesse.nn.Network;

/**
 * A model given on the command line: model.json + safetensors weights, or an ONNX file (weights inside it, loss from
 * {@code --loss}). The one place the CLI tells the two apart.
 */
final class ModelInput {
  private ModelInput() {}

  /**
   * A network with its parameters and buffers, the import's notes for stderr (ONNX), and the dtypes the weights file
   * stores the parameters in (null for ONNX).
   */
  record Loaded(Network net, double[] theta, double[] buffers, java.util.List<String> notes,
                java.util.Set<String> weightDtypes) {}

  static boolean isOnnx(Path model) {
    return model != null && model.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
  }

  /**
   * Reads {@code model} (and {@code weights} for a model.json); {@code option} names the model's option in errors.
   * An ONNX file needs {@code loss} (ONNX holds none) and no weights file; a model.json takes its loss from itself.
   */
  static Loaded load(Path model, Path weights, String loss, String option) throws IOException {
    if (isOnnx(model)) {
      if (loss == null) throw new IllegalArgumentException(option + " " + model + " is ONNX: give --loss cross_entropy|mse (ONNX holds no loss)");
      if (weights != null) throw new IllegalArgumentException("--weights: an ONNX model holds its weights; give --model FILE.onnx alone");
      OnnxImport.Imported imported = OnnxImport.read(model, loss);
      Network net = CliData.network(imported::network, option, model);
      return new Loaded(net, imported.parameters(net), imported.buffers(net), imported.notes(), null);
    }
    if (loss != null) throw new IllegalArgumentException("--loss: only with an ONNX model; " + model + " names its loss itself");
    if (weights == null) throw new IllegalArgumentException("no weights: give --weights FILE with " + option + " " + model);
    Network net = CliData.network(() -> ModelFiles.readNetwork(model), option, model);
    ModelFiles.Weights w = ModelFiles.readWeights(net, weights);
    return new Loaded(net, w.parameters(), w.buffers(), java.util.List.of(), w.parameterDtypes());
  }
}
