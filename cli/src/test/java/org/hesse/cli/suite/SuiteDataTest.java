package org.hesse.cli.suite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hesse.data.Dataset;
import org.hesse.io.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A user's data set with a separate test file: the fixed split and the training file's encoding, checked by hand. */
class SuiteDataTest {
  @TempDir Path tmp;

  static final SuiteSpec.RunSettings CAPS =
      new SuiteSpec.RunSettings(1000, 1000, 0.3, 1, 1, 8, 1, 5, 1, 0.05, 8, "tanh", 1);

  @Test
  void aTestFileIsTheTestSplitEncodedAsTheTrainingFile() throws Exception {
    Path train = Files.writeString(tmp.resolve("train.csv"), "a,c,label\n1,red,p\n2,blue,q\n3,red,q\n4,blue,p\n");
    Path test = Files.writeString(tmp.resolve("test.csv"), "a,c,label\n5,blue,q\n,red,p\n");
    SuiteData.Source src = SuiteData.loadFile(train, "label", test);
    SuiteData.RunSplit split = SuiteData.split(src, CAPS, 0, 7);
    assertEquals(4, split.train().size(), "every row of the data file trains");
    assertEquals(2, split.test().size(), "every row of the test file tests");
    Dataset t = split.test();
    assertEquals(split.train().featureNames(), t.featureNames());
    // columns a, c=blue, c=red (levels of the training file); a's missing cell takes the training mean 2.5 and
    // (no training value missing) no indicator column exists.
    assertEquals(java.util.List.of("a", "c=blue", "c=red"), t.featureNames());
    assertArrayEquals(new double[] {5, 1, 0, 2.5, 0, 1}, t.x(), 0);
    assertArrayEquals(new int[] {1, 0}, t.labels(), "classes p, q numbered as in the training file");
  }

  @Test
  void aCategoryTheDataFileNeverHasIsRefusedNamingTheTestFile() throws Exception {
    Path train = Files.writeString(tmp.resolve("train.csv"), "a,c,label\n1,red,p\n2,blue,q\n");
    Path test = Files.writeString(tmp.resolve("test.csv"), "a,c,label\n5,green,q\n");
    InputException e = assertThrows(InputException.class, () -> SuiteData.loadFile(train, "label", test));
    assertTrue(e.getMessage().contains("test.csv") && e.getMessage().contains("unknown category 'green'"), e.getMessage());
  }
}
