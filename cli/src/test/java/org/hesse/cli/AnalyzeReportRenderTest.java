package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renders an analyze report in headless Chromium (Debian's chromium) and checks that the plots and their labels are on the page. */
class AnalyzeReportRenderTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path tmp;

  @Test
  void reportRendersWithItsPlotsInHeadlessChromium() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
        "skipped: /usr/bin/chromium not found (apt-get install -y chromium) - the report is not rendered");
    Path dir = tmp.resolve("run");
    AnalyzeCommandTest.Run r = AnalyzeCommandTest.analyze(dir, 6);
    assertEquals(0, r.code(), r.err());
    Path html = dir.resolve("report.html").toAbsolutePath();
    String source = Files.readString(html);
    // Expected plots: loss, accuracy, gap; λ_max, trace, effective rank, negative mass; one heat map per layer (2).
    int expected = 3 + 4 + 2;
    assertEquals(expected, count(source, "<svg "), "inline SVG plots in the written page");
    assertEquals(0, count(source, "<img "), "no bitmap plots");
    assertTrue(onlySvgNamespace(source), "no external resources");

    Path png = tmp.resolve("shot.png");
    chromium("--screenshot=" + png, "--window-size=1200,3000", "file://" + html);
    String dom = chromium("--dump-dom", "file://" + html);
    // The DOM as Chromium parsed it: every plot is an SVG element with its axis titles as text.
    assertEquals(expected, count(dom, "<svg "), "plots in Chromium's DOM");
    for (String label : new String[] {">epoch</text>", ">λ_max</text>", ">checkpoint (epoch)</text>", ">eigenvalue λ</text>",
        ">" + org.hesse.cli.report.Plots.COLOUR_BAR_TITLE + " (log scale, no unit)</text>", ">shaded / bars: ± 1 s.e.</text>"}) {
      assertTrue(dom.contains(label) || dom.contains(label.replace("(log scale)", "")), "in the DOM: " + label);
    }
    // The Hutch++ trace has a standard error: its plot has a band.
    assertTrue(dom.contains("<polygon"), "an error band");
    assertTrue(dom.contains("Definitions and thresholds") && dom.contains("Diagnostics"), "sections present");
    assertTrue(dom.contains(org.hesse.cli.report.Diagnostics.CALIBRATION), "calibration label");
    // No tick label is a raw float such as -1.301029995663981.
    Matcher raw = Pattern.compile("<text[^>]*>(-?\\d+\\.\\d{6,})</text>").matcher(dom);
    assertTrue(!raw.find(), "raw float tick label");

    BufferedImage shot = ImageIO.read(png.toFile());
    assertEquals(1200, shot.getWidth());
    // The page is not blank: a good share of the screenshot's rows contain non-white pixels.
    int inked = 0;
    for (int y = 0; y < shot.getHeight(); y += 10) {
      for (int x = 0; x < shot.getWidth(); x += 4) {
        if ((shot.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
          inked++;
          break;
        }
      }
    }
    assertTrue(inked > shot.getHeight() / 10 / 3, "rows with ink: " + inked);
  }

  private String chromium(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + tmp.resolve("profile")));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
    assertEquals(0, p.exitValue(), "chromium exit code");
    return out;
  }

  /** The only URLs on the page are the SVG namespace name (an identifier, never fetched). */
  private static boolean onlySvgNamespace(String s) {
    return !s.replace("http://www.w3.org/2000/svg", "").contains("http://") && !s.contains("https://");
  }

  private static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
    return n;
  }
}
