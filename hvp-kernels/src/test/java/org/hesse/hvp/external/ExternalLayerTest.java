package org.hesse.hvp.external;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.CurvatureChecks;
import org.hesse.hvp.curvature.CurvatureTest;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Concat;
import org.hesse.nn.Dense;
import org.hesse.nn.Loss;
import org.hesse.nn.Mul;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Softmax;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ops supplied as plain Java callbacks (as a framework with its own autodiff would supply them) inside MLPs, against
 * independent references: the same network with the equivalent built-in ops (softmax; x·tanh(x) and the logistic
 * function concatenated, as tanh, mul, sigmoid and concat nodes), whose rules are checked against differences
 * elsewhere: loss and gradient to 1e-12, every Hessian and GGN entry (the full matrices, so the blocks of the
 * layers before and after the node and the off-diagonal blocks) to 1e-10 of the largest entry; the curvature battery
 * (finite differences, symmetry, PSD GGN, blocks = slices, k-vector = singles) on the external network. Without the
 * second derivative (sin, whose derivatives are all bounded by 1): the block of the dense layer below the node within
 * the documented bound of the differenced term, carried back through that layer; blocks after it and GGN products
 * unchanged; the result labelled. Wrong lengths and shapes from a callback are refused in one line naming the node.
 */
class ExternalLayerTest {
  static final int N = 7;
  static final int BATCH = 3;

  /** Row-wise softmax over the whole sample, with its second derivative. */
  static final class SoftmaxOp implements ExternalOp.SecondOrder {
    @Override public String name() { return "ext_softmax"; }
    @Override public int[] outputShape(int[] in) { return in; }

