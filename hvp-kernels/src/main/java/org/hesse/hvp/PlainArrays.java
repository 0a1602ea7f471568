package org.hesse.hvp;

import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerBlock;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
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
 *
 * <p>{@link #open} runs the forward pass once and returns a {@link Handle} whose every call reuses it; the static
 * one-shot methods below each open a handle of their own (one forward pass per call) and are kept for single
 * queries.
 */
public final class PlainArrays {
  private PlainArrays() {}

  /**
   * The curvature of one data set at the current parameters: built once by {@link PlainArrays#open}, every block,
   * product, factor and spectrum reuses its forward pass; {@link #update} moves it to new parameters (one forward
   * pass). Like {@link Curvature}, for one thread at a time.
   */
  public static final class Handle {
    private final Curvature curvature;

    private Handle(Curvature curvature) {
      this.curvature = curvature;
    }

    /**
     * Moves the handle to new parameters on the same data (recomputes the forward pass in place); operators handed
     * out before act at the new parameters afterwards.
     *
     * @param theta the new parameters, state-dict order
     * @throws IllegalArgumentException when theta has the wrong length
     */
    public void update(double[] theta) {
      curvature.update(theta);
    }

    /**
     * The mean loss at the current parameters.
     *
     * @return the loss
     */
    public double loss() {
      return curvature.loss();
    }

    /**
     * The gradient of the mean loss (computed on the first call per parameters).
     *
     * @return a fresh array, state-dict order
     */
    public double[] gradient() {
      return curvature.gradient();
    }

    /**
     * The Hessian (ggn = false) or Gauss-Newton (ggn = true) block of one layer, weights then bias.
     *
     * @param layer index of a layer with parameters
     * @param ggn   Gauss-Newton instead of the Hessian
     * @return the symmetric block as an operator of the layer's parameter count
     * @throws IllegalArgumentException when the layer has no parameters
     */
    public LinearOperator block(int layer, boolean ggn) {
      return curvature.block(kind(ggn), layer);
    }

    /**
     * One block product {@code H_ll v} (or {@code G_ll v}).
     *
     * @param layer index of a layer with parameters
     * @param ggn   Gauss-Newton instead of the Hessian
     * @param v     direction on the layer's parameters
     * @return the product, a fresh array
     */
    public double[] blockProduct(int layer, boolean ggn, double[] v) {
      LinearOperator op = block(layer, ggn);
      double[] out = new double[op.dim()];
      op.apply(v, out);
      return out;
    }

    /**
     * A dense layer's Kronecker factors: {@code [0]} its inputs x_n (N × in) and {@code [1]} the back-propagated
     * output Hessians M_n (N × out × out, with the 1/N weight), so that the block is {@code Σ_n M_n ⊗ x̃_n x̃_nᵀ}.
     *
     * @param layer index of a dense layer
     * @param ggn   Gauss-Newton instead of the Hessian
     * @return the two factors, fresh arrays
     * @throws IllegalArgumentException when the layer is not dense or the samples are coupled (batch norm outside
     *                                  eval mode)
     */
    public double[][] denseLayerFactors(int layer, boolean ggn) {
      DenseLayerBlock b = DenseLayerBlock.of(curvature, kind(ggn), layer);
      int width = curvature.network().layer(layer).inputSize();
      double[] inputs = new double[curvature.samples() * width];
      double[] batch = new double[curvature.batchSize() * width];
      int row = 0;
      for (int k = 0; k < curvature.batches(); k++) {
        int rows = curvature.layerInput(layer, k, batch);
        System.arraycopy(batch, 0, inputs, row * width, rows * width);
        row += rows;
      }
      return new double[][] {inputs, b.outputHessians()};
    }

    /**
     * The back-matching weight-side matrix {@code (1/N) Σ J_θᵀ J_θ} of a layer as an operator.
     *
     * @param layer index of a layer with parameters
     * @return the symmetric operator of the layer's parameter count
     */
    public LinearOperator backMatchingWeightSide(int layer) {
      return new BackMatching(curvature).weightSide(layer);
    }

    /**
     * The spectra of one layer's block (top/bottom eigenvalues, trace, density, metrics), as {@code hesse spectrum}
     * computes them.
     *
     * @param layer   index of a layer with parameters
     * @param options which curvature and which quantities ({@link SpectraOptions#defaults()}: as the CLI)
     * @return the layer's spectra with their sources
     */
    public LayerSpectra spectrum(int layer, SpectraOptions options) {
      return new LayerSpectraEngine(CurvatureSource.of(curvature), options).layer(layer);
    }

    private static Curvature.Kind kind(boolean ggn) {
      return ggn ? Curvature.Kind.GGN : Curvature.Kind.HESSIAN;
    }
  }

  /**
   * Runs the forward pass of the described network at theta on (x, y) once, for every later query.
   *
   * @param modelJson the model description (model.json format)
   * @param theta     parameters, state-dict order
   * @param x         features, row-major N × input
   * @param y         targets (class indices, or N × outputs)
   * @param batchSize rows per batch (contiguous, the last one partial; matters only with batch norm)
   * @return the handle
   * @throws IllegalArgumentException when the description, the sizes or the batch size are wrong
   */
  public static Handle open(String modelJson, double[] theta, double[] x, double[] y, int batchSize) {
    return new Handle(curvature(modelJson, theta, x, y, batchSize));
  }

  /**
   * Curvature of the described network at theta on (x, y), in batches of batchSize rows.
   *
   * @param modelJson the model description (model.json format)
   * @param theta     parameters, state-dict order
   * @param x         features, row-major N × input
   * @param y         targets (class indices, or N × outputs)
   * @param batchSize rows per batch
   * @return the curvature (a Hesse type: for callers that use the network types anyway)
   */
  public static Curvature curvature(String modelJson, double[] theta, double[] x, double[] y, int batchSize) {
    Network net = ModelFiles.network(ModelSpec.parse(modelJson));
    return Curvature.of(net, theta, x, y, batchSize);
  }

  /**
   * One-shot {@link Handle#block} on all rows as one batch (one forward pass per call: use {@link #open} for more).
   *
   * @param modelJson the model description
   * @param theta     parameters
   * @param x         features
   * @param y         targets
   * @param layer     index of a layer with parameters
   * @param ggn       Gauss-Newton instead of the Hessian
   * @return the block operator
   */
  public static LinearOperator block(String modelJson, double[] theta, double[] x, double[] y, int layer, boolean ggn) {
    return oneBatch(modelJson, theta, x, y).block(layer, ggn);
  }

  /**
   * One-shot {@link Handle#blockProduct} on all rows as one batch.
   *
   * @param modelJson the model description
   * @param theta     parameters
   * @param x         features
   * @param y         targets
   * @param layer     index of a layer with parameters
   * @param ggn       Gauss-Newton instead of the Hessian
   * @param v         direction on the layer's parameters
   * @return the product
   */
  public static double[] blockProduct(String modelJson, double[] theta, double[] x, double[] y, int layer, boolean ggn,
                                      double[] v) {
    return oneBatch(modelJson, theta, x, y).blockProduct(layer, ggn, v);
  }

  /**
   * One-shot {@link Handle#denseLayerFactors} on all rows as one batch.
   *
   * @param modelJson the model description
   * @param theta     parameters
   * @param x         features
   * @param y         targets
   * @param layer     index of a dense layer
   * @param ggn       Gauss-Newton instead of the Hessian
   * @return inputs (N × in) and output Hessians (N × out × out)
   */
  public static double[][] denseLayerFactors(String modelJson, double[] theta, double[] x, double[] y, int layer, boolean ggn) {
    return oneBatch(modelJson, theta, x, y).denseLayerFactors(layer, ggn);
  }

  /**
   * One-shot {@link Handle#backMatchingWeightSide} on all rows as one batch.
   *
   * @param modelJson the model description
   * @param theta     parameters
   * @param x         features
   * @param y         targets
   * @param layer     index of a layer with parameters
   * @return the weight-side operator
   */
  public static LinearOperator backMatchingWeightSide(String modelJson, double[] theta, double[] x, double[] y, int layer) {
    return oneBatch(modelJson, theta, x, y).backMatchingWeightSide(layer);
  }

  // x.length ≥ N rows: every row in one batch, as these methods always did
  private static Handle oneBatch(String modelJson, double[] theta, double[] x, double[] y) {
    return open(modelJson, theta, x, y, Math.max(1, x.length));
  }
}
