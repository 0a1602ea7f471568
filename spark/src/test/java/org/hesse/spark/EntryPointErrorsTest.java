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
    Network net = Nets.mlp(2, 3, 3, 2, Activation.TANH, "cross_entropy");
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
    return new String[] {msg};
  }

  @Test
  void aBadNumberInsideATaskIsOneLineNamingFileLineAndColumn() throws Exception {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "a,b,label\n1,2,0\n3,x7,1\n");
    String msg = run(2, "--data", csv.toString(), "--target", "label")[0];
    assertTrue(msg.startsWith("hesse: error: ") && msg.contains("bad.csv") && msg.contains("'b'") && msg.contains("x7"), msg);
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
