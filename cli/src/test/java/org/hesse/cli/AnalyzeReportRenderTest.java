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

/** Renders an analyze report in headless Chromium (Debian's chromium) and checks that the plots are on the page. */
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
    assertEquals(expected, count(source, "<img "), "img elements in the written page");
    assertTrue(!source.contains("http://") && !source.contains("https://"), "no external resources");

    Path png = tmp.resolve("shot.png");
    chromium("--screenshot=" + png, "--window-size=1200,3000", "file://" + html);
    String dom = chromium("--dump-dom", "file://" + html);
    // The DOM as Chromium parsed it: every plot is an <img> with a PNG data URL that decodes to a real image.
    Matcher m = Pattern.compile("<img[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(dom);
    int decoded = 0;
    while (m.find()) {
      BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(m.group(1))));
      assertTrue(img != null && img.getWidth() > 100 && img.getHeight() > 100, "a decodable plot");
      decoded++;
    }
    assertEquals(expected, decoded, "plots in Chromium's DOM");
    assertTrue(dom.contains("Definitions and thresholds") && dom.contains("Diagnostics"), "sections present");

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

  private static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
    return n;
  }
}
