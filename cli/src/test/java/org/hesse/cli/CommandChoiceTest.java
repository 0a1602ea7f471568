package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@link HesseCli#run} builds only the command its arguments name: what it prints and returns must be what the
 * command line with every command prints and returns, for each command's help, a usage error, a misspelt command,
 * {@code help COMMAND}, and hesse's own help and version.
 */
class CommandChoiceTest {
  /** Exit code, stdout and stderr. */
  record Outcome(int code, String out, String err) {}

  private static Outcome withAll(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HesseCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  private static Outcome chosen(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Outcome(code, out.toString(), err.toString());
  }

  @Test
  void namesTheCommandAfterHessesOwnOptions() {
    assertEquals(SpectrumCommand.class, HesseCli.commandNamed("spectrum", "--top", "5"));
    assertEquals(SpectrumCommand.class, HesseCli.commandNamed("--quiet", "spectrum", "--help"));
    assertEquals(TrainCommand.class, HesseCli.commandNamed("--verbose", "-q", "train"));
    assertEquals(InfoCommand.class, HesseCli.commandNamed("info", "spectrum"));
    assertNull(HesseCli.commandNamed());
    assertNull(HesseCli.commandNamed("help", "spectrum"));
    assertNull(HesseCli.commandNamed("--help"));
    assertNull(HesseCli.commandNamed("-h", "spectrum"));
    assertNull(HesseCli.commandNamed("--version"));
    assertNull(HesseCli.commandNamed("spectrun"));
    assertNull(HesseCli.commandNamed("--", "spectrum"));
  }

  @Test
  void eachCommandAloneAnswersAsAmongAll() {
    List<String[]> cases = new ArrayList<>();
    for (Class<?> c : HesseCli.COMMANDS) {
      if (c == CommandLine.HelpCommand.class) continue;
      String name = c.getAnnotation(CommandLine.Command.class).name();
      cases.add(new String[] {name, "--help"});
      cases.add(new String[] {"--quiet", name, "--help"});
      cases.add(new String[] {name, "--no-such-option"});
      cases.add(new String[] {"help", name});
    }
    cases.add(new String[] {"spectrun"});
    cases.add(new String[] {"--help"});
    cases.add(new String[] {"--version"});
    cases.add(new String[] {});
    for (String[] args : cases) {
      Outcome all = withAll(args);
      Outcome one = chosen(args);
      String what = String.join(" ", args);
      assertEquals(all, one, what);
      assertTrue(!all.out.isEmpty() || !all.err.isEmpty(), "something is printed for: " + what);
    }
  }
}
