package org.hesse.nn;

/**
 * One node of a network's graph: an op (a {@link Layer}) applied to the activations {@link #inputs()} (0 is the
 * network input, j + 1 the output of node j), with its parameters at {@link #paramOffset} of the slot vector (θ
 * itself unless tensors are shared, see {@link Network#expand}) and its buffers at {@link #bufferOffset}. Its
 * tensors are named {@code name + "." + local name}.
 */
public final class Node {
  public final String name;
  public final Layer op;
  private final int[] inputs;
  public final int index;
  public final int paramOffset;
  public final int bufferOffset;

  Node(String name, Layer op, int[] inputs, int index, int paramOffset, int bufferOffset) {
    this.name = name;
    this.op = op;
    this.inputs = inputs.clone();
    this.index = index;
    this.paramOffset = paramOffset;
    this.bufferOffset = bufferOffset;
  }

  /** The activations this node reads, one per op input. */
  public int[] inputs() {
    return inputs.clone();
  }

  public int input(int i) {
    return inputs[i];
  }

  public int inputCount() {
    return inputs.length;
  }

  /** The activation this node writes (index + 1). */
  public int output() {
    return index + 1;
  }

  @Override
  public String toString() {
    return name + " (" + op.type() + ")";
  }
}
