package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.hesse.io.Safetensors;

/** Safetensors bytes: decoded, or refused with InputException. */
class SafetensorsFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void decode(byte[] data) throws Exception {
    FuzzContract.onlyInputErrors(() -> Safetensors.decode(data, "fuzz"));
  }
}
