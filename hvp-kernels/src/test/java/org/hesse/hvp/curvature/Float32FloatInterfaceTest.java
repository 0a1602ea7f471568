package org.hesse.hvp.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.hvp.curvature.Float32CurvatureTest.Case;
import org.hesse.nn.Nets;
import org.hesse.precision.Precision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Float32Curvature}'s float interface (update from float θ, products of float directions in float) against its
 * double interface at the widened vectors, which it must reproduce exactly (the float product is the double one
 * rounded once: both run the same float passes, and round(widen(f)) = f), and against the float64 engine within
 * {@link Float32CurvatureTest#TOL}. Several batches (the sum over batches in double), one batch (written straight into
 * the caller's array), and a tied weight (the shared-tensor route); cached and streamed.
 */
class Float32FloatInterfaceTest {
  static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }

  @ParameterizedTest(name = "{0}, batch {1}, cache {2}")
  @CsvSource({"pytorch-mlp-tanh-ce, 7, ALL", "pytorch-mlp-tanh-ce, 1000, ALL", "graph-tied-mlp, 5, ALL",
      "pytorch-mlp-tanh-ce, 7, NONE", "pytorch-mlp-tanh-ce, 1000, NONE"})
  void floatInterfaceIsTheDoubleOneRounded(String name, int batchSize, Curvature.CacheMode cache) throws IOException {
    Case c = Float32CurvatureTest.load(name);
    int batch = Math.min(batchSize, c.y().length);
    int p = c.net().paramCount();
    float[] thetaF = Precision.round(c.theta(), null);
    double[] thetaW = widen(thetaF);
    double[] elsewhere = Nets.gaussian(p, 0.1, 9);
    // one moved by the double interface, one by the float interface, both from another θ
    Float32Curvature byDouble = Float32Curvature.of(c.net(), elsewhere, c.x(), c.y(), batch);
    // streamed batches (NONE) go through the same float interface; the double one on cached batches is the reference
    Float32Curvature byFloat = Float32Curvature.of(c.net(), elsewhere, c.net().bufferCount() == 0 ? null
        : c.net().initialBuffers(), org.hesse.nn.Mode.ANALYSIS, c.x(), c.y(), batch, cache);
    byDouble.update(thetaW);
    byFloat.update(thetaF);
    assertEquals(byDouble.loss(), byFloat.loss(), 0.0, name + " loss");
    assertArrayEquals(byDouble.gradient(), byFloat.gradient(), 0.0, name + " gradient");
    assertArrayEquals(thetaW, byFloat.parameters(), 0.0, name + " parameters widened");
    Curvature c64 = Curvature.of(c.net(), thetaW, c.x(), c.y(), batch);

    int k = 3;
    float[] vF = new float[k * p];
    for (int j = 0; j < k; j++) {
      double[] g = Nets.gaussian(p, 1.0, 40 + j);
      for (int i = 0; i < p; i++) vF[j * p + i] = (float) g[i];
    }
    double[] vW = widen(vF);
    for (Kind kind : Kind.values()) {
      double[] hd = new double[k * p];
      byDouble.full(kind).applyMany(vW, hd, k);
      float[] hf = new float[k * p];
      byFloat.full(kind).applyMany(vF, hf, k);
      for (int i = 0; i < k * p; i++) {
        int at = i;
        assertEquals(Float.floatToIntBits((float) hd[i]), Float.floatToIntBits(hf[i]),
            () -> name + " " + kind + ": float product at " + at + " is not the double one rounded");
      }
      // One direction is a different GEMM shape (n = 1) from three: BLAS may sum in another order (it does under
      // OpenBLAS's Prescott, Nehalem and Core2 kernels), so the single apply is held bit-exact to the double
      // interface's single apply, and only to within float rounding of the three-column product.
      float[] one = new float[p];
      byFloat.full(kind).apply(java.util.Arrays.copyOf(vF, p), one);
      float[] inPlace = java.util.Arrays.copyOf(vF, p);
      byFloat.full(kind).apply(inPlace, inPlace);
      double[] oneD = new double[p];
      byDouble.full(kind).apply(java.util.Arrays.copyOf(vW, p), oneD);
      for (int i = 0; i < p; i++) {
        assertEquals(Float.floatToIntBits((float) oneD[i]), Float.floatToIntBits(one[i]), name + " " + kind + " apply at " + i);
        assertEquals(Float.floatToIntBits(one[i]), Float.floatToIntBits(inPlace[i]), name + " " + kind + " in place at " + i);
      }
      double shapes = Float32CurvatureTest.relErr(widen(one), widen(java.util.Arrays.copyOf(hf, p)));
      assertTrue(shapes < 1e-5, name + " " + kind + ": one direction against three, relative error " + shapes);
      double[] h64 = new double[k * p];
      c64.full(kind).applyMany(vW, h64, k);
      double e = Float32CurvatureTest.relErr(widen(hf), h64);
      assertTrue(e < Float32CurvatureTest.TOL, name + " " + kind + ": relative error against float64 " + e);

      int l = c.net().parametrisedLayers().get(c.net().parametrisedLayers().size() - 1);
      int d = c.net().blockSize(l);
      float[] bv = java.util.Arrays.copyOf(vF, d);
      double[] bd = new double[d];
      float[] bf = new float[d];
      byDouble.block(kind, l).apply(widen(bv), bd);
      byFloat.block(kind, l).apply(bv, bf);
      for (int i = 0; i < d; i++) {
        assertEquals(Float.floatToIntBits((float) bd[i]), Float.floatToIntBits(bf[i]), name + " " + kind + " block at " + i);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"pytorch-mlp-tanh-ce"})
  void refusesShortVectors(String name) throws IOException {
    Case c = Float32CurvatureTest.load(name);
    Float32Curvature f = Float32Curvature.of(c.net(), c.theta(), c.x(), c.y(), 7);
    int p = c.net().paramCount();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> f.full(Kind.HESSIAN).apply(new float[p - 1], new float[p]));
    assertTrue(e.getMessage().startsWith("x must have length >= " + p), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> f.full(Kind.GGN).applyMany(new float[p], new float[p], 0));
    assertEquals("k must be > 0, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> f.full(Kind.HESSIAN).apply(new float[p], new float[p - 1]));
    assertTrue(e.getMessage().startsWith("y must have length >= " + p), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> f.update(new float[p + 1]));
    assertTrue(e.getMessage().contains("expected " + p + " values, got " + (p + 1)), e.getMessage());
  }
}
