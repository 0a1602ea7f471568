package org.hesse.nn;

import java.util.List;

/**
 * One layer type's definition and first-order rules (one file per type; the network only composes).
 * Batches are row-major {@code batch × width} arrays. Layers hold no per-batch state: the network keeps every
 * layer's input and output, which is all a layer's backward and second-order rules need.
 * Parameters live in the network's flat vector from {@code off}, in the order of {@link #paramTensors()}
 * (weights before bias, as PyTorch's state dict).
 */
public interface Layer {
  /** The model-description type: "dense", "tanh", ... */
  String type();

  int inputSize();

  int outputSize();

  /** Tensors this layer owns, with local names ("weight", "bias") and shapes; empty for parameter-free layers. */
  List<ParamTensor> paramTensors();

  default int paramCount() {
    int n = 0;
    for (ParamTensor t : paramTensors()) n += t.size();
    return n;
  }

  /** z = F(x; θ) for {@code batch} rows. */
  void forward(double[] theta, int off, double[] x, double[] z, int batch);

  /**
   * VJP: {@code gIn = J_xᵀ gOut} (skipped when gIn is null) and {@code gTheta[off..] += J_θᵀ gOut}.
   * x and z are this layer's input and output from the forward pass.
   */
  void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch);
}
