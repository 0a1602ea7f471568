package org.hesse.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.ThreadPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code hesse} command line. Adding a command is one line: its class in {@code subcommands} below.
 *
 * <p>Exit codes: 0 success; 2 bad input (usage errors, and IllegalArgumentException / IOException from a
 * command: wrong shapes, missing files, a memory budget exceeded); 1 any other failure. Errors are one line,
 * {@code hesse: error: <message>}; {@code HESSE_DEBUG=1} adds the stack trace.
 */
@Command(
    name = "hesse",
    mixinStandardHelpOptions = true,
    versionProvider = HesseCli.Version.class,
    description = "Layer-wise Hessians of neural networks: spectra, densities, diagnostics.%n"
        + "JVM properties: -Dhesse.threads.java=N -Dhesse.threads.blas=M -Dhesse.memory.budget=2g "
        + "(pass them through JAVA_OPTS with ./hesse).",
    subcommands = {
        InfoCommand.class,
        TrainCommand.class,
        SpectrumCommand.class,
        AnalyzeCommand.class,
        ExperimentCommand.class,
        BackMatchingCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class HesseCli implements Runnable {
  static final int EXIT_FAILURE = 1;
  static final int EXIT_BAD_INPUT = 2;

  @Spec CommandSpec spec;

  /** Without a subcommand there is nothing to do: a usage error. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command (one of: "
        + String.join(", ", spec.subcommands().keySet()) + ")");
  }

  public static void main(String[] args) {
    configureLogging();
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = run(out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** Runs one command line and returns its exit code (for tests and embedding). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return commandLine(out, err).execute(args);
  }

  /**
   * The configured command line, writing to {@code out} and {@code err}; {@code extraCommands} are added as
   * further subcommands (before configuration, so that they share the streams and error handling).
   */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err, Object... extraCommands) {
    CommandLine cl = new CommandLine(new HesseCli());
    for (Object c : extraCommands) cl.addSubcommand(c);
    cl.setOut(out);
    cl.setErr(err);
    cl.getCommandSpec().exitCodeOnInvalidInput(EXIT_BAD_INPUT);
    cl.getCommandSpec().exitCodeOnExecutionException(EXIT_FAILURE);
    cl.setParameterExceptionHandler(HesseCli::handleUsageError);
    cl.setExecutionExceptionHandler(HesseCli::handleFailure);
    cl.setExecutionStrategy(HesseCli::execute);
    return cl;
  }

  /** Resolves the thread policy and memory budget first, so a bad -D property fails before any work. */
  private static int execute(CommandLine.ParseResult parseResult) {
    CommandLine.ParseResult sub = parseResult;
    boolean helpOnly = parseResult.isUsageHelpRequested() || parseResult.isVersionHelpRequested();
    while (sub.subcommand() != null) {
      sub = sub.subcommand();
      helpOnly |= sub.isUsageHelpRequested() || sub.isVersionHelpRequested();
    }
    if (!helpOnly && sub != parseResult) {
      try {
        ThreadPolicy.current();
        MemoryBudget.current();
      } catch (RuntimeException e) {
        throw new CommandLine.ExecutionException(sub.commandSpec().commandLine(), e.getMessage(), e);
      }
    }
    return new CommandLine.RunLast().execute(parseResult);
  }

  private static int handleUsageError(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("hesse: error: " + ex.getMessage() + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
    err.flush();
    return cl.getCommandSpec().exitCodeOnInvalidInput();
  }

  private static int handleFailure(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    boolean badInput = ex instanceof IllegalArgumentException || ex instanceof IOException
        || ex instanceof UncheckedIOException;
    String msg = ex.getMessage() == null || ex.getMessage().isBlank() ? ex.getClass().getName() : ex.getMessage();
    // For bad input the message is the whole story; for a failure the exception type matters too.
    err.println("hesse: error: " + (badInput ? msg : ex.getClass().getSimpleName() + ": " + msg));
    if (System.getenv("HESSE_DEBUG") != null) ex.printStackTrace(err);
    err.flush();
    return badInput ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }

  // Held so the logger (and its level) is not garbage-collected.
  private static final Logger NETLIB_LOG = Logger.getLogger("dev.ludovic.netlib");

  /** One-line log records; netlib's "Using ..." lines are dropped ({@code hesse info} reports the same). */
  static void configureLogging() {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "hesse: %4$s: %5$s%6$s%n");
    }
    if (System.getenv("HESSE_DEBUG") == null) NETLIB_LOG.setLevel(Level.WARNING);
  }

  /** "hesse VERSION" from the jar manifest, and the JVM. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = HesseCli.class.getPackage().getImplementationVersion();
      return new String[] {
          "hesse " + (v != null ? v : "(development build: not run from the packaged jar)"),
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
              + System.getProperty("java.vm.name") + ")",
      };
    }
  }
}
