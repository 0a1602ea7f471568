package org.hesse.hvp.external;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.hesse.io.LayerSpec;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.LayerType;
import org.hesse.nn.LayerTypes;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;

/**
 * The node of a network that runs an {@link ExternalOp}: parameter-free, one input, its type the op's
 * {@link ExternalOp#name()}. Its second-order rule ({@code org.hesse.hvp.rules.ExternalLayerSecondOrder}) calls the
 * op's jvp and vjp and its second derivative, or differences the vjp when the op does not supply it (the step and
 * error bound are in {@link ExternalOp}; {@link #step} and {@link #errorBound} evaluate them).
 *
 * <p>Every call goes through this class, which copies the rows the op reads into arrays of exactly their length
 * (the network's buffers are longer) and refuses a result of the wrong length in one line naming the node.
 *
 * <p>In code: {@link #add(Network.Graph, String, ExternalOp, int)} in a graph, or {@code new ExternalLayer(name, op,
 * shape)} in a layer list. In a model description: {@link #register} the op, then a node
 * {@code {"name": "act", "type": "<op name>"}} builds this layer.
 */
public final class ExternalLayer implements Layer {
  /** Unit roundoff of float64, 2⁻⁵³: the callback's precision, for the difference step. */
  public static final double UNIT_ROUNDOFF = 0x1p-53;

  private final String node;
  private final ExternalOp op;
  private final int[] inShape;
  private final int[] outShape;
  private final int in;
  private final int out;

  /**
   * The layer for one input of the given sample shape.
   *
   * @param node       the node's name, for error messages
   * @param op         the callback
   * @param inputShape the input sample shape
   * @throws IllegalArgumentException when the op is null, its name empty, or the input shape or the op's output
   *                                  shape not one or more dimensions &gt; 0
   */
  public ExternalLayer(String node, ExternalOp op, int[] inputShape) {
    if (op == null) throw new IllegalArgumentException("external node '" + node + "': op must not be null");
    if (op.name() == null || op.name().isEmpty()) {
      throw new IllegalArgumentException("external node '" + node + "': op name must not be empty");
    }
    if (inputShape == null || inputShape.length == 0 || size(inputShape) <= 0) {
      throw new IllegalArgumentException(where(node, op) + ": input shape " + Arrays.toString(inputShape)
          + ", expected one or more dimensions > 0");
    }
    this.node = node;
    this.op = op;
    this.inShape = inputShape.clone();
    this.in = size(inputShape);
    int[] s = op.outputShape(inputShape.clone());
    if (s == null || s.length == 0 || size(s) <= 0) {
      throw new IllegalArgumentException(where() + ": outputShape(" + Arrays.toString(inputShape) + ") returned "
          + Arrays.toString(s) + ", expected one or more dimensions > 0");
    }
    this.outShape = s.clone();
    this.out = size(s);
  }

  /**
   * Adds a node running {@code op} on activation {@code input} to a graph being built.
   *
   * @param g     the graph ({@link Network#Network(int[], org.hesse.nn.Loss, java.util.function.ToIntFunction)})
   * @param name  the node's name (unique in the graph)
   * @param op    the callback
   * @param input the activation it reads
   * @return the node's output activation
   */
  public static int add(Network.Graph g, String name, ExternalOp op, int input) {
    return g.add(name, new ExternalLayer(name, op, g.shape(input)), input);
  }

  /**
   * Makes {@code op.name()} a model-description type: a node {@code {"name": ..., "type": op.name()}} (or a layer
   * list entry {@code {"type": op.name()}}) builds an {@link ExternalLayer} running this op.
   *
   * @param op the callback
   * @throws IllegalArgumentException when the op or its name is missing, or the name belongs to a type that is not
   *                                  an external op
   */
  public static void register(ExternalOp op) {
    if (op == null || op.name() == null || op.name().isEmpty()) {
      throw new IllegalArgumentException("external op: expected an op with a non-empty name, got " + op);
    }
    LayerType known = LayerTypes.byName(op.name());
    if (known != null && !(known instanceof Type)) {
      throw new IllegalArgumentException("external op '" + op.name() + "': the name is taken by a built-in or "
          + "registered layer type; expected a new name");
    }
    LayerTypes.register(new Type(op));
  }

  /**
   * The step of the central difference for a row with input norm ‖x‖ and tangent norm ‖dx‖:
   * {@code ∛u · (1 + ‖x‖) / ‖dx‖}.
   *
   * @param xNorm  ‖x‖ of the row
   * @param dxNorm ‖dx‖ of the row, &gt; 0
   * @return h
   */
  public static double step(double xNorm, double dxNorm) {
    return Math.cbrt(UNIT_ROUNDOFF) * (1 + xNorm) / dxNorm;
  }

