package org.hesse.cli;

import java.util.List;
import java.util.Map;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.NonFiniteSpectrumException;
import org.hesse.hvp.spectra.SpectraJson;
import org.hesse.hvp.spectra.SpectraOptions;

/**
 * The CLI's face of the library's per-layer spectra ({@link LayerSpectraEngine} over a local {@link Curvature}), shared
 * by {@code hesse spectrum} and {@code hesse analyze}: takes the commands' options, announces each phase on the
 * progress bar, returns the report's layer objects ({@link SpectraJson}) and turns a non-finite result into the
 * CLI's {@link NumericalFailure}.
 */
final class SpectrumEngine {
  /** What to compute; defaults are the CLI's ({@link SpectraOptions#defaults()}). */
  static final class Options {
    private static final SpectraOptions D = SpectraOptions.defaults();
    String curvature = D.curvature().id;
    int top = D.top();
    int bottom = D.bottom();
    boolean full = D.full();
    boolean density = D.density();
    boolean vectors = D.vectors();
    int slqSteps = D.slqSteps();
    int slqProbes = D.slqProbes();
    int densityPoints = D.densityPoints();
    int hutchBudget = D.hutchBudget();
    double tol = D.tol();
    long seed = D.seed();
    int ncv = D.ncv();
    int maxIterations = D.maxIterations();

    SpectraOptions toLibrary() {
      return new SpectraOptions(CurvatureKind.of(curvature), top, bottom, full, density, vectors, slqSteps, slqProbes,
          densityPoints, hutchBudget, tol, seed, ncv, maxIterations);
    }
  }

  static final List<String> CURVATURES = CurvatureKind.ids();

  private final LayerSpectraEngine engine;

  SpectrumEngine(Curvature curv, Options o) {
    this(CurvatureSource.of(curv), o);
  }

  SpectrumEngine(CurvatureSource source, Options o) {
    this.engine = new LayerSpectraEngine(source, o.toLibrary());
  }

  /** Where the phases of each layer are announced (a silent bar by default). */
  Progress progress = Progress.NONE;

  /** Eigenvectors of the last layer analysed (top first), for --vectors; null when none. */
  double[][] lastVectors;

  /** One layer's report object; eigenvectors of the top end, if computed, are left in {@link #lastVectors}. */
  Map<String, Object> layer(int l) {
    lastVectors = null;
    LayerSpectra s;
    try {
      s = engine.layer(l, phase -> progress.message(phase));
    } catch (NonFiniteSpectrumException e) {
      throw new NumericalFailure(e.getMessage());
    }
    lastVectors = s.topVectors();
    return SpectraJson.layer(s);
  }
}
