package org.hesse.hvp.spectra;

import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.eigen.TraceEstimate;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerTrace;
import org.hesse.hvp.curvature.OutputJacobianBlock;
import org.hesse.nn.Network;

/**
 * What {@link LayerSpectraEngine} needs of a curvature: the network's layer blocks as operators, the gradient, and
 * whether a block may be materialised densely. Implemented over a local {@link Curvature} by {@link #of(Curvature)}
 * and over a data-parallel one by the Spark module, so that both run the same per-layer spectra code.
 */
public interface CurvatureSource {
  /**
   * The network whose parameter blocks are analysed.
   *
   * @return the network (layer types, parameter offsets and counts)
   */
  Network network();

  /**
   * The block of layer {@code layer} (its parameters only) of the given curvature, at the current parameters.
   *
   * @param kind  which curvature
   * @param layer a parametrised layer's index
   * @return the symmetric block operator, of the layer's parameter count
   * @throws IllegalArgumentException when this source does not provide that kind (naming it and the reason)
   */
  LinearOperator block(CurvatureKind kind, int layer);

  /**
   * The gradient of the mean loss.
   *
   * @return the gradient with respect to all parameters (state-dict order); the caller may modify it
   */
  double[] gradient();

  /**
   * The block's whole spectrum, ascending, when its structure gives it without products (back-matching's dense
   * layers: eig(C), each output times).
   *
   * @param kind  which curvature
   * @param layer a parametrised layer's index
   * @return the eigenvalues, or null when the structure does not give them (the default)
   */
  default double[] structureEigenvalues(CurvatureKind kind, int layer) {
    return null;
  }

  /**
   * The block's trace where its structure gives it without parameter products (a dense layer's Hessian or GGN:
   * {@link DenseLayerTrace}, exact or estimated per sample).
   *
   * @param kind  which curvature
   * @param layer a parametrised layer's index
   * @param seed  the seed of any random probes
   * @return the trace (with its estimate when not exact), or null when the structure does not give it (the default)
   */
  default LayerSpectra.TraceValue structureTrace(CurvatureKind kind, int layer, long seed) {
    return null;
  }

  /**
   * Whether a block may be materialised as a dense matrix (one product per column) for an exact full spectrum;
   * true by default, false where products are expensive (a distributed curvature).
   *
   * @return whether {@link SpectraOptions#full} may be served
   */
  default boolean denseAllowed() {
    return true;
  }

  /**
   * A source over a local curvature: Hessian and GGN blocks from {@link Curvature#block} (a dense layer's in
   * {@link OutputJacobianBlock} form where that is exact and pays), back-matching from
   * {@link BackMatching} (built on first use), whose dense layers have their spectrum from the structure.
   *
   * @param curvature the local curvature (data, parameters, batches)
   * @return a source over it; like the curvature's operators, for one thread at a time
   */
  static CurvatureSource of(Curvature curvature) {
    return new CurvatureSource() {
      private BackMatching bm;

      @Override public Network network() {
        return curvature.network();
      }

      // the last block handed out, whose kept J the layer's trace may read (then dropped here: the solve holds it)
      private LinearOperator lastBlock;
      private CurvatureKind lastKind;

      @Override public LinearOperator block(CurvatureKind kind, int layer) {
        // a solve's many products: a dense layer's block in output-Jacobian form where that is exact and pays
        lastKind = kind;
        return lastBlock = kind == CurvatureKind.BACK_MATCHING ? backMatching().weightSide(layer)
            : OutputJacobianBlock.orBlock(curvature, kind.productKind(), layer);
      }

      @Override public double[] gradient() {
        return curvature.gradient();
      }

      @Override public double[] structureEigenvalues(CurvatureKind kind, int layer) {
        // a dense layer's weight side is a permutation of I_out ⊗ C: its spectrum is eig(C), each out times
        return kind == CurvatureKind.BACK_MATCHING && backMatching().structured(layer)
            ? backMatching().weightSideEigenvalues(layer) : null;
      }

      @Override public LayerSpectra.TraceValue structureTrace(CurvatureKind kind, int layer, long seed) {
        if (kind == CurvatureKind.BACK_MATCHING || !DenseLayerTrace.applies(curvature, layer)) return null;
        LinearOperator block = kind == lastKind ? lastBlock : null;
        lastBlock = null;
        return traceValue(DenseLayerTrace.of(curvature, kind.productKind(), layer, seed, block));
      }

      private BackMatching backMatching() {
        if (bm == null) bm = new BackMatching(curvature);
        return bm;
      }
    };
  }

  /**
   * A source over a float32 curvature ({@link org.hesse.hvp.curvature.Float32Curvature}): Hessian and GGN blocks
   * with float storage and double vectors; back-matching is refused (it has no float32 path).
   *
   * @param curvature the float32 curvature
   * @return a source over it, for one thread at a time
   */
  static CurvatureSource of(org.hesse.hvp.curvature.Float32Curvature curvature) {
    return new CurvatureSource() {
      @Override public Network network() {
        return curvature.network();
      }

      @Override public LinearOperator block(CurvatureKind kind, int layer) {
        if (kind == CurvatureKind.BACK_MATCHING) {
          throw new org.hesse.io.InputException("precision f32: the back-matching curvature has no float32 path; "
              + "use --precision f64");
        }
        return curvature.block(kind.productKind(), layer);
      }

      @Override public double[] gradient() {
        return curvature.gradient();
      }

      @Override public LayerSpectra.TraceValue structureTrace(CurvatureKind kind, int layer, long seed) {
        // back-matching is refused by block; the Hessian and GGN traces as float64's, on the same probes
        if (kind == CurvatureKind.BACK_MATCHING || !DenseLayerTrace.applies(curvature, layer)) return null;
        return traceValue(DenseLayerTrace.of(curvature, kind.productKind(), layer, seed));
      }
    };
  }

  /**
   * A structure trace as the spectra report it: exact values without an estimate.
   *
   * @param t the trace of {@link DenseLayerTrace} (or a distributed sum of its parts)
   * @return the value with its source, and the estimate when not exact
   */
  static LayerSpectra.TraceValue traceValue(TraceEstimate t) {
    return new LayerSpectra.TraceValue(t.estimate(), t.method(), t.method().equals(DenseLayerTrace.EXACT) ? null : t);
  }

  /**
   * A source over the curvature of {@code net} at {@code theta} on features x (row-major N × input) and targets y,
   * in contiguous batches of at most batchSize rows, in the given precision: {@link Curvature} (float64) or
   * {@link org.hesse.hvp.curvature.Float32Curvature} (float32 storage; refused with one line for a layer type without
   * a float32 path).
   *
   * @param net       the network
   * @param theta     its parameters
   * @param x         features
   * @param y         targets
   * @param batchSize rows per batch
   * @param precision the storage precision of activations, tangents and products
   * @return a source over a local curvature in that precision
   */
  static CurvatureSource of(Network net, double[] theta, double[] x, double[] y, int batchSize,
                            org.hesse.precision.Precision precision) {
    return precision == org.hesse.precision.Precision.F32
        ? of(org.hesse.hvp.curvature.Float32Curvature.of(net, theta, x, y, batchSize))
        : of(Curvature.of(net, theta, x, y, batchSize));
  }
}
