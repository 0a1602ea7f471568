package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.hesse.data.Idx;

/** IDX bytes (plain or gzip): the first byte picks images (idx3) or labels (idx1). */
class IdxFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void read(byte[] data) throws Exception {
    if (data.length == 0) return;
    boolean images = (data[0] & 1) == 0;
    byte[] rest = Arrays.copyOfRange(data, 1, data.length);
    FuzzContract.onlyInputErrors(() -> images ? Idx.readImages(new ByteArrayInputStream(rest), "fuzz", 0)
        : Idx.readLabels(new ByteArrayInputStream(rest), "fuzz", 0));
  }
}
