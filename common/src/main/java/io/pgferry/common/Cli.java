package io.pgferry.common;

import picocli.CommandLine;

/** Runs a picocli command with pgferry's error conventions: bad input prints one line and exits 2. */
public final class Cli {
  private Cli() {}

  public static int execute(Object command, String... args) {
    return execute(new CommandLine(command), args);
  }

  /** As above for a subcommand run on its own, named as the whole command line names it (e.g. "pgferry controller run"). */
  public static int executeAs(String name, Object command, String... args) {
    return execute(new CommandLine(command).setCommandName(name), args);
  }

  private static int execute(CommandLine cl, String... args) {
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      Throwable root = ex;
      while (root.getCause() != null && !(root instanceof UsageException)) {
        root = root.getCause();
      }
      if (root instanceof UsageException) {
        commandLine.getErr().println(commandLine.getCommandName() + ": " + root.getMessage());
        return UsageException.EXIT_CODE;
      }
      commandLine.getErr().println(commandLine.getCommandName() + ": " + ex);
      if (System.getenv("PGFERRY_DEBUG") != null) {
        ex.printStackTrace(commandLine.getErr());
      }
      return 1;
    });
    cl.setParameterExceptionHandler((ex, args1) -> {
      ex.getCommandLine().getErr().println(ex.getCommandLine().getCommandName() + ": " + ex.getMessage()
          + " (see --help)");
      return UsageException.EXIT_CODE;
    });
    return cl.execute(args);
  }
}
