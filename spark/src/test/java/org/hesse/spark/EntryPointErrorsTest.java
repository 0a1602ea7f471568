package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input reaches the user as one line naming the input, exit code 2, no report written, also when the error is
 * raised inside a Spark task (where it arrives wrapped in the job's failure, after the task's retries).
 */
class EntryPointErrorsTest {
  @TempDir Path dir;

  private String[] run(int expectedCode, String... extra) throws Exception {
    return new String[] {runWith(Nets.mlp(2, 3, 3, 2, Activation.TANH, "cross_entropy"), expectedCode, extra)};
  }

  private String runWith(Network net, int expectedCode, String... extra) throws Exception {
    Path out = dir.resolve("report.json");
    List<String> a = new ArrayList<>(List.of(ReportEqualityTest.files(dir, net, 1, extra)));
    a.addAll(List.of("--out", out.toString()));
    StringWriter err = new StringWriter();
    int code = SparkSpectrum.run(TestSpark.session(), new PrintWriter(new StringWriter()), new PrintWriter(err),
        a.toArray(String[]::new));
    String msg = err.toString().strip();
    assertEquals(expectedCode, code, msg);
    assertEquals(1, msg.lines().count(), "one line: " + msg);
    assertFalse(Files.exists(out), "nothing written");
    return msg;
  }

  @Test
  void aBadNumberInsideATaskIsOneLineNamingFileLineAndColumn() throws Exception {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "a,b,label\n1,2,0\n3,x7,1\n");
    String msg = run(2, "--data", csv.toString(), "--target", "label")[0];
    assertTrue(msg.startsWith("hesse: error: ") && msg.contains("bad.csv") && msg.contains("'b'") && msg.contains("x7"), msg);
  }

  /** A single file is read in 2 partitions (local[2,2]): the line named is the file's, not the partition's. */
  @Test
  void aBadNumberInTheSecondPartitionNamesTheFilesLine() throws Exception {
    StringBuilder sb = new StringBuilder("a,b,label\n");
    for (int i = 0; i < 200; i++) sb.append(i).append(",1.5,").append(i % 2).append('\n');
    sb.append("3,x7,1\n");  // line 202
    for (int i = 0; i < 5; i++) sb.append("1,2,0\n");
    Path csv = dir.resolve("long.csv");
    Files.writeString(csv, sb);
    assertTrue(TestSpark.context().textFile(csv.toString()).getNumPartitions() >= 2, "the file is split");
    String msg = run(2, "--data", csv.toString(), "--target", "label")[0];
    assertTrue(msg.contains("long.csv, line 202") && msg.contains("'b'") && !msg.contains("partition"), msg);
  }

  /** A loss that overflows (targets of 1e200) is a numerical failure: exit 3 as in hesse spectrum, one line. */
  @Test
  void aNonFiniteLossExitsThreeAsTheCli() throws Exception {
    Path csv = dir.resolve("huge.csv");
    Files.writeString(csv, "a,b,y0,y1\n1,2,1e200,0\n3,4,-1e200,1\n");
    Network net = Nets.mlp(2, 3, 3, 2, Activation.TANH, "mse");
    String[] common = ReportEqualityTest.files(dir, net, 1, "--data", csv.toString(), "--target", "y0,y1");
    List<String> local = new ArrayList<>(List.of("spectrum"));
    local.addAll(List.of(common));
    StringWriter localErr = new StringWriter();
    int localCode = org.hesse.cli.HesseCli.run(new PrintWriter(new StringWriter()), new PrintWriter(localErr), local.toArray(String[]::new));
    assertEquals(3, localCode, "the cli's code: " + localErr);
    String msg = runWith(net, 3, "--data", csv.toString(), "--target", "y0,y1");
    assertTrue(msg.contains("numerical failure") && msg.contains("loss"), msg);
  }

  @Test
  void aMissingTargetAndAnUnknownCurvatureAreRefusedBeforeAnyJob() throws Exception {
    Path csv = dir.resolve("ok.csv");
    Files.writeString(csv, "a,b,label\n1,2,0\n");
    String msg = run(2, "--data", csv.toString())[0];
    assertTrue(msg.contains("--target is required"), msg);
    msg = run(2, "--data", csv.toString(), "--target", "label", "--curvature", "backmatching")[0];
    assertTrue(msg.contains("--curvature backmatching: not distributed"), msg);
  }
}
