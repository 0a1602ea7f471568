package org.hesse.cli.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.EpochPoint;
import org.hesse.cli.report.RunData.Finding;
import org.junit.jupiter.api.Test;

/** The report's diagnostics section: every finding with its rule and measured rates, every rule with a status. */
class HtmlReportTest {
  @Test
  void aFindingShowsItsRuleRatesAndEveryRuleHasAStatus() {
    // a run on which the shipped calibration's first supported rule fires: its feature set just beyond the threshold
    Calibration.Rule r = Calibration.current().rules().stream().filter(Calibration.Rule::supported).findFirst().orElse(null);
    List<Checkpoint> cps = DiagnosticsTest.run(4, 0.9);
    Calibration own = new Calibration("t", 1, 10, 5, "p", List.of(r != null ? r
        : DiagnosticsTest.rule("memorisation", "hessian.last.lambda_max.trend", 1, 1.5, true, true)), List.of());
    List<Finding> f = Diagnostics.evaluate(cps, own);
    List<EpochPoint> hist = new ArrayList<>();
    for (int e = 0; e <= 20; e++) hist.add(new EpochPoint(e, 1.0 - 0.01 * e, 1.2, 0.9, 0.9));
    String html = HtmlReport.render(new HtmlReport.Input("t", "complete", Map.of("dataset", "x"), hist, cps, f, 40));
    assertTrue(html.contains(HtmlReport.esc(Diagnostics.CALIBRATION)), "calibration label");
    if (!f.isEmpty()) {
      String block = html.substring(html.indexOf("<div class=\"finding\">"));
      block = block.substring(0, block.indexOf("</div>"));
      assertTrue(block.contains("detection rate") && block.contains("false-alarm rate"), block);
    }
    // every rule of the shipped calibration, supported or not, has a row in the status table
    for (Map<String, String> rule : Diagnostics.rules()) assertTrue(html.contains(HtmlReport.esc(rule.get("name"))), rule.get("name"));
  }
}
