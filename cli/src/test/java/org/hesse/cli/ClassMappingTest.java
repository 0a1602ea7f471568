package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class mapping a run stores (config.json "classes") and spectrum's use of it: labels {0, 1, 2, 7} are four
 * classes (7 is class 3); a file lacking label 2 keeps 7 as class 3, checked against the cross-entropy computed here
 * from the model's logits with the mapping written out by hand; a label the run never saw is refused.
 */
class ClassMappingTest {
  @TempDir Path tmp;

  static final int[] LABELS = {0, 1, 2, 7};

  /** 80 rows of 4 features, labels cycling through {0, 1, 2, 7}, features shifted by the class so training learns. */
  static List<double[]> rows() {
    SplittableRandom r = new SplittableRandom(11);
    List<double[]> rows = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      int c = i % 4;
      rows.add(new double[] {r.nextGaussian() + c, r.nextGaussian() - c, r.nextGaussian() * 0.5, r.nextGaussian() + (c == 3 ? 2 : 0), LABELS[c]});
    }
    return rows;
  }

  static Path csv(Path file, List<double[]> rows, IntPredicate keepLabel, Integer extraLabel) throws Exception {
    StringBuilder b = new StringBuilder("a,b,c,d,label\n");
    for (double[] row : rows) {
      if (!keepLabel.test((int) row[4])) continue;
      b.append(String.format(Locale.ROOT, "%.17g,%.17g,%.17g,%.17g,%d%n", row[0], row[1], row[2], row[3], (int) row[4]));
    }
    if (extraLabel != null) b.append("0.5,0.5,0.5,0.5,").append(extraLabel).append('\n');
    Files.writeString(file, b);
    return file;
  }

  /** Mean cross-entropy of the run's model on the rows whose label passes keep, class index = position in LABELS. */
  static double handLoss(Path run, List<double[]> rows, IntPredicate keep) throws Exception {
    return handLossMapped(run, rows, keep, new int[] {0, 1, 2, 3});
  }

  @Test
  void spectrumMapsOtherDataToTheRunsClasses() throws Exception {
    List<double[]> rows = rows();
    Path train = csv(tmp.resolve("train.csv"), rows, l -> true, null);
    Path run = tmp.resolve("run");
    RunDirCommandTest.Run t = RunDirCommandTest.run("train", "--data", train.toString(), "--target", "label", "--model", "mlp:6",
        "--epochs", "5", "--validation", "0", "--no-standardize", "--out", run.toString());
    assertEquals(0, t.code(), t.err());
    JsonNode config = RunDirCommandTest.json(Files.readString(run.resolve("config.json")));
    assertEquals("[\"0\",\"1\",\"2\",\"7\"]", config.get("classes").toString());
    assertEquals(4, ModelFiles.readNetwork(run.resolve("model.json")).outputSize());

    // the training data through the run: the trainer's own final loss, and the hand-computed one
    double trainerLoss = RunDirCommandTest.lastTrainLoss(run);
    RunDirCommandTest.Run all = RunDirCommandTest.run("spectrum", "--run", run.toString(), "--top", "1");
    assertEquals(0, all.code(), all.err());
    assertEquals(trainerLoss, RunDirCommandTest.json(all.out()).get("loss").asDouble(), 1e-12 * trainerLoss);
    assertEquals(handLoss(run, rows, l -> true), trainerLoss, 1e-12 * trainerLoss);

    // a file without label 2: read alone its classes are {0, 1, 7} (7 would be class 2); through the run 7 is class 3
    IntPredicate no2 = l -> l != 2;
    Path test = csv(tmp.resolve("test.csv"), rows, no2, null);
    double expected = handLoss(run, rows, no2);
    for (String[] args : List.of(new String[] {"--run", run.toString(), "--data", test.toString(), "--target", "label"},
        new String[] {"--model", run.resolve("model.json").toString(), "--weights", run.resolve("model.safetensors").toString(),
            "--data", test.toString(), "--target", "label"})) {
      RunDirCommandTest.Run s = RunDirCommandTest.run(SpectrumCommandTest.concat(SpectrumCommandTest.concat(
          new String[] {"spectrum"}, args), "--top", "1"));
      assertEquals(0, s.code(), s.err());
      assertEquals(expected, RunDirCommandTest.json(s.out()).get("loss").asDouble(), 1e-12 * expected, s.err());
      assertTrue(s.err().contains("hesse: warning: --data " + test + " has no rows of class 2 of the run's 4 classes"), s.err());
    }
    // the mapping matters: with 7 as class 2 the loss is another one
    double wrong = handLossMapped(run, rows, no2, new int[] {0, 1, -1, 2});
    assertTrue(Math.abs(wrong - expected) > 1e-3 * expected, wrong + " vs " + expected);

    // a label the run never saw: one line naming the file and the run's classes, exit 2, no report
    Path unseen = csv(tmp.resolve("unseen.csv"), rows, no2, 5);
    Path report = tmp.resolve("r.json");
    RunDirCommandTest.Run bad = RunDirCommandTest.run("spectrum", "--run", run.toString(), "--data", unseen.toString(),
        "--target", "label", "--out", report.toString());
    assertEquals(2, bad.code(), bad.err());
    assertEquals(1, bad.errLines().size(), bad.err());
    assertTrue(bad.err().startsWith("hesse: error: --data " + unseen + " (with the classes of " + run.resolve("config.json")
        + "): class label '5' is not one of the 4 classes [0, 1, 2, 7]"), bad.err());
    assertFalse(Files.exists(report));
  }

  /**
   * A model without its run (no config.json beside it) reads numeric labels as class indices, as PyTorch does: a file
   * with labels {0, 1, 3} keeps 3 as class 3 (read alone it would be class 2), checked against the hand-computed
   * cross-entropy.
   */
  @Test
  void withoutARunNumericLabelsAreTheModelsClassIndices() throws Exception {
    List<double[]> rows = rows();
    Path run = tmp.resolve("run");
    RunDirCommandTest.Run t = RunDirCommandTest.run("train", "--data", csv(tmp.resolve("train.csv"), rows, l -> true, null).toString(),
        "--target", "label", "--model", "mlp:6", "--epochs", "2", "--validation", "0", "--no-standardize", "--out", run.toString());
    assertEquals(0, t.code(), t.err());
    Path alone = Files.createDirectories(tmp.resolve("alone"));
    Files.copy(run.resolve("model.json"), alone.resolve("model.json"));
    Files.copy(run.resolve("model.safetensors"), alone.resolve("model.safetensors"));
    // the same rows labelled by class index (the position of their label in LABELS), without class 2
    List<double[]> indexed = new ArrayList<>();
    for (double[] row : rows) {
      double[] r = row.clone();
      r[4] = java.util.Arrays.binarySearch(LABELS, (int) row[4]);
      indexed.add(r);
    }
    Path test = csv(tmp.resolve("indices.csv"), indexed, c -> c != 2, null);
    RunDirCommandTest.Run s = RunDirCommandTest.run("spectrum", "--model", alone.resolve("model.json").toString(), "--weights",
        alone.resolve("model.safetensors").toString(), "--data", test.toString(), "--target", "label", "--top", "1");
    assertEquals(0, s.code(), s.err());
    double expected = handLossMapped(run, rows, l -> l != 2, new int[] {0, 1, 2, 3});
    assertEquals(expected, RunDirCommandTest.json(s.out()).get("loss").asDouble(), 1e-12 * expected, s.err());
    double renumbered = handLossMapped(run, rows, l -> l != 2, new int[] {0, 1, -1, 2});
    assertTrue(Math.abs(renumbered - expected) > 1e-3 * expected, renumbered + " vs " + expected);
  }

  @Test
  void analyzeStoresTheMappingToo() throws Exception {
    Path train = csv(tmp.resolve("train.csv"), rows(), l -> l != 1, null);
    Path run = tmp.resolve("analyzed");
    RunDirCommandTest.Run a = RunDirCommandTest.run("analyze", "--data", train.toString(), "--target", "label", "--model",
        "mlp:4", "--epochs", "1", "--every", "1", "--top", "1", "--out", run.toString());
    assertEquals(0, a.code(), a.err());
    assertEquals("[\"0\",\"2\",\"7\"]", RunDirCommandTest.json(Files.readString(run.resolve("config.json"))).get("classes").toString());
  }

  /** Mean cross-entropy from the logits, label → class by classOf (indexed by the label's position in LABELS). */
  static double handLossMapped(Path run, List<double[]> rows, IntPredicate keep, int[] classOf) throws Exception {
    Network net = ModelFiles.readNetwork(run.resolve("model.json"));
    double[] theta = ModelFiles.readParameters(net, run.resolve("model.safetensors"));
    Workspace ws = net.newWorkspace(1);
    double sum = 0;
    int n = 0;
    for (double[] row : rows) {
      if (!keep.test((int) row[4])) continue;
      System.arraycopy(row, 0, ws.input(), 0, 4);
      net.forward(theta, ws, 1);
      double[] z = ws.output();
      int c = classOf[java.util.Arrays.binarySearch(LABELS, (int) row[4])];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < 4; k++) max = Math.max(max, z[k]);
      double lse = 0;
      for (int k = 0; k < 4; k++) lse += Math.exp(z[k] - max);
      sum += max + Math.log(lse) - z[c];
      n++;
    }
    return sum / n;
  }
}