    static double[] softmax(double[] x, int r, int d) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < d; i++) max = Math.max(max, x[r * d + i]);
      double[] y = new double[d];
      double s = 0;
      for (int i = 0; i < d; i++) s += y[i] = Math.exp(x[r * d + i] - max);
      for (int i = 0; i < d; i++) y[i] /= s;
      return y;
    }

    static double dot(double[] y, double[] a, int off) {
      double s = 0;
      for (int i = 0; i < y.length; i++) s += y[i] * a[off + i];
      return s;
    }

    @Override
    public double[] forward(double[] x, int rows) {
      int d = x.length / rows;
      double[] out = new double[x.length];
      for (int r = 0; r < rows; r++) System.arraycopy(softmax(x, r, d), 0, out, r * d, d);
      return out;
    }

    /** y ⊙ (a − ⟨y, a⟩): the Jacobian is symmetric, so this is both the JVP and the VJP. */
    static double[] jacobian(double[] x, double[] a, int rows) {
      int d = x.length / rows;
      double[] out = new double[x.length];
      for (int r = 0; r < rows; r++) {
        double[] y = softmax(x, r, d);
        double t = dot(y, a, r * d);
        for (int i = 0; i < d; i++) out[r * d + i] = y[i] * (a[r * d + i] - t);
      }
      return out;
    }

    @Override public double[] jvp(double[] x, double[] dx, int rows) { return jacobian(x, dx, rows); }
    @Override public double[] vjp(double[] x, double[] gy, int rows) { return jacobian(x, gy, rows); }

    /** d/dε [y ⊙ (g − ⟨y, g⟩)] = ẏ ⊙ (g − ⟨y, g⟩) − y ⟨ẏ, g⟩, ẏ = y ⊙ (dx − ⟨y, dx⟩). */
    @Override
    public double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows) {
      int d = x.length / rows;
      double[] out = new double[x.length];
      for (int r = 0; r < rows; r++) {
        double[] y = softmax(x, r, d);
        double t = dot(y, dx, r * d);
        double[] yd = new double[d];
        for (int i = 0; i < d; i++) yd[i] = y[i] * (dx[r * d + i] - t);
        double yg = dot(y, gy, r * d);
        double ydg = dot(yd, gy, r * d);
        for (int i = 0; i < d; i++) out[r * d + i] = yd[i] * (gy[r * d + i] - yg) - y[i] * ydg;
      }
      return out;
    }
  }

  /** [D] → [2, D]: x·tanh(x), then σ(x) (the logistic function), with their second derivatives. */
  static final class GateOp implements ExternalOp.SecondOrder {
    @Override public String name() { return "ext_gate"; }
    @Override public int[] outputShape(int[] in) { return new int[] {2, in[0]}; }

    /** f, f', f'' of x·tanh x (k = 0) or σ (k = 1). */
    static double[] f(double x, int k) {
      if (k == 0) {
        double t = Math.tanh(x);
        double d1 = t + x * (1 - t * t);
        return new double[] {x * t, d1, 2 * (1 - t * t) * (1 - x * t)};
      }
      double s = 1 / (1 + Math.exp(-x));
      return new double[] {s, s * (1 - s), s * (1 - s) * (1 - 2 * s)};
    }

    @Override
    public double[] forward(double[] x, int rows) {
      int d = x.length / rows;
      double[] y = new double[2 * x.length];
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < 2; k++) for (int i = 0; i < d; i++) y[(2 * r + k) * d + i] = f(x[r * d + i], k)[0];
      }
      return y;
    }

    @Override
    public double[] jvp(double[] x, double[] dx, int rows) {
      int d = x.length / rows;
      double[] y = new double[2 * x.length];
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < 2; k++) {
          for (int i = 0; i < d; i++) y[(2 * r + k) * d + i] = f(x[r * d + i], k)[1] * dx[r * d + i];
        }
      }
      return y;
    }

    @Override
    public double[] vjp(double[] x, double[] gy, int rows) {
      int d = x.length / rows;
      double[] g = new double[x.length];
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < 2; k++) for (int i = 0; i < d; i++) g[r * d + i] += f(x[r * d + i], k)[1] * gy[(2 * r + k) * d + i];
      }
      return g;
    }

    @Override
    public double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows) {
      int d = x.length / rows;
      double[] g = new double[x.length];
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < 2; k++) {
          for (int i = 0; i < d; i++) g[r * d + i] += f(x[r * d + i], k)[2] * dx[r * d + i] * gy[(2 * r + k) * d + i];
        }
      }
      return g;
    }
  }

  /** Element-wise sin: every derivative is bounded by 1, so the difference bound's τ and ‖R‖ are max|gy|. */
  static class SinOp implements ExternalOp {
    @Override public String name() { return "ext_sin"; }
    @Override public int[] outputShape(int[] in) { return in; }

    @Override
    public double[] forward(double[] x, int rows) {
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) y[i] = Math.sin(x[i]);
      return y;
    }

    @Override
    public double[] jvp(double[] x, double[] dx, int rows) {
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) y[i] = Math.cos(x[i]) * dx[i];
      return y;
    }

    @Override
    public double[] vjp(double[] x, double[] gy, int rows) {
      return jvp(x, gy, rows);
    }
  }

  /** sin with its second derivative −sin(x) ⊙ dx ⊙ gy. */
  static final class ExactSinOp extends SinOp implements ExternalOp.SecondOrder {
    @Override
    public double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows) {
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) y[i] = -Math.sin(x[i]) * dx[i] * gy[i];
      return y;
    }
  }

  /** input 3 → fc1 dense(5) → ext (op) → head dense(2). */
  static Network external(ExternalOp op, String loss) {
    return new Network(new int[] {3}, Loss.byName(loss), g -> {
      int fc1 = g.add("fc1", new Dense(3, 5), 0);
      int ext = ExternalLayer.add(g, "ext", op, fc1);
      return g.add("head", new Dense(g.width(ext), 2), ext);
    });
  }

  static Network builtInSoftmax(String loss) {
    return new Network(new int[] {3}, Loss.byName(loss), g -> {
      int fc1 = g.add("fc1", new Dense(3, 5), 0);
      int sm = g.add("sm", new Softmax(new int[] {5}, 0), fc1);
      return g.add("head", new Dense(5, 2), sm);
    });
  }

  /** The gate op as built-in nodes: concat(fc1 ⊙ tanh(fc1), sigmoid(fc1)). */
  static Network builtInGate(String loss) {
    return new Network(new int[] {3}, Loss.byName(loss), g -> {
      int fc1 = g.add("fc1", new Dense(3, 5), 0);
      int t = g.add("t", new ActivationLayer(Activation.TANH, 5), fc1);
      int a = g.add("a", new Mul(new int[] {5}), fc1, t);
      int s = g.add("s", new ActivationLayer(Activation.SIGMOID, 5), fc1);
      int cat = g.add("cat", new Concat(List.of(new int[] {5}, new int[] {5}), 0), a, s);
      return g.add("head", new Dense(10, 2), cat);
    });
  }

  static void sameCurvature(Network ext, Network ref, String loss) {
    assertEquals(ref.paramCount(), ext.paramCount());
    double[] theta = Nets.gaussian(ext.paramCount(), 0.8, 41);
    double[] x = Nets.features(N, 3, 1.0, 42);
    double[] y = Nets.targets(ext, N, 43);
    Curvature ce = Curvature.of(ext, theta, x, y, BATCH);
    Curvature cr = Curvature.of(ref, theta, x, y, BATCH);
    assertEquals(cr.loss(), ce.loss(), 1e-12 * Math.abs(cr.loss()), loss + " loss");
    double[] ge = ce.gradient();
    double[] gr = cr.gradient();
    for (int i = 0; i < gr.length; i++) assertEquals(gr[i], ge[i], 1e-12 * CurvatureTest.maxAbs(gr), "gradient " + i);
    for (Kind kind : Kind.values()) {
      double[][] he = CurvatureTest.dense(ce.full(kind));
      double[][] hr = CurvatureTest.dense(cr.full(kind));
      double scale = 0;
      for (double[] row : hr) scale = Math.max(scale, CurvatureTest.maxAbs(row));
      for (int i = 0; i < hr.length; i++) {
        for (int j = 0; j < hr.length; j++) assertEquals(hr[i][j], he[i][j], 1e-10 * scale, loss + " " + kind.id + "[" + i + "," + j + "]");
      }
    }
    assertEquals(List.of(), ce.approximations());
    CurvatureChecks.all(ext, theta, x, y, BATCH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void externalSoftmaxMatchesTheBuiltInOne(String loss) {
    sameCurvature(external(new SoftmaxOp(), loss), builtInSoftmax(loss), loss);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse"})
  void externalGateWithAnotherOutputShapeMatchesBuiltInNodes(String loss) {
    Network ext = external(new GateOp(), loss);
    assertArrayEquals(new int[] {2, 5}, ext.layer(1).outputShape());
    sameCurvature(ext, builtInGate(loss), loss);
  }

  /**
   * The sin op's own second derivative against central differences of the exact gradient (h = 1e-5, 1e-7 of the
   * largest entry), so that the exact block the differenced one is compared with below is itself checked.
   */
  @Test
  void exactSinBlockMatchesDifferencesOfTheGradient() {
    Network net = external(new ExactSinOp(), "mse");
    double[] theta = Nets.gaussian(net.paramCount(), 0.8, 51);
    double[] x = Nets.features(N, 3, 1.0, 52);
    double[] y = Nets.targets(net, N, 53);
    int fc1 = net.layerIndex("fc1");
    int p = net.layer(fc1).paramCount();
    double[][] block = CurvatureTest.dense(Curvature.of(net, theta, x, y, BATCH).block(Kind.HESSIAN, fc1));
    double scale = 0;
    for (double[] row : block) scale = Math.max(scale, CurvatureTest.maxAbs(row));
    double h = 1e-5;
    for (int j = 0; j < p; j++) {
      double[] tp = theta.clone();
      double[] tm = theta.clone();
      tp[net.offset(fc1) + j] += h;
      tm[net.offset(fc1) + j] -= h;
      double[] gp = Curvature.of(net, tp, x, y, BATCH).gradient();
      double[] gm = Curvature.of(net, tm, x, y, BATCH).gradient();
      for (int i = 0; i < p; i++) {
        int at = net.offset(fc1) + i;
        assertEquals((gp[at] - gm[at]) / (2 * h), block[i][j], 1e-7 * scale, "H[" + i + "," + j + "]");
      }
    }
  }

  /**
   * Without vjpDerivative: column j of fc1's Hessian block (fc1 right below the node, input x) differs from the
   * exact one by {@code Σ_rows ‖D − R dx‖ · ‖(x, 1)‖}, each row's error within {@link ExternalLayer#errorBound}
   * with dx = V_j x + b_j (the tangent at the node's input), τ = ‖R‖ = max|gy| (sin's derivatives are bounded by 1,
   * and ‖d̂³‖ ≤ 1) and ε_v = 4u‖gy‖ (cos to 1 ulp, one product). The residual term itself is far above that bound
   * (H − GGN), so the comparison can fail. Blocks of the layer after the node and every GGN product are the same
   * bits; the curvature says which node is approximated.
   */
  @Test
  void differencedSecondOrderStaysWithinTheDocumentedBound() {
    Network approx = external(new SinOp(), "mse");
    Network exact = external(new ExactSinOp(), "mse");
    double[] theta = Nets.gaussian(approx.paramCount(), 0.8, 61);
    double[] x = Nets.features(N, 3, 1.0, 62);
    double[] y = Nets.targets(approx, N, 63);
    Curvature ca = Curvature.of(approx, theta, x, y, BATCH);
    Curvature ce = Curvature.of(exact, theta, x, y, BATCH);
    int fc1 = approx.layerIndex("fc1");
    int ext = 1;  // fc1, ext, head
    int head = approx.layerIndex("head");

    // signals gy at the node's output and its inputs, from one pass over all samples (the 1/N included)
    Workspace ws = approx.newWorkspace(N);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    approx.lossAndSignals(theta, ws, y, N, 1.0 / N);
    double[] gy = ws.grad(ext + 1);
    double[] xe = ws.act(ext);

    double[][] ha = CurvatureTest.dense(ca.block(Kind.HESSIAN, fc1));
    double[][] he = CurvatureTest.dense(ce.block(Kind.HESSIAN, fc1));
    double[][] gn = CurvatureTest.dense(ce.block(Kind.GGN, fc1));
    int in = 3;
    int d = 5;
    double residual = 0;
    double worst = 0;
    for (int j = 0; j < ha.length; j++) {
      double bound = 0;
      for (int r = 0; r < N; r++) {
        double dxNorm2 = 0;
        for (int o = 0; o < d; o++) {
          // direction e_j on [W (d × in), b (d)]: dx_o = W_j[o,:]·x_r + b_j[o]
          double t = j < d * in ? (j / in == o ? x[r * in + j % in] : 0) : (j - d * in == o ? 1 : 0);
          dxNorm2 += t * t;
        }
        double xNorm2 = 0;
        double gMax = 0;
        double gNorm2 = 0;
        for (int o = 0; o < d; o++) {
          xNorm2 += xe[r * d + o] * xe[r * d + o];
          gMax = Math.max(gMax, Math.abs(gy[r * d + o]));
          gNorm2 += gy[r * d + o] * gy[r * d + o];
        }
        double xinNorm2 = 1;
        for (int i = 0; i < in; i++) xinNorm2 += x[r * in + i] * x[r * in + i];
        double row = ExternalLayer.errorBound(Math.sqrt(xNorm2), Math.sqrt(dxNorm2), gMax,
            4 * ExternalLayer.UNIT_ROUNDOFF * Math.sqrt(gNorm2), gMax);
        bound += row * Math.sqrt(xinNorm2);
      }
      double err = 0;
      double res = 0;
      for (int i = 0; i < ha.length; i++) {
        err += (ha[i][j] - he[i][j]) * (ha[i][j] - he[i][j]);
        res += (he[i][j] - gn[i][j]) * (he[i][j] - gn[i][j]);
      }
      assertTrue(Math.sqrt(err) <= bound, "column " + j + ": error " + Math.sqrt(err) + " above the bound " + bound);
      assertTrue(Math.sqrt(res) > 1e3 * bound, "column " + j + ": residual term " + Math.sqrt(res) + " vs bound " + bound);
      residual = Math.max(residual, Math.sqrt(res));
      worst = Math.max(worst, Math.sqrt(err));
    }
    assertTrue(worst > 0, "the differenced block is not the exact one bit for bit");

    assertArrayEquals(flat(CurvatureTest.dense(ce.block(Kind.HESSIAN, head))), flat(CurvatureTest.dense(ca.block(Kind.HESSIAN, head))));
    assertArrayEquals(flat(CurvatureTest.dense(ce.full(Kind.GGN))), flat(CurvatureTest.dense(ca.full(Kind.GGN))));
    List<String> labels = ca.approximations();
    assertEquals(1, labels.size(), labels.toString());
    assertTrue(labels.get(0).startsWith("node 'ext': external op 'ext_sin' has no vjpDerivative"), labels.get(0));
    assertEquals(List.of(), ce.approximations());
  }

  static double[] flat(double[][] m) {
    return java.util.Arrays.stream(m).flatMapToDouble(java.util.Arrays::stream).toArray();
  }

  /** The softmax op with one call returning a row too few. */
  static final class Broken implements ExternalOp.SecondOrder {
    final String call;
    final SoftmaxOp ok = new SoftmaxOp();

    Broken(String call) {
      this.call = call;
    }

    double[] cut(String which, double[] r) {
      return which.equals(call) ? java.util.Arrays.copyOf(r, r.length - 1) : r;
    }

    @Override public String name() { return "broken"; }
    @Override public int[] outputShape(int[] in) { return call.equals("outputShape") ? new int[] {0} : in; }
    @Override public double[] forward(double[] x, int rows) { return cut("forward", ok.forward(x, rows)); }
    @Override public double[] jvp(double[] x, double[] dx, int rows) { return cut("jvp", ok.jvp(x, dx, rows)); }
    @Override public double[] vjp(double[] x, double[] gy, int rows) { return cut("vjp", ok.vjp(x, gy, rows)); }

    @Override
    public double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows) {
      return cut("vjpDerivative", ok.vjpDerivative(x, dx, gy, rows));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"forward", "vjp", "jvp", "vjpDerivative"})
  void aWrongLengthIsRefusedNamingTheNode(String call) {
    Network net = external(new Broken(call), "mse");
    double[] theta = Nets.gaussian(net.paramCount(), 0.8, 71);
    double[] x = Nets.features(N, 3, 1.0, 72);
    double[] y = Nets.targets(net, N, 73);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
      // forward and vjp run in the first pass; jvp and vjpDerivative in a Hessian product through the node
      Curvature c = Curvature.of(net, theta, x, y, BATCH);
      c.block(Kind.HESSIAN, net.layerIndex("fc1")).apply(Nets.gaussian(20, 1, 1), new double[20]);
    });
    int rows = BATCH;
    assertEquals("external node 'ext' (broken): " + call + " returned " + (rows * 5 - 1) + " values, expected "
        + rows * 5 + " (" + rows + " rows × [5])", e.getMessage());
  }

  @Test
  void aBadOutputShapeIsRefusedNamingTheNode() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> external(new Broken("outputShape"), "mse"));
    assertEquals("external node 'ext' (broken): outputShape([5]) returned [0], expected one or more dimensions > 0",
        e.getMessage());
  }

  /** A registered op is a model-description type: the described network is the built one (same gradient bits). */
  @Test
  void aRegisteredOpIsAModelDescriptionType() {
    ExternalLayer.register(new SoftmaxOp());
    Network read = ModelFiles.network(ModelSpec.parse("""
        {"input": 3, "loss": "mse", "nodes": [
          {"name": "fc1", "type": "dense", "out": 5},
          {"name": "ext", "type": "ext_softmax"},
          {"name": "head", "type": "dense", "out": 2}]}
        """));
    Network built = external(new SoftmaxOp(), "mse");
    assertEquals(ExternalLayer.class, read.layer(1).getClass());
    double[] theta = Nets.gaussian(built.paramCount(), 0.8, 81);
    double[] x = Nets.features(N, 3, 1.0, 82);
    double[] y = Nets.targets(built, N, 83);
    assertArrayEquals(Curvature.of(built, theta, x, y, BATCH).gradient(), Curvature.of(read, theta, x, y, BATCH).gradient());
    assertEquals(ModelFiles.spec(read), ModelFiles.spec(built));
    assertEquals(ModelFiles.spec(read), ModelFiles.spec(ModelFiles.network(ModelFiles.spec(read))));
    // as an entry of a layer list too
    Network list = ModelFiles.network(ModelSpec.parse("""
        {"input": 3, "loss": "mse", "layers": [{"type": "dense", "out": 5}, {"type": "ext_softmax"}, {"type": "dense", "out": 2}]}
        """));
    Network listBuilt = new Network(3, List.of(new Dense(3, 5), new ExternalLayer("1", new SoftmaxOp(), new int[] {5}),
        new Dense(5, 2)), Loss.byName("mse"));
    assertArrayEquals(Curvature.of(listBuilt, theta, x, y, BATCH).gradient(), Curvature.of(list, theta, x, y, BATCH).gradient());
    assertEquals(ModelFiles.spec(list), ModelFiles.spec(listBuilt));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExternalLayer.register(new SinOp() {
      @Override public String name() { return "tanh"; }
    }));
    assertEquals("external op 'tanh': the name is taken by a built-in or registered layer type; expected a new name",
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }
}
