package org.hesse.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;

/** model.json bytes: parsed and built into a network (sizes checked, nothing large allocated), or refused. */
class ModelJsonFuzzTest {
  @FuzzTest(maxExecutions = FuzzContract.EXECUTIONS, maxDuration = "60m")
  void parseAndBuild(byte[] data) throws Exception {
    FuzzContract.onlyInputErrors(() -> ModelFiles.network(ModelSpec.parse(data, "fuzz"), "fuzz"));
  }
}
