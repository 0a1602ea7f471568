package org.hesse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hesse.io.InputException;
import org.junit.jupiter.api.Test;

/**
 * A classification file read in parts (labels of every part first, then each part numbered over all of them)
 * against the same file read at once: the same classes, class names and per-row indices, for numeric labels
 * (with a non-canonical 2.0), for names, and for a column mixing both; line numbers are the file's.
 */
class CsvPartsTest {
  private static final String HEADER = "a,label";

  private static InputStream text(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void partsNumberTheirRowsAsTheWholeFile() throws Exception {
    for (List<String> labels : List.of(List.of("7", "2.0", "-1", "2", "7", "-1"), List.of("emu", "cat", "dog", "cat", "emu", "ant"),
        List.of("1.0", "cat", "1", "10", "cat", "2"))) {
      StringBuilder whole = new StringBuilder(HEADER).append('\n');
      for (int i = 0; i < labels.size(); i++) whole.append(i).append(',').append(labels.get(i)).append('\n');
      Dataset all = Csv.read(text(whole.toString()), "whole", Dataset.Task.CLASSIFICATION, List.of("label"), null);
      // three parts of two rows: the first parts lack some classes
      Set<String> seen = new LinkedHashSet<>();
      for (int p = 0; p < 3; p++) seen.addAll(Csv.labels(text(part(labels, p)), "part", "label", 2 + 2 * p));
      List<Integer> indices = new ArrayList<>();
      for (int p = 0; p < 3; p++) {
        Dataset d = Csv.readPart(text(part(labels, p)), "part", Dataset.Task.CLASSIFICATION, List.of("label"), seen, 2 + 2 * p);
        assertEquals(all.classNames(), d.classNames(), labels.toString());
        for (int l : d.labels()) indices.add(l);
      }
      assertArrayEquals(all.labels(), indices.stream().mapToInt(Integer::intValue).toArray(), labels.toString());
      assertEquals(all.classNames(), Csv.classOrder(seen));
    }
  }

  @Test
  void aPartsErrorNamesTheFilesLineAndAnUnseenLabelIsRefused() throws Exception {
    InputException e = assertThrows(InputException.class, () ->
        Csv.readPart(text(HEADER + "\n1,0\nx,1\n"), "f.csv", Dataset.Task.CLASSIFICATION, List.of("label"), List.of("0", "1"), 40));
    assertTrue(e.getMessage().contains("f.csv, line 41, column 'a'"), e.getMessage());
    e = assertThrows(InputException.class, () ->
        Csv.readPart(text(HEADER + "\n1,0\n2,5\n"), "f.csv", Dataset.Task.CLASSIFICATION, List.of("label"), List.of("0", "1"), 2));
    assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("'5'"), e.getMessage());
  }

  private static String part(List<String> labels, int p) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (int i = 2 * p; i < 2 * p + 2; i++) sb.append(i).append(',').append(labels.get(i)).append('\n');
    return sb.toString();
  }
}
