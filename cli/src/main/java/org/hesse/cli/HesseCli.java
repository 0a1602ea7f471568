package org.hesse.cli;

import java.io.IOException;
import java.nio.file.Path;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code hesse} command line. Adding a command is one line: its class in {@link #COMMANDS}.
 *
 * <p>Exit codes: 0 success; {@value #EXIT_BAD_INPUT} bad input (usage errors, and IllegalArgumentException /
 * IOException from a command: wrong shapes, missing or malformed files, a memory budget exceeded);
 * {@value #EXIT_NUMERICAL} a numerical failure (a non-finite loss or eigenvalue, {@link NumericalFailure});
 * {@value #EXIT_FAILURE} an internal failure (any other Throwable, including StackOverflowError and
 * OutOfMemoryError). Every error is one line, {@code hesse: error: <message>}; {@code HESSE_DEBUG=1} adds the
 * stack trace.
 *
 * <p>Output: results on stdout; progress bars ({@link Progress}) and log records on stderr. Logging is
 * java.util.logging, configured once here: WARNING and above by default, INFO with {@code --verbose}.
 */
@Command(
    name = "hesse",
    mixinStandardHelpOptions = true,
    versionProvider = HesseCli.Version.class,
    description = "Layer-wise Hessians of neural networks: spectra, densities, diagnostics.%n"
        + "JVM properties: -Dhesse.threads.java=N -Dhesse.threads.blas=M -Dhesse.memory.budget=2g "
        + "(pass them through JAVA_OPTS with ./hesse).",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:internal failure (HESSE_DEBUG=1 prints the stack trace)",
        "2:bad input: an option, file or field (one line on stderr, nothing written)",
        "3:numerical failure: a non-finite loss or eigenvalue, or diverged training",
    })
public final class HesseCli implements Runnable {
  /** The commands, in the order {@code hesse --help} lists them. */
  static final java.util.List<Class<?>> COMMANDS = java.util.List.of(
      InfoCommand.class,
      TrainCommand.class,
      SpectrumCommand.class,
      InterlayerCommand.class,
      AnalyzeCommand.class,
      SuiteCommand.class,
      ExperimentCommand.class,
      BackMatchingCommand.class,
      ImportCommand.class,
      CommandLine.HelpCommand.class);

  static final int EXIT_FAILURE = 1;
  static final int EXIT_BAD_INPUT = 2;
  static final int EXIT_NUMERICAL = 3;

  @Spec CommandSpec spec;

  // Inherited: accepted before or after the subcommand; read from the parse result in execute().
  @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
      description = "No progress bars (they also stay off when stderr is not a terminal).")
  boolean quiet;

  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "Log INFO records (back ends chosen, thread counts) on stderr.")
  boolean verbose;

  /** Without a subcommand there is nothing to do: a usage error. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command (one of: "
        + String.join(", ", spec.subcommands().keySet()) + ")");
  }

  public static void main(String[] args) {
    configureLogging(false);
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = run(out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs one command line and returns its exit code (for tests and embedding). Only the command the arguments name
   * is built ({@link #commandNamed}): picocli's models of all the others' options cost about 0.2 s of CPU at every
   * start (docs/performance.md, "Start-up of `hesse spectrum`").
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return commandLineWith(out, err, commandNamed(args)).execute(args);
  }

  /**
   * The configured command line, writing to {@code out} and {@code err}; {@code extraCommands} are added as
   * further subcommands (before configuration, so that they share the streams and error handling).
   */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err, Object... extraCommands) {
    return commandLineWith(out, err, null, extraCommands);
  }

  /** As {@link #commandLine(PrintWriter, PrintWriter, Object...)} with {@code only} of {@link #COMMANDS} (null: all). */
  static CommandLine commandLineWith(PrintWriter out, PrintWriter err, Class<?> only, Object... extraCommands) {
    CommandLine cl = new CommandLine(new HesseCli());
    for (Class<?> c : COMMANDS) {
      if (only == null || c == only) cl.addSubcommand(c);
    }
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

  /**
   * The command of {@link #COMMANDS} that {@code args} run: their first word after hesse's own value-less options
   * (-q, --quiet, --verbose), when it names one. Null (build them all) for anything else: no command, a misspelt
   * one (its error suggests the others), hesse's --help or --version, and help (which reads the others).
   */
  static Class<?> commandNamed(String... args) {
    for (String a : args) {
      if (a.equals("-q") || a.equals("--quiet") || a.equals("--verbose")) continue;
      for (Class<?> c : COMMANDS) {
        if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(a)) return c;
      }
      return null;
    }
    return null;
  }

  /** Resolves the thread policy and memory budget first, so a bad -D property fails before any work. */
  private static int execute(CommandLine.ParseResult parseResult) {
    CommandLine.ParseResult sub = parseResult;
    boolean helpOnly = parseResult.isUsageHelpRequested() || parseResult.isVersionHelpRequested();
    boolean quiet = parseResult.hasMatchedOption("--quiet");
    boolean verbose = parseResult.hasMatchedOption("--verbose");
    while (sub.subcommand() != null) {
      sub = sub.subcommand();
      helpOnly |= sub.isUsageHelpRequested() || sub.isVersionHelpRequested();
      quiet |= sub.hasMatchedOption("--quiet");
      verbose |= sub.hasMatchedOption("--verbose");
    }
    configureLogging(verbose);
    Progress.configure(quiet);
    if (!helpOnly && sub != parseResult) {
      try {
        for (String problem : org.hesse.runtime.BackendProperties.problems()) throw new IllegalArgumentException(problem);
        ThreadPolicy.current();
        // the property is read at every command (an embedding JVM or a test may set it between runs)
        if (System.getProperty(MemoryBudget.PROPERTY) != null) MemoryBudget.install(MemoryBudget.fromSystemProperties());
        else MemoryBudget.current();
      } catch (RuntimeException e) {
        throw new CommandLine.ExecutionException(sub.commandSpec().commandLine(), e.getMessage(), e);
      }
    }
    try {
      return new CommandLine.RunLast().execute(parseResult);
    } catch (CommandLine.ExecutionException | ParameterException e) {
      throw e;
    } catch (Throwable t) {
      // picocli wraps only Exceptions; an Error (StackOverflowError, OutOfMemoryError) goes the same way
      throw new CommandLine.ExecutionException(sub.commandSpec().commandLine(), String.valueOf(t.getMessage()), t);
    }
  }

  private static int handleUsageError(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    // picocli's suggestions ("Did you mean ...") join the one error line instead of following it
    String hint = "";
    if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      hint = "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
    }
    err.println("hesse: error: " + ex.getMessage() + hint + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
    err.flush();
    return cl.getCommandSpec().exitCodeOnInvalidInput();
  }

  private static int handleFailure(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    Progress.closeAll();
    PrintWriter err = cl.getErr();
    Throwable t = rootOf(ex);
    int code = exitCode(t);
    err.println("hesse: error: " + message(t, code));
    if (System.getenv("HESSE_DEBUG") != null) t.printStackTrace(err);
    err.flush();
    return code;
  }

  /** The failure itself: picocli's and the JDK's wrappers removed. */
  static Throwable rootOf(Throwable t) {
    while (t.getCause() != null && t.getCause() != t
        && (t instanceof CommandLine.ExecutionException || t instanceof java.util.concurrent.ExecutionException
            || t instanceof java.util.concurrent.CompletionException
            || t instanceof java.lang.reflect.InvocationTargetException || t instanceof UncheckedIOException)) {
      t = t.getCause();
    }
    return t;
  }

  static int exitCode(Throwable t) {
    if (t instanceof NumericalFailure || t instanceof org.hesse.train.TrainingDivergedException) return EXIT_NUMERICAL;
    if (t instanceof IllegalArgumentException || t instanceof IOException || t instanceof UncheckedIOException) {
      return EXIT_BAD_INPUT;
    }
    return EXIT_FAILURE;
  }

  /**
   * One line for any Throwable: its message (null or blank: its type), line breaks folded; for internal failures
   * the type first, and for the two Errors a user can act on, what to do.
   */
  static String message(Throwable t, int code) {
    String m = t.getMessage();
    m = m == null || m.isBlank() ? null : m.strip().replaceAll("\\s*\\R\\s*", "; ");
    if (t instanceof StackOverflowError) {
      return "internal failure: stack overflow (a very deeply nested model?); give the JVM a larger thread stack, "
          + "e.g. JAVA_OPTS=-Xss64m";
    }
    if (t instanceof OutOfMemoryError) {
      return "internal failure: out of memory" + (m == null ? "" : " (" + m + ")")
          + "; raise the heap (JAVA_OPTS=-Xmx8g) or use fewer rows (--limit)";
    }
    if (t instanceof java.nio.file.FileSystemException f && f.getFile() != null) { // the JDK's message is often the bare path
      String file = Path.of(f.getFile()).toAbsolutePath().toString();
      String other = f.getOtherFile() != null ? " -> " + f.getOtherFile() : "";
      return (t instanceof java.nio.file.NoSuchFileException ? "file not found: " + file : "cannot use " + file)
          + other + (t instanceof java.nio.file.NoSuchFileException ? "" : ": " + org.hesse.io.AtomicFiles.reason(f));
    }
    if (code == EXIT_BAD_INPUT || code == EXIT_NUMERICAL) return m != null ? m : t.getClass().getSimpleName();
    return "internal failure: " + t.getClass().getSimpleName() + (m == null ? "" : ": " + m)
        + " (HESSE_DEBUG=1 shows the stack trace)";
  }

  // Held so the loggers (and their levels) are not garbage-collected.
  private static final Logger ROOT_LOG = Logger.getLogger("");
  private static final Logger NETLIB_LOG = Logger.getLogger("dev.ludovic.netlib");
  private static final Logger JLINE_LOG = Logger.getLogger("org.jline");

  /**
   * The one logging set-up (java.util.logging, which the netlib back ends use too): one-line records on stderr,
   * WARNING and above by default, INFO and above with --verbose (or HESSE_DEBUG). netlib's "Using ..." lines
   * are INFO ({@code hesse info} reports the same); JLine (the progress bar's terminal probe) stays silent unless
   * verbose.
   */
  static void configureLogging(boolean verbose) {
    boolean loud = verbose || System.getenv("HESSE_DEBUG") != null;
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "hesse: %4$s: %5$s%6$s%n");
    }
    Level level = loud ? Level.INFO : Level.WARNING;
    ROOT_LOG.setLevel(level);
    for (java.util.logging.Handler h : ROOT_LOG.getHandlers()) h.setLevel(level);
    NETLIB_LOG.setLevel(level);
    JLINE_LOG.setLevel(loud ? Level.INFO : Level.OFF);
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
