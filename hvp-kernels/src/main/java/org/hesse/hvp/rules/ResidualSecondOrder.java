package org.hesse.hvp.rules;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.Mode;
import org.hesse.nn.Residual;

/**
 * Second-order rules of a residual block {@code z = x + α·g(x)}, composed from the inner layers' own rules
 * (each found by {@link SecondOrderRules#of}; nested blocks compose recursively). With ĝ, dĝ the inner
 * sub-network's forward tangent and R-backprop:
 * <pre>
 *   dz    = dx + α·ĝ(dx, v)                      inner JVPs in order
 *   dg_x  = dg + R-backprop of α·dg through g    inner backwardTangents in reverse order, with the inner
 *                                                first-order signals g_j (top: α·g); GGN drops their terms
 *   hv   += each inner layer's R{J_θᵀ g_j}       at its own parameters
 * </pre>
 * The identity path has no second-order term. The block's tensors are the inner tensors in order, so inner
 * layer j's direction and product are the block's at its parameter offset P_j, with the same stride.
 *
 * <p>{@link #prepare} runs the inner forward pass for the batch with private inner contexts (mode and buffers
 * of the given context; TRAIN is run as ANALYSIS, as the curvature engine does) and caches the inner
 * activations and each inner rule's {@code prepare} result. The inner first-order signals depend on the
 * block's output signal g, which {@code prepare} is not given: they are computed on the first
 * {@link #backwardTangent} (one inner backward pass), cached with a copy of g, and recomputed only if a
 * different g arrives. Tangent buffers are per thread and per block, sized once and grown on demand.
 */
public final class ResidualSecondOrder implements SecondOrderRule {

  /** What one batch's products reuse. Read-only until the next prepare refills it, except the lazily published signals. */
  static final class Prepared {
    private static final AtomicLong SERIALS = new AtomicLong();
    final long serial = SERIALS.incrementAndGet();  // identifies it in TangentKey without a reference
    final Residual r;
    final int batch;
    final Mode mode;
    final double[] buffers;       // the array the inner contexts read (refilled in place by Curvature.update)
    final SecondOrderRule[] rules;
    final double[][] acts;        // acts[j]: output of inner layer j−1 (j = 1..m); the block input is the call's x
    final Object[] preps;
    final LayerContext[] ctxs;    // private contexts holding the inner forward state of this batch
    volatile Signals signals;

    Prepared(Residual r, int batch, Mode mode, double[] buffers) {
      int m = r.layers().size();
      this.r = r;
      this.batch = batch;
      this.mode = mode;
      this.buffers = buffers;
      rules = new SecondOrderRule[m];
      acts = new double[m + 1][];
      preps = new Object[m];
      ctxs = new LayerContext[m];
    }

    boolean sameSetting(Residual r, int batch, Mode mode, double[] buffers) {
      return this.r == r && this.batch == batch && this.mode == mode && this.buffers == buffers;
    }
  }

  /** The inner first-order signals for one block output signal g. */
  static final class Signals {
    final double[] gKey;     // a copy of the block's g they belong to
    final double[][] grads;  // grads[j]: signal at acts[j] (j = 1..m), grads[m] = α·g

    Signals(double[] gKey, double[][] grads) {
      this.gKey = gKey;
      this.grads = grads;
    }
  }

  /** Per-thread tangent buffers of one block. */
  static final class Scratch {
    int rowsK;
    double[][] dacts;  // inner tangents of acts[j], j = 1..m−1
    double[][] dgs;    // tangents of the inner signals, j = 0..m
    double[][] cur;    // per inner layer: its input tangent (null = zero)
    TangentKey tangents;  // the call whose inner tangents cur holds (null: none)
  }

  /**
   * The arguments of a {@link #jvp}, by identity: the backward tangent of the same pass (same arrays, offsets, batch
   * and k, inputs unchanged in between, as {@link SecondOrderRule} requires) finds its inner tangents already in
   * the scratch and skips the inner JVPs. Weak references and the preparation's serial number, not the objects:
   * the scratch is the value of a weak map keyed by the block, and must not keep it (through Prepared.r) or the
   * caller's arrays alive.
   */
  static final class TangentKey {
    private final long prep;
    private final WeakReference<double[]> theta;
    private final WeakReference<double[]> x;
    private final WeakReference<double[]> dx;
    private final WeakReference<double[]> v;
    private final int[] ints;  // off, vOff, vStride, batch, k

    TangentKey(Prepared prep, double[] theta, int off, double[] x, double[] dx, double[] v, int vOff, int vStride,
               int batch, int k) {
      this.prep = prep.serial;
      this.theta = ref(theta);
      this.x = ref(x);
      this.dx = ref(dx);
      this.v = ref(v);
      this.ints = new int[] {off, vOff, vStride, batch, k};
    }

