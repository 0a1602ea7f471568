/**
 * Per-layer spectra of a network's curvature as typed results: {@link org.hesse.hvp.spectra.LayerSpectraEngine}
 * computes, for each parametrised layer, the top and bottom eigenvalues, the trace, the SLQ density and the spectral
 * metrics of one curvature block ({@link org.hesse.hvp.spectra.CurvatureKind}: Hessian, GGN or back-matching), each
 * with its source, as a {@link org.hesse.hvp.spectra.LayerSpectra} record. The blocks come from a
 * {@link org.hesse.hvp.spectra.CurvatureSource}: a local {@code Curvature}
 * ({@link org.hesse.hvp.spectra.CurvatureSource#of}), a data-parallel one (the Spark module), or any symmetric
 * {@code LinearOperator} a framework provides. {@link org.hesse.hvp.spectra.SpectraJson} turns the records into the
 * report objects of {@code hesse spectrum}.
 *
 * <pre>{@code
 * Curvature c = Curvature.of(net, theta, x, y, 256);
 * LayerSpectraEngine engine = new LayerSpectraEngine(CurvatureSource.of(c), SpectraOptions.defaults());
 * for (int l : net.parametrisedLayers()) {
 *   LayerSpectra s = engine.layer(l);
 *   System.out.println(s.name() + ": λ_max " + s.lambdaMax().value() + ", trace " + s.trace().value());
 * }
 * }</pre>
 */
package org.hesse.hvp.spectra;
