package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ludovic.netlib.arpack.ARPACK;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The Lanczos basis a converged ARPACK solve hands out, checked by products: orthonormal to 1e-12, and tr T equal to
 * Σ v_jᵀ A v_j computed here, to 1e-10 relative; on both back ends, unshifted and shifted.
 */
class KrylovBasisTest {
  static final int N = 200;

  @Test
  void basisIsOrthonormalAndItsTraceIsTheRayleighSum() {
    double[] lambda = TestMatrices.spectrum("negative", N, 3);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 4), N);
    double scale = TestMatrices.maxAbs(lambda);
    for (ARPACK backend : new ARPACK[] {Arpack.nativeBackend(), Arpack.javaBackend()}) {
      if (backend == null) continue;
      for (double shift : new double[] {0, 2 * scale}) {
        AtomicReference<KrylovBasis> got = new AtomicReference<>();
        ArpackResult r = Arpack.request(5).which(Which.LA).tol(1e-10).seed(9).shift(shift).backend(backend)
            .basis(got::set).solve(op);
        String what = backend.getClass().getSimpleName() + " shift " + shift;
        assertEquals(true, r.complete(), what);
        KrylovBasis b = got.get();
        assertNotNull(b, what);
        double[] av = new double[b.m() * N];
        op.applyMany(b.vectors(), av, b.m());
        double sum = 0;
        for (int j = 0; j < b.m(); j++) {
          sum += Vec.dot(b.vectors(), j * N, av, j * N, N);
          for (int i = 0; i <= j; i++) {
            assertEquals(i == j ? 1 : 0, Vec.dot(b.vectors(), i * N, b.vectors(), j * N, N), 1e-12, what + " VᵀV " + i + "," + j);
          }
        }
        assertEquals(sum, b.traceT(), 1e-10 * scale * b.m(), what + ": tr T");
      }
    }
    AtomicReference<KrylovBasis> none = new AtomicReference<>();
    Arpack.request(5).which(Which.LA).tol(1e-14).ncv(6).maxIterations(1).seed(9).basis(none::set).solve(op);
    assertNull(none.get(), "no basis from a solve that did not converge");
  }
}
