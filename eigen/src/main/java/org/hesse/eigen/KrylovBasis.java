package org.hesse.eigen;

/**
 * ARPACK's Lanczos basis at the end of a converged symmetric solve: m orthonormal vectors V (m consecutive blocks of
 * n, applyMany's layout) with A·V = V·T + f·e_mᵀ, T tridiagonal, so that tr(VᵀAV) = tr T is known without products.
 * A trace estimator can take V as the exact part of Hutch++'s Q ({@link Trace#hutchPlusPlusOnBasis}).
 *
 * @param n       the operator's dimension
 * @param m       the basis vectors (ARPACK's ncv)
 * @param vectors the basis, m·n values
 * @param traceT  tr T = Σ v_jᵀ A v_j
 */
public record KrylovBasis(int n, int m, double[] vectors, double traceT) {}
