package org.hesse.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.hesse.eigen.Probes;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.interlayer.BlockNorms.Estimate;
import org.hesse.hvp.interlayer.InterLayer;
import org.hesse.io.AtomicFiles;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hesse interlayer}: inter-layer curvature between pairs of parametrised layers ({@link InterLayer}), as JSON:
 * per pair R, C, ‖H_vw‖_2, stable rank, GN-Gap (parameter space, exact or stochastic with standard errors) and the
 * activation-space R, C, GN-Gap; Φ and the mean coupling per node distance.
 */
@Command(name = "interlayer", mixinStandardHelpOptions = true,
    description = "Inter-layer curvature of a model on a data set: for pairs of parametrised layers the off-diagonal "
        + "Hessian block's resonance R = ‖H_vw‖_F, coupling C, spectral norm, stable rank and GN-Gap (exact where the "
        + "blocks fit the memory budget, else Hutchinson / power iteration with standard errors), the activation-space "
        + "R, C and GN-Gap, and Φ, the share of curvature a block-diagonal preconditioner discards.")
public final class InterlayerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ModelInputs io;

  @Option(names = "--pairs", defaultValue = "all", description = "all, or pairs of layers such as 0:2,1:3 (names or "
      + "indices of layers with parameters) (default ${DEFAULT-VALUE}).")
  String pairs;

  @Option(names = "--stochastic", description = "Estimate every norm stochastically even where the blocks fit.")
  boolean stochastic;

  @Option(names = "--probes", defaultValue = "64", description = "Hutchinson probes per Frobenius norm (default ${DEFAULT-VALUE}).")
  int probes;

  @Option(names = "--probe", defaultValue = "rademacher", description = "rademacher or gaussian probe entries (default ${DEFAULT-VALUE}).")
  String probe;

  @Option(names = "--power-iterations", defaultValue = "200", description = "Most power iterations for ‖H_vw‖_2 (default ${DEFAULT-VALUE}).")
  int powerIterations;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the probes (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", description = "Write the JSON report here (atomically) instead of stdout.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (probes < 2) throw new IllegalArgumentException("--probes: expected >= 2 (a standard error needs two), got " + probes);
    if (powerIterations < 1) throw new IllegalArgumentException("--power-iterations: expected >= 1, got " + powerIterations);
    Probes.Distribution dist;
    try {
      dist = Probes.Distribution.valueOf(probe.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--probe: expected rademacher or gaussian, got '" + probe + "'");
    }
    long t0 = System.nanoTime();
    ModelInputs.Loaded loaded = io.load(out);
    Network net = loaded.net;
    List<int[]> selected = parsePairs(net, pairs);
    PrintWriter err = spec.commandLine().getErr();
    for (String note : loaded.notes()) err.println(note);
    err.flush();
    Curvature c = io.curvature(loaded);
    InterLayer.Options o = new InterLayer.Options();
    o.stochastic = stochastic;
    o.probes = probes;
    o.distribution = dist;
    o.powerIterations = powerIterations;
    o.seed = seed;
    InterLayer il = new InterLayer(c, o);
    InterLayer.Result r = il.compute(selected.isEmpty() ? il.allPairs() : selected);
    Map<String, Object> report = report(c, io.curvatureCache, io.mode, o, r, t0);
    String json = Json.write(report);
    if (out == null) {
      spec.commandLine().getOut().println(json);
    } else {
      AtomicFiles.writeString(out, json + "\n");
    }
    return 0;
  }

  /** "all" (every pair, returned as an empty list) or "a:b,c:d" with two different layers with parameters each. */
  static List<int[]> parsePairs(Network net, String spec) {
    List<int[]> out = new ArrayList<>();
    if (spec == null || "all".equals(spec.trim())) return out;
    for (String s : spec.split(",", -1)) {
      String[] ab = s.split(":", -1);
      if (ab.length != 2) throw new IllegalArgumentException("--pairs: '" + s + "' is not a pair; expected v:w such as 0:2");
      int[] p = new int[2];
      for (int i = 0; i < 2; i++) {
        try {
          p[i] = net.layerIndex(ab[i]);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--pairs: " + e.getMessage(), e);
        }
      }
      if (p[0] == p[1]) throw new IllegalArgumentException("--pairs: '" + s + "' pairs a layer with itself; expected two different layers");
      out.add(p);
    }
    return out;
  }

  /**
   * The JSON report of a computation on {@code c} with options {@code o}, started at {@code t0} (System.nanoTime);
   * {@code cacheOption} the --curvature-cache given (null where there is no such option: analyze's probe set).
   */
  static Map<String, Object> report(Curvature c, String cacheOption, String mode, InterLayer.Options o,
                                    InterLayer.Result r, long t0) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("loss", Json.num(c.loss()));
    report.put("samples", c.samples());
    report.put("mode", mode);
    report.put("batch", c.batchSize());
    report.put("phi", estimate(r.phi()));
    report.put("phi_path", r.phiPath());
    Map<String, Object> byDistance = new LinkedHashMap<>();
    r.meanCouplingByDistance().forEach((d, m) -> byDistance.put(Integer.toString(d), Json.num(m)));
    report.put("mean_coupling_by_distance", byDistance);
    List<Object> rows = new ArrayList<>();
    for (InterLayer.PairMetrics m : r.pairs()) rows.add(pair(m));
    report.put("pairs", rows);
    Map<String, Object> prov = new LinkedHashMap<>();
    prov.put("hesse_version", String.valueOf(HesseCli.class.getPackage().getImplementationVersion()));
    prov.put("memory_budget_bytes", MemoryBudget.current().bytes());
    prov.put("curvature_cache", c.cacheProvenance(cacheOption));
    prov.put("stochastic_forced", o.stochastic);
    prov.put("probes", o.probes);
    prov.put("probe", o.distribution.name().toLowerCase(Locale.ROOT));
    prov.put("seed", o.seed);
    prov.put("seconds", (System.nanoTime() - t0) / 1e9);
    report.put("provenance", prov);
    return report;
  }

  private static Map<String, Object> estimate(Estimate e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", Json.num(e.value()));
    m.put("standard_error", Json.num(e.standardError()));
    return m;
  }

  private static Map<String, Object> pair(InterLayer.PairMetrics m) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("v", m.nameV());
    p.put("w", m.nameW());
    p.put("shape", List.of(m.rows(), m.cols()));
    p.put("distance", m.distance());
    p.put("path", m.path());
    p.put("resonance", estimate(m.resonance()));
    p.put("coupling", estimate(m.coupling()));
    p.put("spectral_norm", Json.num(m.spectralNorm()));
    if (m.powerIterations() > 0) p.put("power_iterations", m.powerIterations());
    p.put("stable_rank", estimate(m.stableRank()));
    p.put("gn_gap", estimate(m.gnGap()));
    p.put("ggn_resonance", estimate(m.ggnResonance()));
    p.put("tensor_resonance", estimate(m.tensorResonance()));
    if (m.singularValues() != null) p.put("singular_values", Json.nums(m.singularValues()));
    if (m.activation() != null) {
      Map<String, Object> a = new LinkedHashMap<>();
      if (m.activation().skipped() != null) {
        a.put("skipped", m.activation().skipped());
      } else {
        a.put("resonance", Json.num(m.activation().resonance()));
        a.put("coupling", Json.num(m.activation().coupling()));
        a.put("gn_gap", Json.num(m.activation().gnGap()));
      }
      p.put("activation", a);
    }
    return p;
  }
}
