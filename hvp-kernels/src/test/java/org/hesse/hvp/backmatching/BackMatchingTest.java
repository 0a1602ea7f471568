package org.hesse.hvp.backmatching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.linalg.Linalg;
import org.hesse.nn.Dense;
import org.hesse.nn.Flatten;
import org.hesse.nn.Init;
import org.hesse.nn.Loss;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.netlib.util.intW;

/** Back-matching local Hessians: the generic computation against the closed forms. */
class BackMatchingTest {
  final Network net = Nets.mlp(4, 5, 3, 2, Activation.TANH, "cross_entropy");
  final int n = 13;
  final double[] theta = Init.PYTORCH.init(net, 1);
  final double[] x = Nets.features(n, 4, 1.5, 2);
  final Curvature c = Curvature.of(net, theta, x, Nets.targets(net, n, 3), 5);
  final BackMatching bm = new BackMatching(c);

  /** Inputs of layer k for all samples, from a plain forward pass. */
  double[] inputs(int layer) {
    Workspace ws = net.newWorkspace(n);
    System.arraycopy(x, 0, ws.input(), 0, x.length);
    net.forward(theta, ws, n);
    return Arrays.copyOf(ws.act(layer), n * net.width(layer));
  }

  @Test
  void denseWeightSideIsTheKroneckerClosedForm() {
    for (int layer : net.parametrisedLayers()) {
      int in = net.layer(layer).inputSize();
      int out = net.layer(layer).outputSize();
      double[] xs = inputs(layer);
      double[] cxx = new double[in * in];
      double[] mean = new double[in];
      for (int s = 0; s < n; s++) {
        for (int j = 0; j < in; j++) {
          mean[j] += xs[s * in + j] / n;
          for (int j2 = 0; j2 < in; j2++) cxx[j * in + j2] += xs[s * in + j] * xs[s * in + j2] / n;
        }
      }
      int p = out * in + out;
      double[] m = bm.weightSideMatrix(layer);
      // [[I⊗C_xx, I⊗x̄], [I⊗x̄ᵀ, I]] with row-major weights (i·in + j) then biases
      for (int r = 0; r < p; r++) {
        for (int col = 0; col < p; col++) {
          boolean rw = r < out * in;
          boolean cw = col < out * in;
          int ri = rw ? r / in : r - out * in;
          int ci = cw ? col / in : col - out * in;
          double expected;
          if (ri != ci) expected = 0;
          else if (rw && cw) expected = cxx[(r % in) * in + col % in];
          else if (rw) expected = mean[r % in];
          else if (cw) expected = mean[col % in];
          else expected = 1.0;
          assertEquals(expected, m[r * p + col], 1e-14, "layer " + layer + " (" + r + "," + col + ")");
        }
      }
      // eigenvalues: eig(C) each out times
      double[] eigM = eig(m, p);
      double[] eigC = eig(bm.covariance(layer), in + 1);
      double[] repeated = new double[p];
      for (int i = 0; i < in + 1; i++) for (int o = 0; o < out; o++) repeated[i * out + o] = eigC[i];
      Arrays.sort(repeated);
      for (int i = 0; i < p; i++) assertEquals(repeated[i], eigM[i], 1e-12 * eigM[p - 1]);
    }
  }

  @Test
  void denseInputSideIsWtWOverN() {
    for (int layer : net.parametrisedLayers()) {
      int in = net.layer(layer).inputSize();
      int out = net.layer(layer).outputSize();
      int off = net.offset(layer);
      for (int s : new int[] {0, 7, n - 1}) {
        double[] m = bm.inputSideMatrix(layer, s);
        for (int a = 0; a < in; a++) {
          for (int b = 0; b < in; b++) {
            double wtw = 0;
            for (int i = 0; i < out; i++) wtw += theta[off + i * in + a] * theta[off + i * in + b];
            assertEquals(wtw / n, m[a * in + b], 1e-15);
          }
        }
      }
    }
  }

  @Test
  void activationInputSideIsSquaredDerivativeOverN() {
    double[] xs = inputs(1);
    int w = net.width(1);
    double[] m = bm.inputSideMatrix(1, 4);
    for (int a = 0; a < w; a++) {
      double d = Activation.TANH.d1(xs[4 * w + a]);
      for (int b = 0; b < w; b++) assertEquals(a == b ? d * d / n : 0.0, m[a * w + b], 1e-16);
    }
  }

  @Test
  void orthogonalSquareLayerHasConditionOneOnTheInputSide() {
    Network lin = Network.builder(6).dense(6).build("mse");
    double[] th = Init.ORTHOGONAL.init(lin, 9);
    Curvature cc = Curvature.of(lin, th, Nets.features(8, 6, 1.0, 3), Nets.targets(lin, 8, 4), 8);
    double[] e = eig(new BackMatching(cc).inputSideMatrix(0, 0), 6);
    assertEquals(1.0, e[5] / e[0], 1e-12);
  }

