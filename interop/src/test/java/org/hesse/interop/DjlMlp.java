package org.hesse.interop;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A DJL multilayer perceptron on the PyTorch engine in float64 (Linear, tanh, ..., Linear; mean softmax
 * cross-entropy on class indices), with what a framework hands to Hesse: its parameters under PyTorch state-dict
 * names, and its autograd gradient as a function of a flat parameter vector (state-dict order).
 */
final class DjlMlp implements AutoCloseable {
  /** DJL names a SequentialBlock's children "01Linear", "02LambdaBlock", ... (1-based); PyTorch's Sequential 0, 1, ... */
  private static final Pattern DJL_NAME = Pattern.compile("(\\d+)Linear_(weight|bias)");

  private final NDManager manager;
  private final SequentialBlock block;
  private final ParameterStore store;
  private final Loss loss = Loss.softmaxCrossEntropyLoss();
  private final List<Parameter> params = new ArrayList<>();
  private final Map<String, Parameter> stateDict = new LinkedHashMap<>();
  private final double[] x;
  private final long[] labels;
  private final Shape xShape;
  private final int paramCount;

  /**
   * An MLP of the given widths (input, hidden..., output) with tanh between the linear layers, weights drawn by
   * DJL's N(0, weightSigma²) initializer and biases by N(0, biasSigma²) from the engine's seeded generator.
   */
  DjlMlp(int[] widths, double[] x, long[] labels, int seed, float weightSigma, float biasSigma) {
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed(seed);
    this.manager = engine.newBaseManager();
    this.block = new SequentialBlock();
    for (int k = 1; k < widths.length; k++) {
      block.add(Linear.builder().setUnits(widths[k]).build());
      if (k < widths.length - 1) block.add(Activation.tanhBlock());
    }
    block.setInitializer(new NormalInitializer(weightSigma), Parameter.Type.WEIGHT);
    block.setInitializer(new NormalInitializer(biasSigma), Parameter.Type.BIAS);
    this.x = x.clone();
    this.labels = labels.clone();
    this.xShape = new Shape(labels.length, widths[0]);
    block.initialize(manager, DataType.FLOAT64, xShape);
    this.store = new ParameterStore(manager, false);
    int count = 0;
    for (Pair<String, Parameter> p : block.getParameters()) {
      Matcher m = DJL_NAME.matcher(p.getKey());
      if (!m.matches()) throw new IllegalStateException("unexpected DJL parameter name " + p.getKey());
      String name = (Integer.parseInt(m.group(1)) - 1) + "." + m.group(2);
      params.add(p.getValue());
      stateDict.put(name, p.getValue());
      count += Math.toIntExact(p.getValue().getShape().size());
    }
    this.paramCount = count;
  }

  /** State-dict name → DJL parameter, in DJL's (= PyTorch's) parameter order: each layer's weight, then its bias. */
  Map<String, Parameter> stateDict() {
    return stateDict;
  }

  /** The parameters as DJL holds them, flat in state-dict order. */
  double[] parameters() {
    double[] theta = new double[paramCount];
    int off = 0;
    for (Parameter p : params) {
      double[] v = p.getArray().toDoubleArray();
      System.arraycopy(v, 0, theta, off, v.length);
      off += v.length;
    }
    return theta;
  }

  /**
   * DJL's loss at theta (flat, state-dict order), its autograd gradient written into grad when grad is not null.
   * The parameters are left at theta.
   */
  double lossAndGradient(double[] theta, double[] grad) {
    setParameters(theta);
    // every intermediate array belongs to the input's manager: one scope per call
    try (NDManager scope = manager.newSubManager();
         GradientCollector collector = manager.getEngine().newGradientCollector()) {
      NDArray l = loss(scope);
      if (grad != null) {
        collector.backward(l);
        readGradients(grad);
      }
      return l.getDouble();
    }
  }

