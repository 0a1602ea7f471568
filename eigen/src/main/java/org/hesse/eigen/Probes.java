package org.hesse.eigen;

import java.util.SplittableRandom;

/**
 * Seeded random probe vectors. Probe {@code index} of a run with {@code seed} depends only on (seed, index), so
 * a caller can regenerate any probe (e.g. to check a quadrature) without storing it.
 */
public final class Probes {
  /** Distribution of probe entries. */
  public enum Distribution {
    /** ±1 with probability ½ each (lowest variance for Hutchinson among i.i.d. entries). */
    RADEMACHER,
    /** Standard normal. */
    GAUSSIAN
  }

  private Probes() {}

  /**
   * The random stream of probe index of a run with seed.
   *
   * @param seed  the run's seed
   * @param index the probe's index
   * @return a generator that depends only on (seed, index)
   */
  public static SplittableRandom stream(long seed, int index) {
    // SplitMix-style mixing so that nearby (seed, index) pairs give unrelated streams.
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new SplittableRandom(z ^ (z >>> 31));
  }

  /**
   * Fills out[0..n) with probe {@code index}.
   *
   * @param d     the entries' distribution
   * @param seed  the run's seed
   * @param index the probe's index
   * @param out   receives the probe, length &gt;= n
   * @param n     the probe's length
   */
  public static void fill(Distribution d, long seed, int index, double[] out, int n) {
    SplittableRandom r = stream(seed, index);
    if (d == Distribution.RADEMACHER) {
      long bits = 0;
      for (int i = 0; i < n; i++) {
        if ((i & 63) == 0) bits = r.nextLong();
        out[i] = ((bits >>> (i & 63)) & 1L) == 0 ? 1.0 : -1.0;
      }
    } else {
      // Box–Muller on the generator's doubles: reproducible across JDKs, unlike Random.nextGaussian.
      for (int i = 0; i < n; i += 2) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        double rad = Math.sqrt(-2.0 * Math.log(u1));
        out[i] = rad * Math.cos(2 * Math.PI * u2);
        if (i + 1 < n) out[i + 1] = rad * Math.sin(2 * Math.PI * u2);
      }
    }
  }

  /**
   * Probe {@code index} as a new array.
   *
   * @param d     the entries' distribution
   * @param seed  the run's seed
   * @param index the probe's index
   * @param n     the probe's length
   * @return the probe
   */
  public static double[] probe(Distribution d, long seed, int index, int n) {
    double[] v = new double[n];
    fill(d, seed, index, v, n);
    return v;
  }
}
