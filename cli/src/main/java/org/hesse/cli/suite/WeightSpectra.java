package org.hesse.cli.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.hesse.eigen.DenseEigen;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;

/**
 * The data-free baseline: spectra of the weight matrices themselves (no data, no Hessian). For a layer's weight W
 * (out × in) the eigenvalues λ of its smaller Gram matrix (W Wᵀ or Wᵀ W, i.e. the squared singular values):
 * <ul>
 *   <li>stable rank Σλ / max λ = ‖W‖_F² / ‖W‖_2²;</li>
 *   <li>power-law exponent α of the eigenvalue tail by the Hill estimator over the top k = max(2, ⌈n/2⌉) eigenvalues,
 *   α = 1 + k / Σ_{i≤k} ln(λ_i / λ_k) (λ sorted descending; NaN when the tail is flat), the quantity heavy-tailed
 *   self-regularisation reads (a smaller α: a heavier tail).</li>
 * </ul>
 */
public final class WeightSpectra {
  private WeightSpectra() {}

  /** Per weight matrix, in network order: {stable rank, α}. */
  public static List<double[]> of(Path safetensors) throws IOException {
    Map<String, Tensor> ts = Safetensors.read(safetensors);
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : ts.entrySet()) {
      if (e.getKey().endsWith(".weight") && e.getValue().rank() == 2) names.add(e.getKey());
    }
    names.sort(Comparator.comparingInt(WeightSpectra::order).thenComparing(Comparator.naturalOrder()));
    List<double[]> out = new ArrayList<>();
    for (String n : names) {
      Tensor t = ts.get(n);
      double[] ev = gramEigenvalues(t.data(), (int) t.dim(0), (int) t.dim(1));
      out.add(new double[] {stableRank(ev), hillAlpha(ev)});
    }
    return out;
  }

  /** Sequential modules' state-dict prefix ("4.weight" → 4), else 0. */
  static int order(String name) {
    String p = name.substring(0, name.indexOf('.'));
    return p.matches("\\d+") ? Integer.parseInt(p) : 0;
  }

  /** Eigenvalues of the smaller Gram matrix of W (rows × cols, row-major), ascending. */
  static double[] gramEigenvalues(double[] w, int rows, int cols) {
    boolean byRows = rows <= cols;
    int n = byRows ? rows : cols;
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = 0;
        if (byRows) {
          for (int k = 0; k < cols; k++) s += w[i * cols + k] * w[j * cols + k];
        } else {
          for (int k = 0; k < rows; k++) s += w[k * cols + i] * w[k * cols + j];
        }
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
    }
    return DenseEigen.all(g, n, false).eigenvalues();
  }

  static double stableRank(double[] ev) {
    double max = Arrays.stream(ev).max().orElse(0);
    double sum = 0;
    for (double v : ev) sum += Math.max(0, v);
    return max > 0 ? sum / max : Double.NaN;
  }

  static double hillAlpha(double[] ev) {
    double[] d = Arrays.stream(ev).map(v -> -v).sorted().map(v -> -v).toArray();
    int k = Math.max(2, (d.length + 1) / 2);
    if (d.length < 2 || !(d[k - 1] > 0)) return Double.NaN;
    double s = 0;
    for (int i = 0; i < k; i++) s += Math.log(d[i] / d[k - 1]);
    return s > 0 ? 1 + k / s : Double.NaN;
  }
}
