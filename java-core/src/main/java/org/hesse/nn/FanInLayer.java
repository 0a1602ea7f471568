package org.hesse.nn;

/**
 * A layer that reads several activations (add, concat, mul, matmul): only the many-input forward and backward
 * exist, so the single-input ones refuse, in one place for every such op.
 */
public interface FanInLayer extends Layer {
  @Override
  default void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    throw new UnsupportedOperationException(type() + " has " + inputCount() + " inputs");
  }

  @Override
  default void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                        int batch, LayerContext ctx) {
    throw new UnsupportedOperationException(type() + " has " + inputCount() + " inputs");
  }
}
