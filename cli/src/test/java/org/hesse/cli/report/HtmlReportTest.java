package org.hesse.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.EpochPoint;
import org.hesse.cli.report.RunData.Finding;
import org.hesse.cli.report.RunData.LayerPoint;
import org.junit.jupiter.api.Test;

/** The report's diagnostics section: every finding labelled uncalibrated with its rule, every rule with a status. */
class HtmlReportTest {
  @Test
  void aFindingShowsItsCalibrationLabelRuleAndThresholdsAndEveryRuleHasAStatus() {
    LayerPoint dead = new LayerPoint("0", "dense", 100, 1, 1, -0.01, 5, 100, 0.1, 0.0, 0.99, "slq", new double[] {1}, null, null);
    List<Checkpoint> cps = List.of(new Checkpoint(0, 1.0, 1.0, 0.3, 0.3, List.of(dead)),
        new Checkpoint(5, 0.6, 0.6, 0.4, 0.4, List.of(dead)));
    List<Finding> f = Diagnostics.evaluate(cps, 40);
    assertEquals(1, f.size(), f.toString());
    List<EpochPoint> hist = new ArrayList<>();
    for (int e = 0; e <= 5; e++) hist.add(new EpochPoint(e, 1.0 - 0.08 * e, 1.0 - 0.08 * e, 0.3, 0.3));
    String html = HtmlReport.render(new HtmlReport.Input("t", "complete", Map.of("dataset", "x"), hist, cps, f, 40));
    String block = html.substring(html.indexOf("<div class=\"finding\">"));
    block = block.substring(0, block.indexOf("</div>"));
    assertTrue(block.contains(HtmlReport.esc(Diagnostics.CALIBRATION)), block);
    String condition = Diagnostics.rules().stream().filter(r -> r.get("id").equals(Diagnostics.DEAD)).findFirst().orElseThrow().get("condition");
    assertTrue(block.contains(HtmlReport.esc(condition)) && condition.contains("0.25"), block);
    // the status table: dead fired, the trend rules are not evaluated with 2 checkpoints
    assertTrue(html.contains("fired on layer(s) 0"), "dead status");
    assertEquals(3, count(html, "not evaluated: needs ≥ " + Diagnostics.WINDOW + " checkpoints, the run has 2"), "trend rules");
  }

  static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
    return n;
  }
}
