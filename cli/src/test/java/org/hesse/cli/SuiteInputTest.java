package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Suite files: a user's own data sets run without code changes; bad files and data are refused in one line, nothing written. */
class SuiteInputTest {
  @TempDir Path tmp;

  static final String TINY_RUN = "\"run\": {\"epochs\": 3, \"every\": 3, \"probe_size\": 16, \"top\": 1, \"slq_steps\": 5, "
      + "\"slq_probes\": 2, \"max_train_rows\": 100, \"max_test_rows\": 50}";

  Path write(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  /** 90 rows: two numeric features, a categorical one, a string label that depends on them. */
  String csv() {
    StringBuilder b = new StringBuilder("x1,x2,colour,label\n");
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    String[] colours = {"red", "green", "blue"};
    for (int i = 0; i < 90; i++) {
      double a = r.nextGaussian(), c = r.nextGaussian();
      String col = colours[i % 3];
      b.append(a).append(',').append(c).append(',').append(col).append(',').append(a + (col.equals("red") ? 1 : 0) > 0.3 ? "yes" : "no").append('\n');
    }
    return b.toString();
  }

  @Test
  void aUsersCsvAndArffRunWithoutCodeChanges() throws Exception {
    write("mine.csv", csv());
    StringBuilder arff = new StringBuilder("@relation toy\n@attribute a numeric\n@attribute b {u,v}\n@attribute y numeric\n@data\n");
    for (int i = 0; i < 60; i++) arff.append(i * 0.1).append(',').append(i % 2 == 0 ? "u" : "v").append(',').append(i * 0.3 + (i % 2)).append('\n');
    write("toy.arff", arff.toString());
    Path suite = write("suite.json", "{\"name\": \"mine\", \"datasets\": [{\"name\": \"mine\", \"file\": \"mine.csv\", \"target\": \"label\"}, "
        + "{\"name\": \"toy\", \"file\": \"toy.arff\", \"target\": \"y\"}], \"capacities\": {\"well\": 1}, \"label_noise\": [0, 0.4], " + TINY_RUN + "}");
    Path out = tmp.resolve("out");
    String[] r = SuiteCommandTest.run("suite", suite.toString(), "--out", out.toString(), "--jobs", "1");
    assertEquals("0", r[0], r[2]);
    // classification (string labels, one-hot colour): clean and noisy; regression (ARFF, numeric target): no noise variant
    for (String id : List.of("mine-well-noise0-seed0", "mine-well-noise40-seed0", "toy-well-noise0-seed0")) {
      String m = Files.readString(out.resolve("runs").resolve(id).resolve("run.json"));
      assertTrue(m.contains("\"status\" : \"complete\""), id + ": " + m);
    }
    assertFalse(Files.exists(out.resolve("runs/toy-well-noise40-seed0")));
    assertTrue(Files.readString(out.resolve("runs/mine-well-noise0-seed0/data/train.csv")).lines().findFirst().orElseThrow()
        .contains("colour=red"), "one-hot encoded");
    assertTrue(Files.exists(out.resolve("report.html")));
  }

  @Test
  void anInterruptedSuiteResumesKeepingFinishedRuns() throws Exception {
    Path suite = write("s.json", "{\"datasets\": [\"iris\"], \"capacities\": {\"under\": 0.1, \"well\": 1}, \"label_noise\": [0], " + TINY_RUN + "}");
    Path out = tmp.resolve("out");
    assertEquals("0", SuiteCommandTest.run("suite", suite.toString(), "--out", out.toString(), "--no-analysis")[0]);
    Path kept = out.resolve("runs/iris-under-noise0-seed0");
    Path redo = out.resolve("runs/iris-well-noise0-seed0");
    FileTime before = Files.getLastModifiedTime(kept.resolve("run.json"));
    String spectra = Files.readString(redo.resolve("spectra.json"));
    // an interrupted run: no marker, a partial file
    Files.delete(redo.resolve("run.json"));
    Files.writeString(redo.resolve("partial.tmp"), "x");
    String[] r = SuiteCommandTest.run("suite", suite.toString(), "--out", out.toString(), "--no-analysis");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[2].contains("resuming, 1 of 2 runs already finished"), r[2]);
    assertEquals(before, Files.getLastModifiedTime(kept.resolve("run.json")), "a finished run is kept");
    assertTrue(Files.exists(redo.resolve("run.json")) && !Files.exists(redo.resolve("partial.tmp")), "the interrupted run is redone");
    assertEquals(spectra, Files.readString(redo.resolve("spectra.json")), "and gives the same numbers");
    // another suite into the same directory is refused
    Path other = write("o.json", "{\"datasets\": [\"wine\"], " + TINY_RUN + "}");
    String[] bad = SuiteCommandTest.run("suite", other.toString(), "--out", out.toString());
    assertEquals("2", bad[0]);
    assertTrue(bad[2].contains("holds another suite"), bad[2]);
  }

