package org.hesse.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Dense;
import org.hesse.nn.Layer;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;

/**
 * The bridge between the interchange formats and {@link Network}: a model description builds a network,
 * a safetensors file fills its flat parameter vector (every tensor named and shaped as a PyTorch
 * {@code nn.Sequential}'s state dict), and both are written back the same way.
 */
public final class ModelFiles {
  private ModelFiles() {}

  /** Builds the network a description describes; the error names the layer index and type. */
  public static Network network(ModelSpec spec) {
    Network.Builder b = Network.builder(spec.input());
    for (int k = 0; k < spec.layers().size(); k++) {
      LayerSpec l = spec.layers().get(k);
      try {
        if ("dense".equals(l.type())) {
          if (l.out() == null) throw new IllegalArgumentException("'out' is required");
          b.dense(l.out());
        } else {
          b.activation(Activation.byName(l.type()));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("layer " + k + " (" + l.type() + "): " + e.getMessage(), e);
      }
    }
    return b.build(spec.loss());
  }

  /** The description of a network (inverse of {@link #network}). */
  public static ModelSpec spec(Network net) {
    List<LayerSpec> layers = new ArrayList<>();
    for (Layer l : net.layers()) {
      if (l instanceof Dense) layers.add(LayerSpec.dense(l.outputSize()));
      else if (l instanceof ActivationLayer) layers.add(LayerSpec.of(l.type()));
      else throw new IllegalArgumentException("layer type '" + l.type() + "' has no model description");
    }
    return new ModelSpec(net.inputSize(), net.loss().name(), layers);
  }

  /**
   * The flat parameter vector from named tensors: every tensor of the network must be present with its shape
   * (extra tensors, e.g. a BN layer's num_batches_tracked, are ignored).
   */
  public static double[] parameters(Network net, Map<String, Tensor> tensors) {
    double[] theta = new double[net.paramCount()];
    for (Network.NamedTensor t : net.tensors().values()) {
      long[] shape = new long[t.shape.length];
      for (int i = 0; i < shape.length; i++) shape[i] = t.shape[i];
      Tensor found = Safetensors.requireShape(tensors, t.name, shape);
      System.arraycopy(found.data(), 0, theta, t.offset, t.size());
    }
    return theta;
  }

  public static double[] readParameters(Network net, Path file) throws IOException {
    return parameters(net, Safetensors.read(file));
  }

  /** Named F64 tensors of a flat parameter vector, in state-dict order. */
  public static Map<String, Tensor> tensors(Network net, double[] theta) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Network.NamedTensor t : net.tensors().values()) {
      long[] shape = new long[t.shape.length];
      for (int i = 0; i < shape.length; i++) shape[i] = t.shape[i];
      double[] data = new double[t.size()];
      System.arraycopy(theta, t.offset, data, 0, data.length);
      out.put(t.name, Tensor.f64(t.name, shape, data));
    }
    return out;
  }

  /** Writes the weights as F64 safetensors (atomically). */
  public static void writeParameters(Network net, double[] theta, Path file) throws IOException {
    Safetensors.write(file, tensors(net, theta).values());
  }
}
