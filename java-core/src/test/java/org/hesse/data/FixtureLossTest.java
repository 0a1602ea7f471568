package org.hesse.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.hesse.io.Fixtures;
import org.hesse.io.LayerSpec;
import org.hesse.io.ModelSpec;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;
import org.hesse.simd.Erf;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End-to-end check of the readers against PyTorch: model.json + model.safetensors + data.csv, run through a plain
 * forward pass written here (weights row-major out × in, as the DESIGN fixes), must give PyTorch's loss.
 * A wrong tensor order, a transposed weight or a mis-read column would change the loss at the first digits.
 */
class FixtureLossTest {

    private static double loss(String fixture) throws IOException {
        Path d = Fixtures.dir(fixture);
        ModelSpec spec = ModelSpec.read(d.resolve("model.json"));
        Map<String, Tensor> w = Safetensors.read(d.resolve("model.safetensors"));
        boolean ce = spec.loss().equals("cross_entropy");
        Dataset data;
        if (ce) {
            data = Csv.readClassification(d.resolve("data.csv"), "label");
        } else {
            data = Csv.readRegression(d.resolve("data.csv"), "y0", "y1");
        }
        assertEquals(spec.input(), data.numFeatures());
        double total = 0;
        for (int n = 0; n < data.size(); n++) {
            double[] z = new double[spec.input()];
            System.arraycopy(data.x(), n * z.length, z, 0, z.length);
            for (int i = 0; i < spec.layers().size(); i++) {
                LayerSpec l = spec.layers().get(i);
                switch (l.type()) {
                    case "dense" -> {
                        double[] W = Safetensors.requireShape(w, i + ".weight", l.out(), z.length).data();
                        double[] b = Safetensors.requireShape(w, i + ".bias", l.out()).data();
                        double[] o = new double[l.out()];
                        for (int r = 0; r < o.length; r++) {
                            double s = b[r];
                            for (int c = 0; c < z.length; c++) {
                                s += W[r * z.length + c] * z[c];
                            }
                            o[r] = s;
                        }
                        z = o;
                    }
                    case "tanh" -> { for (int k = 0; k < z.length; k++) z[k] = Math.tanh(z[k]); }
                    case "gelu" -> { for (int k = 0; k < z.length; k++) z[k] = 0.5 * z[k] * (1 + Erf.erf(z[k] / Math.sqrt(2))); }
                    default -> fail("fixture uses layer type " + l.type() + " unknown to this test");
                }
            }
            if (ce) {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) max = Math.max(max, v);
                double s = 0;
                for (double v : z) s += Math.exp(v - max);
                total += Math.log(s) + max - z[data.labels()[n]];
            } else {
                // PyTorch MSELoss: mean over all N·C elements
                for (int k = 0; k < z.length; k++) {
                    double r = z[k] - data.targets()[n * z.length + k];
                    total += r * r / z.length;
                }
            }
        }
        return total / data.size();
    }

    @Test
    void lossesMatchPytorch() throws IOException {
        for (String f : new String[]{"pytorch-mlp-tanh-ce", "pytorch-mlp-gelu-mse"}) {
            double expected = new ObjectMapper().readTree(Fixtures.dir(f).resolve("reference.json").toFile()).get("loss").asDouble();
            // float64 on both sides, a few hundred operations: agreement to ~1e-15 relative; 1e-12 leaves room
            assertEquals(expected, loss(f), 1e-12 * Math.max(1, Math.abs(expected)), f);
        }
    }
}
