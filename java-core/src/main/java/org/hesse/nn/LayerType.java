package org.hesse.nn;

import java.util.List;
import org.hesse.io.InputException;
import org.hesse.io.LayerSpec;

/**
 * A layer type's registration: its model-description name(s) and how a description entry builds it. Every type,
 * built-in or not, is one provider listed in {@code META-INF/services/org.hesse.nn.LayerType} of its module (the
 * built-in ones are nested {@code Type} classes in their layer's file) and found by {@link LayerTypes}; its
 * second-order rule is found the same way in hvp-kernels ({@code org.hesse.hvp.rules.SecondOrderRule}), bound to
 * the layer class.
 */
public interface LayerType {
  /** The description's {@code "type"} values this type answers to ("dense"; every activation's id). */
  List<String> names();

  /**
   * Builds the layer for one input of sample shape {@code inShape}, as an entry of a {@code "layers"} list (and, by
   * default, as a single-input graph node); {@code sub} builds nested layer lists (residual blocks). Graph-only
   * types ({@link #inLayerLists()} false) need not implement it.
   */
  default Layer build(LayerSpec spec, int[] inShape, SubLayers sub) {
    throw new InputException("'" + spec.type() + "' is a graph op (expected it in 'nodes', not in 'layers')");
  }

  /** Builds the layer as a graph node reading inputs of these sample shapes; by default one input, as {@link #build}. */
  default Layer buildNode(LayerSpec spec, List<int[]> inShapes, SubLayers sub) {
    return build(spec, single(inShapes), sub);
  }

  /** Whether the type may appear in a {@code "layers"} list (false for fan-in and token ops, which only graphs have). */
  default boolean inLayerLists() {
    return true;
  }

  /** Builds a nested list of layers from a shape. */
  @FunctionalInterface
  interface SubLayers {
    List<Layer> build(List<LayerSpec> specs, int[] inShape);
  }

  /** The one input shape of a single-input op. */
  static int[] single(List<int[]> in) {
    if (in.size() != 1) throw new InputException("expects 1 input, got " + in.size());
    return in.get(0);
  }

  /** The number of elements of a sample shape (refused beyond one array). */
  static int flat(int[] shape) {
    return Sizes.product(shape, "input shape " + java.util.Arrays.toString(shape));
  }
}
