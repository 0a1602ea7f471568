package org.hesse.nn;

import java.util.SplittableRandom;
import org.hesse.linalg.Linalg;
import org.netlib.util.intW;

/**
 * Seeded parameter initialisers. Each layer type draws its own in {@link Layer#initParameters}, in node order: dense
 * and conv layers through {@link #weights}; activations have no parameters; batch and layer norm get γ = 1, β = 0
 * whatever the scheme, drawing nothing. The same seed gives the same bits. Schemes:
 * <ul>
 *   <li>{@code pytorch}: nn.Linear's default, W and b ~ U(−1/√in, 1/√in).</li>
 *   <li>{@code kaiming}: He normal, W ~ N(0, 2/in), b = 0.</li>
 *   <li>{@code xavier}: Glorot uniform, W ~ U(±√(6/(in+out))), b = 0.</li>
 *   <li>{@code orthogonal}: W with orthonormal rows or columns (QR of a Gaussian matrix with the signs of
 *       diag(R) fixed, as torch.nn.init.orthogonal_), gain 1, b = 0.</li>
 * </ul>
 */
public enum Init {
  PYTORCH, KAIMING, XAVIER, ORTHOGONAL;

  public static Init byName(String name) {
    for (Init i : values()) if (i.name().equalsIgnoreCase(name)) return i;
    throw new IllegalArgumentException("unknown initialiser '" + name + "', expected pytorch, kaiming, xavier or orthogonal");
  }

  /** A fresh parameter vector for net drawn with this scheme from seed. */
  public double[] init(Network net, long seed) {
    double[] slots = new double[net.slotCount()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (Node n : net.nodes()) n.op.initParameters(this, slots, n.paramOffset, rng);
    if (!net.shared()) return slots;
    // a shared tensor keeps its owner's draw: the owner's slots come first, so they are written last
    double[] theta = new double[net.paramCount()];
    for (int s = slots.length - 1; s >= 0; s--) theta[net.slotParam(s)] = slots[s];
    return theta;
  }

  /**
   * W (out × in, then out biases) at off; fanOut is Xavier's fan_out (out for dense, O·k² for conv). Layers call
   * it from {@link Layer#initParameters} with a generator split off for them.
   */
  public void weights(double[] theta, int off, int out, int in, SplittableRandom rng, int fanOut) {
    int w = out * in;
    switch (this) {
      case PYTORCH: {
        double bound = 1.0 / Math.sqrt(in);
        for (int i = 0; i < w + out; i++) theta[off + i] = (2 * rng.nextDouble() - 1) * bound;
        return;
      }
      case KAIMING: {
        double std = Math.sqrt(2.0 / in);
        for (int i = 0; i < w; i++) theta[off + i] = std * gaussian(rng);
        return;
      }
      case XAVIER: {
        double bound = Math.sqrt(6.0 / (in + fanOut));
        for (int i = 0; i < w; i++) theta[off + i] = (2 * rng.nextDouble() - 1) * bound;
        return;
      }
      case ORTHOGONAL:
        orthogonal(theta, off, out, in, rng);
        return;
      default:
        throw new AssertionError(this);
    }
  }

  /** Fills the row-major out × in block with a matrix whose rows (out ≤ in) or columns (out &gt; in) are orthonormal. */
  static void orthogonal(double[] theta, int off, int out, int in, SplittableRandom rng) {
    int rows = Math.max(out, in);
    int cols = Math.min(out, in);
    // Column-major rows × cols Gaussian matrix, QR by LAPACK, Q's columns scaled by sign(R_jj).
    double[] a = new double[rows * cols];
    for (int i = 0; i < a.length; i++) a[i] = gaussian(rng);
    double[] tau = new double[cols];
    intW info = new intW(0);
    double[] query = new double[1];
    Linalg.lapack().dgeqrf(rows, cols, a, rows, tau, query, -1, info);
    double[] work = new double[Math.max(1, (int) query[0])];
    Linalg.lapack().dgeqrf(rows, cols, a, rows, tau, work, work.length, info);
    checkInfo("dgeqrf", info);
    double[] sign = new double[cols];
    for (int j = 0; j < cols; j++) sign[j] = a[j + j * rows] < 0 ? -1.0 : 1.0;
    Linalg.lapack().dorgqr(rows, cols, cols, a, rows, tau, query, -1, info);
    work = new double[Math.max(1, (int) query[0])];
    Linalg.lapack().dorgqr(rows, cols, cols, a, rows, tau, work, work.length, info);
    checkInfo("dorgqr", info);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double q = a[i + j * rows] * sign[j];
        // out ≥ in: W = Q (out × in); out < in: W = Qᵀ.
        if (out >= in) theta[off + i * in + j] = q;
        else theta[off + j * in + i] = q;
      }
    }
  }

  private static void checkInfo(String routine, intW info) {
    if (info.val != 0) throw new ArithmeticException(routine + " failed with info = " + info.val);
  }

  static double gaussian(SplittableRandom rng) {
    // Box–Muller on two uniforms; deterministic for a given generator state.
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
  }
}
