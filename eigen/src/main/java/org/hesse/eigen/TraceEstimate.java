package org.hesse.eigen;

/**
 * A stochastic estimate with its standard error (sample standard deviation of the per-probe values over
 * √samples; for Hutch++ that of its Hutchinson part, the low-rank part being exact given its sketch).
 *
 * @param method       "hutchinson-rademacher", "hutchinson-gaussian", "hutch++", "hutch++-eigenvectors" (Hutch++
 *                     with known eigenvectors in its Q), "hutch++-krylov" (Q an eigen-solve's Lanczos basis) or
 *                     "frobenius²-rademacher"
 * @param samples      random probes that entered the estimate
 * @param applications operator applications used
 */
public record TraceEstimate(double estimate, double standardError, int samples, long applications, String method) {}
