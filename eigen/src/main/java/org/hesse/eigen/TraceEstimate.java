package org.hesse.eigen;

/**
 * A stochastic estimate with its standard error (sample standard deviation of the per-probe values over
 * √samples; for Hutch++ that of its Hutchinson part, the low-rank part being exact given its sketch).
 *
 * @param method       "hutchinson-rademacher", "hutchinson-gaussian", "hutch++", "hutch++-eigenvectors" (Hutch++
 *                     with known eigenvectors in its Q), "hutch++-krylov" (Q an eigen-solve's Lanczos basis),
 *                     "frobenius²-rademacher", or "per-sample" (a dense layer's trace from per-sample probes at its
 *                     output, org.hesse.hvp.curvature.DenseLayerTrace: applications are then directions per sample of
 *                     passes started at the layer output, not products of the operator), or "per-sample-exact"
 *                     (its exact value: directions per sample of unit tangents at the layer output, or at the network
 *                     output taken backward)
 * @param samples      random probes that entered the estimate
 * @param applications operator applications used
 */
public record TraceEstimate(double estimate, double standardError, int samples, long applications, String method) {}