  /**
   * The exact Hessian-vector product H(theta) v by PyTorch's double backward (create_graph), which DJL's
   * GradientCollector does not offer: the engine's {@link JniUtils#backward} is called directly. PyTorch would keep
   * the first backward's graph in the parameters' .grad, which DJL cannot reset, so this runs the block's
   * computation on fresh leaf arrays (Linear.linear, tanh, the same loss); it returns that forward's loss in hv's
   * place too, to check it against the block's.
   *
   * @return {loss, H v}
   */
  double[][] hessianProduct(double[] theta, double[] v) {
    if (theta.length != paramCount || v.length != paramCount) {
      throw new IllegalArgumentException("theta and v: expected " + paramCount + " values");
    }
    try (NDManager scope = manager.newSubManager();
         GradientCollector collector = manager.getEngine().newGradientCollector()) {
      NDArray[] leaves = new NDArray[params.size()];
      int off = 0;
      for (int i = 0; i < leaves.length; i++) {
        Shape shape = params.get(i).getShape();
        leaves[i] = scope.create(Arrays.copyOfRange(theta, off, off + (int) shape.size()), shape);
        leaves[i].setRequiresGradient(true);
        off += (int) shape.size();
      }
      NDArray h = scope.create(x, xShape);
      for (int i = 0; i < leaves.length; i += 2) {
        h = Linear.linear(h, leaves[i], leaves[i + 1]).singletonOrThrow();
        if (i + 2 < leaves.length) h = Activation.tanh(h);
      }
      NDArray l = loss.evaluate(new NDList(scope.create(labels)), new NDList(h));
      JniUtils.backward((PtNDArray) l, (PtNDArray) scope.ones(l.getShape(), l.getDataType()), true, true);
      NDArray gv = scope.zeros(new Shape(), DataType.FLOAT64);
      off = 0;
      for (NDArray leaf : leaves) {
        int size = (int) leaf.size();
        NDArray grad = leaf.getGradient();  // carries its graph (create_graph)
        grad.attach(scope);
        gv = gv.add(grad.mul(scope.create(Arrays.copyOfRange(v, off, off + size), leaf.getShape())).sum());
        off += size;
      }
      double[] g = new double[paramCount];
      read(leaves, g);
      JniUtils.backward((PtNDArray) gv, (PtNDArray) scope.ones(gv.getShape(), gv.getDataType()), false, false);
      // the second backward adds H v to the gradient already in .grad
      double[] hv = new double[paramCount];
      read(leaves, hv);
      for (int i = 0; i < hv.length; i++) hv[i] -= g[i];
      return new double[][] {{l.getDouble()}, hv};
    }
  }

  /** Writes theta into DJL's parameter arrays and clears their gradients. */
  private void setParameters(double[] theta) {
    if (theta.length != paramCount) throw new IllegalArgumentException("theta: expected " + paramCount + " values");
    int off = 0;
    for (Parameter p : params) {
      NDArray a = p.getArray();
      int size = Math.toIntExact(a.size());
      a.set(DoubleBuffer.wrap(theta, off, size));
      // PyTorch accumulates into .grad and DJL's collector does not clear it (a Trainer would)
      if (a.hasGradient()) {
        try (NDArray g = a.getGradient()) {
          g.subi(g);
        }
      }
      off += size;
    }
  }

  /** Mean softmax cross-entropy of the batch, in training mode, its intermediates in scope. */
  private NDArray loss(NDManager scope) {
    NDArray logits = block.forward(store, new NDList(scope.create(x, xShape)), true).singletonOrThrow();
    return loss.evaluate(new NDList(scope.create(labels)), new NDList(logits));
  }

  private void readGradients(double[] out) {
    NDArray[] arrays = new NDArray[params.size()];
    for (int i = 0; i < arrays.length; i++) arrays[i] = params.get(i).getArray();
    read(arrays, out);
  }

  /** The gradients of the arrays, concatenated into out. */
  private static void read(NDArray[] arrays, double[] out) {
    int off = 0;
    for (NDArray a : arrays) {
      try (NDArray g = a.getGradient()) {
        double[] v = g.toDoubleArray();
        System.arraycopy(v, 0, out, off, v.length);
        off += v.length;
      }
    }
  }

  /** The gradient callback of {@code GradientHvp}. */
  void gradient(double[] theta, double[] grad) {
    lossAndGradient(theta, grad);
  }

  @Override
  public void close() {
    manager.close();
  }
}