    boolean matches(Prepared prep, double[] theta, int off, double[] x, double[] dx, double[] v, int vOff,
                    int vStride, int batch, int k) {
      return this.prep == prep.serial && same(this.theta, theta) && same(this.x, x) && same(this.dx, dx)
          && same(this.v, v) && Arrays.equals(ints, new int[] {off, vOff, vStride, batch, k});
    }

    private static WeakReference<double[]> ref(double[] a) {
      return a == null ? null : new WeakReference<>(a);
    }

    private static boolean same(WeakReference<double[]> r, double[] a) {
      return r == null ? a == null : a != null && r.get() == a;
    }
  }

  private static final ThreadLocal<Map<Residual, Scratch>> SCRATCH = ThreadLocal.withInitial(WeakHashMap::new);

  @Override
  public Object prepare(Layer layer, LayerContext ctx, double[] theta, int off, double[] x, double[] z, int batch,
                        Object previous) {
    Residual r = (Residual) layer;
    List<Layer> inner = r.layers();
    Mode mode = ctx == null || ctx.mode() == Mode.TRAIN ? Mode.ANALYSIS : ctx.mode();
    double[] buffers = ctx == null ? null : ctx.buffers();
    int bOff = ctx == null ? 0 : ctx.bufferOffset();
    // the same block, batch, mode and buffers array at other parameters: refill its arrays, keep its inner contexts
    boolean reuse = previous instanceof Prepared && ((Prepared) previous).sameSetting(r, batch, mode, buffers);
    Prepared p = reuse ? (Prepared) previous : new Prepared(r, batch, mode, buffers);
    p.signals = null;  // they belong to the old parameters
    double[] in = x;
    for (int j = 0; j < inner.size(); j++) {
      Layer l = inner.get(j);
      int lo = off + r.paramOffset(j);
      if (!reuse) {
        p.rules[j] = SecondOrderRules.of(l);
        p.ctxs[j] = LayerContext.standalone(l, batch, mode, buffers, bOff + r.bufferOffset(j));
        p.acts[j + 1] = new double[batch * l.outputSize()];
      }
      l.forward(theta, lo, in, p.acts[j + 1], batch, p.ctxs[j]);
      p.preps[j] = p.rules[j].prepare(l, p.ctxs[j], theta, lo, in, p.acts[j + 1], batch, reuse ? p.preps[j] : null);
      in = p.acts[j + 1];
    }
    return p;
  }

  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, int vOff, int vStride, double[] dz, int batch, int k) {
    Prepared p = (Prepared) prep;
    Residual r = p.r;
    int m = r.layers().size();
    Scratch s = scratch(r, batch, k);
    s.tangents = null;  // until the recomputation completes
    double[] in = innerTangents(p, s, theta, off, x, dx, v, vOff, vStride, m - 1, batch, k);
    s.tangents = new TangentKey(p, theta, off, x, dx, v, vOff, vStride, batch, k);
    // the last inner layer writes its tangent straight into dz
    int last = m - 1;
    double[] vl = innerDirection(r, last, v);
    if (in != null || vl != null) {
      p.rules[last].jvp(r.layers().get(last), p.preps[last], theta, off + r.paramOffset(last), last == 0 ? x : p.acts[last],
          p.acts[m], in, vl, vOff + r.paramOffset(last), vStride, dz, batch, k);
    } else {
      Arrays.fill(dz, 0, batch * k * r.inputSize(), 0.0);
    }
    double alpha = r.alpha();
    int n = batch * k * r.inputSize();
    if (dx != null) {
      for (int i = 0; i < n; i++) dz[i] = dx[i] + alpha * dz[i];
    } else {
      for (int i = 0; i < n; i++) dz[i] *= alpha;
    }
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v, int vOff, int vStride,
                              double[] dgIn, double[] hv, int hvOff, int hvStride, boolean gaussNewton, int batch, int k) {
    if (dgIn == null && hv == null) return;
    Prepared p = (Prepared) prep;
    Residual r = p.r;
    List<Layer> inner = r.layers();
    int m = inner.size();
    Signals sig = signals(p, theta, off, g, batch);
    Scratch s = scratch(r, batch, k);
    // the inner input tangents (the JVP of every inner layer but the last): computed by this pass's jvp, or now
    if (s.tangents == null || !s.tangents.matches(p, theta, off, x, dx, v, vOff, vStride, batch, k)) {
      s.tangents = null;  // until the recomputation completes
      innerTangents(p, s, theta, off, x, dx, v, vOff, vStride, m - 1, batch, k);
      s.tangents = new TangentKey(p, theta, off, x, dx, v, vOff, vStride, batch, k);
    }
    // stop at the lowest inner layer whose product or input signal is wanted
    int low = m;
    if (dgIn != null) {
      low = 0;
    } else {
      for (int j = 0; j < m; j++) {
        if (inner.get(j).paramCount() > 0) {
          low = j;
          break;
        }
      }
    }
    int n = batch * k * r.inputSize();
    double alpha = r.alpha();
    double[] top = s.dgs[m];
    for (int i = 0; i < n; i++) top[i] = alpha * dg[i];
    for (int j = m - 1; j >= low; j--) {
      Layer l = inner.get(j);
      int inOff = r.paramOffset(j);  // inner layer j's parameters within the block's, for every direction
      double[] hvj = l.paramCount() > 0 ? hv : null;
      double[] dgInj = j > low || (j == 0 && dgIn != null) ? s.dgs[j] : null;
      p.rules[j].backwardTangent(l, p.preps[j], theta, off + r.paramOffset(j), j == 0 ? x : p.acts[j], p.acts[j + 1],
          sig.grads[j + 1], s.dgs[j + 1], s.cur[j], innerDirection(r, j, v), vOff + inOff, vStride, dgInj, hvj,
          hvOff + inOff, hvStride, gaussNewton, batch, k);
    }
    if (dgIn != null) {
      double[] d0 = s.dgs[0];
      for (int i = 0; i < n; i++) dgIn[i] = dg[i] + d0[i];
    }
  }

  /**
   * Runs the JVPs of inner layers 0..upTo−1, recording each layer's input tangent in s.cur (null = zero);
   * returns the tangent at the input of layer upTo.
   */
  private static double[] innerTangents(Prepared p, Scratch s, double[] theta, int off, double[] x, double[] dx,
                                        double[] v, int vOff, int vStride, int upTo, int batch, int k) {
    Residual r = p.r;
    double[] in = dx;
    s.cur[0] = dx;
    for (int j = 0; j < upTo; j++) {
      double[] vj = innerDirection(r, j, v);
      if (in == null && vj == null) {
        s.cur[j + 1] = null;
        continue;
      }
      double[] out = s.dacts[j + 1];
      p.rules[j].jvp(r.layers().get(j), p.preps[j], theta, off + r.paramOffset(j), j == 0 ? x : p.acts[j],
          p.acts[j + 1], in, vj, vOff + r.paramOffset(j), vStride, out, batch, k);
      s.cur[j + 1] = out;
      in = out;
    }
    return in;
  }

  /** The direction for inner layer j: v itself, or null (zero) when v is null or the layer has no parameters. */
  private static double[] innerDirection(Residual r, int j, double[] v) {
    return r.layers().get(j).paramCount() == 0 ? null : v;
  }

  /** The inner first-order signals for g: cached, recomputed (one inner backward pass) when g differs. */
  private static Signals signals(Prepared p, double[] theta, int off, double[] g, int batch) {
    int n = batch * p.r.inputSize();
    Signals s = p.signals;
    if (s != null && Arrays.equals(s.gKey, 0, n, g, 0, n)) return s;
    synchronized (p) {
      s = p.signals;
      if (s != null && Arrays.equals(s.gKey, 0, n, g, 0, n)) return s;
      Residual r = p.r;
      List<Layer> inner = r.layers();
      int m = inner.size();
      double[][] grads = new double[m + 1][];
      for (int j = 1; j <= m; j++) grads[j] = new double[batch * inner.get(j - 1).outputSize()];
      for (int i = 0; i < n; i++) grads[m][i] = r.alpha() * g[i];
      // Layer.backward also accumulates parameter gradients at network offsets: a throw-away full-length target
      double[] gTheta = new double[theta.length];
      for (int j = m - 1; j >= 1; j--) {
        inner.get(j).backward(theta, off + r.paramOffset(j), p.acts[j], p.acts[j + 1], grads[j + 1], grads[j], gTheta,
            batch, p.ctxs[j]);
      }
      s = new Signals(Arrays.copyOf(g, n), grads);
      p.signals = s;
      return s;
    }
  }

  /** This thread's buffers for block r, large enough for batch rows and k directions. */
  private static Scratch scratch(Residual r, int batch, int k) {
    Map<Residual, Scratch> map = SCRATCH.get();
    Scratch s = map.get(r);
    int rowsK = batch * k;
    if (s != null && s.rowsK >= rowsK) return s;
    List<Layer> inner = r.layers();
    int m = inner.size();
    int cr = Math.max(rowsK, s == null ? 0 : s.rowsK);
    s = new Scratch();
    s.rowsK = cr;
    s.dacts = new double[m + 1][];
    s.dgs = new double[m + 1][];
    s.cur = new double[m][];
    s.dgs[0] = new double[cr * r.inputSize()];
    for (int j = 0; j < m; j++) {
      Layer l = inner.get(j);
      s.dgs[j + 1] = new double[cr * l.outputSize()];
      if (j + 1 < m) s.dacts[j + 1] = new double[cr * l.outputSize()];
    }
    map.put(r, s);
    return s;
  }
}
