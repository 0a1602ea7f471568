package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.hesse.data.Dataset;
import org.hesse.data.LibSvm;

/** LibSVM bytes (plain or gzip): the first byte picks classification or regression. */
class LibSvmFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void read(byte[] data) throws Exception {
    if (data.length == 0) return;
    Dataset.Task task = (data[0] & 1) == 0 ? Dataset.Task.CLASSIFICATION : Dataset.Task.REGRESSION;
    byte[] rest = Arrays.copyOfRange(data, 1, data.length);
    FuzzContract.onlyInputErrors(() -> LibSvm.read(new ByteArrayInputStream(rest), "fuzz", task, 0));
  }
}
