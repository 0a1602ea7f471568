package org.hesse.io.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.hesse.io.InputException;
import org.hesse.nn.Network;

/**
 * ONNX bytes: imported (network, parameters and buffers built), or refused with a one-line InputException; any other
 * exception is a finding. The default suite replays the corpus (OnnxFuzzTestInputs/, seeded with a real export);
 * {@code mvn -B -Pfuzz-onnx test -pl onnx -am} fuzzes it.
 */
class OnnxFuzzTest {
  @FuzzTest(maxExecutions = 1_000_000, maxDuration = "60m")
  void decode(byte[] data) {
    try {
      OnnxImport.Imported imp = OnnxImport.decode(data, null, "cross_entropy", "fuzz");
      Network net = imp.network();
      imp.parameters(net);
      imp.buffers(net);
    } catch (InputException e) {
      if (e.getMessage() == null || e.getMessage().contains("\n")) throw new AssertionError("an input error must be one line: " + e.getMessage(), e);
    }
  }
}
