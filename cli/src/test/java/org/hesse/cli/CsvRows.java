package org.hesse.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a report CSV (header, then rows) into one map per row, for the command tests. */
final class CsvRows {
  private CsvRows() {}

  static List<Map<String, String>> read(Path p) throws Exception {
    List<String> lines = Files.readAllLines(p);
    String[] head = lines.get(0).split(",");
    List<Map<String, String>> rows = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      String[] f = l.split(",", -1);
      Map<String, String> m = new HashMap<>();
      for (int i = 0; i < head.length; i++) m.put(head[i], f[i]);
      rows.add(m);
    }
    return rows;
  }
}
