package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;

/** CSV bytes (plain or gzip): the first byte picks classification on 'label' or regression on 'y'. */
class CsvFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void read(byte[] data) throws Exception {
    if (data.length == 0) return;
    boolean classify = (data[0] & 1) == 0;
    byte[] rest = Arrays.copyOfRange(data, 1, data.length);
    FuzzContract.onlyInputErrors(() -> Csv.read(new ByteArrayInputStream(rest), "fuzz",
        classify ? Dataset.Task.CLASSIFICATION : Dataset.Task.REGRESSION, List.of(classify ? "label" : "y"), null));
  }
}
