package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.hesse.data.RData;

/** Bytes of an R data file (gzip, bzip2, xz or plain around RDX2/RDX3), each data frame in it made a table. */
class RDataFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void read(byte[] data) throws Exception {
    FuzzContract.onlyInputErrors(() -> {
      for (var e : RData.readRda(data, "fuzz").entrySet()) {
        RData.toTable(e.getValue(), "fuzz " + e.getKey());
      }
      return null;
    });
  }
}
