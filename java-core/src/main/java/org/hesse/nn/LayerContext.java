package org.hesse.nn;

import java.util.SplittableRandom;

/**
 * What a layer may need beyond (θ, x) in one workspace: the forward mode, its own per-workspace scratch
 * state (e.g. a dropout mask, saved batch statistics), the network's buffer vector (non-trainable state such
 * as BN running statistics, at {@link #bufferOffset}) and a generator for random layers in TRAIN mode.
 * Plain layers (dense, activations) ignore it.
 */
public final class LayerContext {
  Mode mode = Mode.ANALYSIS;
  final Object state;
  double[] buffers;
  final int bufferOffset;
  SplittableRandom rng;
  LayerContext(Object state, int bufferOffset) {
    this.state = state;
    this.bufferOffset = bufferOffset;
  }

  /** A context for calling one layer on its own (outside a network workspace). */
  public static LayerContext standalone(Layer layer, int maxBatch, Mode mode, double[] buffers, int bufferOffset) {
    LayerContext c = new LayerContext(layer.newState(maxBatch), bufferOffset);
    c.mode = mode;
    c.buffers = buffers;
    return c;
  }

  public Mode mode() { return mode; }

  /** The layer's scratch object from {@link Layer#newState(int)} (null for stateless layers). */
  public Object state() { return state; }

  /** The network's buffer vector (may be null for networks without buffers). */
  public double[] buffers() { return buffers; }

  /** Offset of this layer's buffers in {@link #buffers()}. */
  public int bufferOffset() { return bufferOffset; }

  /** The generator for TRAIN-mode randomness (dropout); null when none was given. */
  public SplittableRandom rng() { return rng; }
}
