package org.hesse.nn;

/**
 * A layer made of other layers (a residual block): the network runs it as nodes of its graph. Its parameters and
 * buffers are those of the nodes it adds, in the order it adds them.
 */
public interface Composite {
  /**
   * Adds this block's nodes to {@code graph}, reading activation {@code input}, naming them under {@code name}
   * (state-dict prefixes, e.g. {@code name + ".block.0"}); returns the activation of the block's output.
   */
  int expand(Network.Graph graph, int input, String name);
}
