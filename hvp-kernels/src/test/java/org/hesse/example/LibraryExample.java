package org.hesse.example;

import java.nio.file.Path;
import java.util.Arrays;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;

/** Per-layer Hessian spectra of a classifier in the native formats (e.g. from tools/hesse_export.py). */
public final class LibraryExample {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);  // model.json, model.safetensors, data.csv (features x0.., column "label")
    Network net = ModelFiles.readNetwork(dir.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    Dataset data = Csv.readClassification(dir.resolve("data.csv"), "label");
    double[] y = Arrays.stream(data.labels()).asDoubleStream().toArray();  // cross_entropy: class indices

    // forward pass and gradient signals once, cached for every product; batches of 256 rows
    Curvature curvature = Curvature.of(net, theta, data.x(), y, 256);
    LayerSpectraEngine engine = new LayerSpectraEngine(CurvatureSource.of(curvature), SpectraOptions.defaults());
    System.out.println("loss " + curvature.loss());
    for (int layer : net.parametrisedLayers()) {
      LayerSpectra s = engine.layer(layer);  // top 5 and trace: dense LAPACK for small blocks, else ARPACK, Hutch++
      LayerSpectra.TraceValue t = s.trace();  // an estimate has a standard error, an exact trace none
      System.out.println("layer " + s.name() + " " + s.type() + " params " + s.params()
          + " lambda_max " + s.lambdaMax().value() + " trace " + t.value() + " " + t.source()
          + (t.estimate() == null ? "" : " se " + t.estimate().standardError()));
    }
  }
}