  @Test
  void badSuiteFilesAndDataAreRefusedInOneLineAndNothingIsWritten() throws Exception {
    write("one_class.csv", "a,b,label\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n1,1,x\n2,2,x\n3,3,x\n4,4,x\n5,5,x\n6,6,x\n");
    write("ragged.csv", "a,b,label\n1,2,x\n3,y\n5,6,z\n");
    StringBuilder allMissing = new StringBuilder("a,b,label\n");
    for (int i = 0; i < 20; i++) allMissing.append(i).append(",,").append(i % 2 == 0 ? "p" : "q").append('\n');
    write("all_missing.csv", allMissing.toString());
    StringBuilder cat = new StringBuilder("a,c,label\n");
    for (int i = 0; i < 20; i++) cat.append(i).append(',').append(i % 3 == 0 ? "red" : "blue").append(',').append(i % 2 == 0 ? "p" : "q").append('\n');
    write("cat_train.csv", cat.toString());
    write("cat_test.csv", "a,c,label\n1,blue,p\n2,green,q\n");
    String[][] cases = {
        {"{", "not valid JSON"},
        {"[1]", "expected a JSON object"},
        {"{\"datasets\": [\"iris\"], \"bogus\": 1}", "'bogus': unknown field"},
        {"{\"datasets\": []}", "'datasets'"},
        {"{\"datasets\": [\"no_such_set\"]}", "'no_such_set' is not in the study's catalog"},
        {"{\"datasets\": [\"iris\", \"iris\"]}", "listed twice"},
        {"{\"datasets\": [\"iris\"], \"capacities\": {\"well\": -1}}", "'capacities.well'"},
        {"{\"datasets\": [\"iris\"], \"label_noise\": [1.5]}", "'label_noise': expected fractions in [0, 1)"},
        {"{\"datasets\": [\"iris\"], \"run\": {\"epochs\": 0}}", "'epochs': expected an integer >= 1"},
        {"{\"datasets\": [{\"name\": \"m\", \"file\": \"absent.csv\", \"target\": \"y\"}]}", "absent.csv not found"},
        {"{\"datasets\": [{\"name\": \"m\", \"file\": \"one_class.csv\", \"target\": \"label\"}]}", "class"},
        {"{\"datasets\": [{\"name\": \"m\", \"file\": \"ragged.csv\", \"target\": \"label\"}]}", "ragged.csv"},
        {"{\"datasets\": [{\"name\": \"m\", \"file\": \"all_missing.csv\", \"target\": \"label\"}]}", "'b'"},
        {"{\"datasets\": [{\"name\": \"m\", \"file\": \"cat_train.csv\", \"target\": \"label\", \"test_file\": \"absent.csv\"}]}", "absent.csv not found"},
        {"{\"datasets\": [{\"name\": \"m\", \"file\": \"cat_train.csv\", \"target\": \"label\", \"test_file\": \"cat_test.csv\"}]}",
            "line 3, column 'c': unknown category 'green'"},
    };
    int i = 0;
    for (String[] c : cases) {
      Path suite = write("bad" + i + ".json", c[0]);
      Path out = tmp.resolve("out" + i++);
      String[] r = SuiteCommandTest.run("suite", suite.toString(), "--out", out.toString());
      assertEquals("2", r[0], c[0] + " -> " + r[2]);
      assertEquals(1, r[2].strip().lines().count(), c[0] + " -> " + r[2]);
      assertTrue(r[2].startsWith("hesse: error: ") && r[2].contains(c[1]), c[0] + " -> " + r[2]);
      assertFalse(Files.exists(out), c[0] + ": nothing written");
    }
    try (Stream<Path> s = Files.list(tmp)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("out")), "no output directory at all");
    }
  }
}
