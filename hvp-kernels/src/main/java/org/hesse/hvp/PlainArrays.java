package org.hesse.hvp;

import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerBlock;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Network;

/**
 * The stable, framework-neutral entry point: another JVM framework describes its network with a model JSON
 * string (the same format as {@code model.json}: {@code {"input": 4, "loss": "cross_entropy", "layers": [...]}}),
 * passes its parameters as one flat array in PyTorch state-dict order (per layer weights row-major
 * {@code out × in}, then bias), features row-major {@code N × input} and targets (class indices as doubles for
 * cross_entropy, {@code N × outputs} for mse), and gets products, factors and operators back; no Hesse network
 * types cross this boundary. Layers are named by their index in the layer list. Values are for the mean loss.
 */
public final class PlainArrays {
  private PlainArrays() {}

  /** Curvature of the described network at theta on (x, y), in batches of batchSize rows. */
  public static Curvature curvature(String modelJson, double[] theta, double[] x, double[] y, int batchSize) {
    Network net = ModelFiles.network(ModelSpec.parse(modelJson));
    return Curvature.of(net, theta, x, y, batchSize);
  }

  /** The Hessian (ggn = false) or Gauss-Newton (ggn = true) block of one layer, weights then bias. */
  public static LinearOperator block(String modelJson, double[] theta, double[] x, double[] y, int layer, boolean ggn) {
    return curvature(modelJson, theta, x, y, x.length).block(ggn ? Curvature.Kind.GGN : Curvature.Kind.HESSIAN, layer);
  }

  /** One block product {@code y = H_ll v} (or G_ll). */
  public static double[] blockProduct(String modelJson, double[] theta, double[] x, double[] y, int layer, boolean ggn,
                                      double[] v) {
    LinearOperator op = block(modelJson, theta, x, y, layer, ggn);
    double[] out = new double[op.dim()];
    op.apply(v, out);
    return out;
  }

  /**
   * A dense layer's Kronecker factors: {@code [0]} its inputs x_n (N × in) and {@code [1]} the back-propagated
   * output Hessians M_n (N × out × out, with the 1/N weight), so that the block is {@code Σ_n M_n ⊗ x̃_n x̃_nᵀ}.
   */
  public static double[][] denseLayerFactors(String modelJson, double[] theta, double[] x, double[] y, int layer, boolean ggn) {
    Curvature c = curvature(modelJson, theta, x, y, x.length);
    DenseLayerBlock b = DenseLayerBlock.of(c, ggn ? Curvature.Kind.GGN : Curvature.Kind.HESSIAN, layer);
    double[] inputs = new double[c.samples() * c.network().layer(layer).inputSize()];
    c.layerInput(layer, 0, inputs);
    return new double[][] {inputs, b.outputHessians()};
  }

  /** The back-matching weight-side matrix {@code (1/N) Σ J_θᵀ J_θ} of a layer as an operator. */
  public static LinearOperator backMatchingWeightSide(String modelJson, double[] theta, double[] x, double[] y, int layer) {
    return new BackMatching(curvature(modelJson, theta, x, y, x.length)).weightSide(layer);
  }
}