  /**
   * The bound of {@link ExternalOp} on ‖D − R dx‖ for one row.
   *
   * @param xNorm        ‖x‖ of the row
   * @param dxNorm       ‖dx‖ of the row
   * @param tau          τ: a bound on ‖d³/dt³ J(x + t d̂)ᵀ gy‖ for |t| ≤ h‖dx‖
   * @param vjpError     ε_v: a bound on the callback's vjp error at x ± h dx
   * @param residualNorm a bound on ‖R‖ (spectral norm of Σ_o gy_o ∇²f_o(x))
   * @return the bound (0 for dx = 0)
   */
  public static double errorBound(double xNorm, double dxNorm, double tau, double vjpError, double residualNorm) {
    if (dxNorm == 0) return 0;
    double h = step(xNorm, dxNorm);
    double u = UNIT_ROUNDOFF;
    return h * h * dxNorm * dxNorm * dxNorm * tau / 6
        + vjpError / h
        + u * residualNorm * (xNorm + 2 * h * dxNorm) / h
        + 3 * u * residualNorm * dxNorm;
  }

  /**
   * The callback.
   *
   * @return the op
   */
  public ExternalOp op() {
    return op;
  }

  /**
   * Whether the op supplies its second derivative ({@link ExternalOp.SecondOrder}); else Hessian products through
   * the node difference its vjp.
   *
   * @return true when exact
   */
  public boolean suppliesSecondOrder() {
    return op instanceof ExternalOp.SecondOrder;
  }

  /**
   * The node's name and op, as errors name it.
   *
   * @return e.g. {@code external node 'act' (softsign)}
   */
  public String where() {
    return where(node, op);
  }

  private static String where(String node, ExternalOp op) {
    return "external node '" + node + "' (" + op.name() + ")";
  }

  @Override public String type() { return op.name(); }
  @Override public int inputSize() { return in; }
  @Override public int outputSize() { return out; }
  @Override public int[] outputShape() { return outShape.clone(); }
  @Override public int[] inputShape(int i) { return inShape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  /** Nothing prepared: every product calls the op. */
  @Override public long preparedValuesPerSample() { return 0; }
  @Override public Map<String, Object> describe() { return Map.of("type", op.name()); }

  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    double[] y = checked(op.forward(Arrays.copyOf(x, batch * in), batch), "forward", batch, outShape);
    System.arraycopy(y, 0, z, 0, y.length);
  }

  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn == null) return;
    double[] g = vjp(Arrays.copyOf(x, batch * in), Arrays.copyOf(gOut, batch * out), batch);
    System.arraycopy(g, 0, gIn, 0, g.length);
  }

  /**
   * The op's jvp, its result's length checked.
   *
   * @param x    rows × in
   * @param dx   rows × in
   * @param rows the number of rows
   * @return rows × out
   */
  public double[] jvp(double[] x, double[] dx, int rows) {
    return checked(op.jvp(x, dx, rows), "jvp", rows, outShape);
  }

  /**
   * The op's vjp, its result's length checked.
   *
   * @param x    rows × in
   * @param gy   rows × out
   * @param rows the number of rows
   * @return rows × in
   */
  public double[] vjp(double[] x, double[] gy, int rows) {
    return checked(op.vjp(x, gy, rows), "vjp", rows, inShape);
  }

  /**
   * The op's second derivative ({@link #suppliesSecondOrder()} must hold), its result's length checked.
   *
   * @param x    rows × in
   * @param dx   rows × in
   * @param gy   rows × out
   * @param rows the number of rows
   * @return rows × in
   */
  public double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows) {
    return checked(((ExternalOp.SecondOrder) op).vjpDerivative(x, dx, gy, rows), "vjpDerivative", rows, inShape);
  }

  private double[] checked(double[] r, String call, int rows, int[] shape) {
    long want = (long) rows * size(shape);
    if (r == null || r.length != want) {
      throw new IllegalStateException(where() + ": " + call + " returned "
          + (r == null ? "null" : r.length + " values") + ", expected " + want + " (" + rows + " rows × "
          + Arrays.toString(shape) + ")");
    }
    return r;
  }

  private static int size(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d <= 0) return -1;
      n *= d;
      if (n > Integer.MAX_VALUE) return -1;
    }
    return (int) n;
  }

  /** The model-description type of one registered op. */
  private static final class Type implements LayerType {
    private final ExternalOp op;

    Type(ExternalOp op) {
      this.op = op;
    }

    @Override
    public List<String> names() {
      return List.of(op.name());
    }

    @Override
    public Layer build(LayerSpec spec, int[] in, SubLayers sub) {
      Object name = spec.extra().get("name");
      return new ExternalLayer(name instanceof String s ? s : op.name(), op, in);
    }
  }
}