  /**
   * The Kronecker shortcut applies where the layer says it is affine on flat samples: a token-wise dense layer shares
   * W over tokens and is refused (its generic weight side still works); the flat head's structured spectrum equals
   * the eigenvalues of its generic weight-side matrix.
   */
  @Test
  void onlyDenseOnFlatSamplesHasTheKroneckerStructure() {
    Network g = new Network(new int[] {3, 4}, Loss.byName("mse"), b -> {
      int tok = b.add("tok", Dense.tokenWise(3, 4, 2), 0);
      int flat = b.add("flat", new Flatten(new int[] {3, 2}), tok);
      return b.add("head", new Dense(6, 2), flat);
    });
    double[] th = Nets.gaussian(g.paramCount(), 0.5, 41);
    Curvature cg = Curvature.of(g, th, Nets.features(9, 12, 1.0, 42), Nets.targets(g, 9, 43), 4);
    BackMatching b = new BackMatching(cg);
    int tok = g.layerIndex("tok");
    int head = g.layerIndex("head");
    assertFalse(b.structured(tok));
    assertTrue(b.structured(head));
    assertThrows(IllegalArgumentException.class, () -> b.covariance(tok));
    int pt = g.layer(tok).paramCount();
    double[] mt = b.weightSideMatrix(tok);
    for (int i = 0; i < pt; i++) for (int j = 0; j < i; j++) assertEquals(mt[i * pt + j], mt[j * pt + i], 1e-12);
    int p = g.layer(head).paramCount();
    double[] generic = eig(b.weightSideMatrix(head), p);
    double[] structured = b.weightSideEigenvalues(head);
    Arrays.sort(structured);
    for (int i = 0; i < p; i++) assertEquals(generic[i], structured[i], 1e-12 * generic[p - 1]);
  }

  /**
   * Graphs whose dense nodes read a concatenation, the network input after another branch, or a gate's product (not
   * the previous layer's output): the input side against {@code WᵀW / N} and the weight side's structured
   * eigenvalues (from the layer inputs' covariance) against those of its generic matrix (the layer's own JVP rules).
   */
  @Test
  void graphDenseNodesUseTheirOwnInput() throws Exception {
    int checked = 0;
    for (String name : new String[] {"graph-concat", "graph-gated-mlp"}) {
      java.nio.file.Path dir = java.nio.file.Path.of(BackMatchingTest.class.getResource("/fixtures/" + name).toURI());
      Network g = org.hesse.io.ModelFiles.network(org.hesse.io.ModelSpec.read(dir.resolve("model.json")));
      double[] th = org.hesse.io.ModelFiles.readParameters(g, dir.resolve("model.safetensors"));
      int rows = 11;
      Curvature cg = Curvature.of(g, th, Nets.features(rows, g.inputSize(), 1.0, 51), Nets.targets(g, rows, 52), 4);
      BackMatching b = new BackMatching(cg);
      for (int layer : g.parametrisedLayers()) {
        if (!b.structured(layer)) continue;
        String what = name + " layer " + g.layerName(layer);
        int in = g.layer(layer).inputSize();
        int out = g.layer(layer).outputSize();
        int off = g.offset(layer);
        for (int s : new int[] {0, 5, rows - 1}) {
          double[] m = b.inputSideMatrix(layer, s);
          for (int a = 0; a < in; a++) {
            for (int c2 = 0; c2 < in; c2++) {
              double wtw = 0;
              for (int i = 0; i < out; i++) wtw += th[off + i * in + a] * th[off + i * in + c2];
              assertEquals(wtw / rows, m[a * in + c2], 1e-15, what + " input side, sample " + s);
            }
          }
        }
        int p = g.layer(layer).paramCount();
        double[] generic = eig(b.weightSideMatrix(layer), p);
        double[] structured = b.weightSideEigenvalues(layer);
        Arrays.sort(structured);
        for (int i = 0; i < p; i++) assertEquals(generic[i], structured[i], 1e-12 * generic[p - 1], what + " weight side");
        checked++;
      }
    }
    assertEquals(7, checked, "dense nodes checked");
  }

  static double[] eig(double[] rowMajor, int p) {
    double[] a = rowMajor.clone();  // symmetric: row-major = column-major
    double[] w = new double[p];
    double[] work = new double[3 * p];
    intW info = new intW(0);
    Linalg.lapack().dsyev("N", "U", p, a, p, w, work, work.length, info);
    assertEquals(0, info.val);
    return w;
  }
}
