package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import org.hesse.data.Arff;

/** ARFF bytes (plain or gzip). */
class ArffFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void read(byte[] data) throws Exception {
    FuzzContract.onlyInputErrors(() -> Arff.read(new ByteArrayInputStream(data), "fuzz"));
  }
}
