package io.pgferry.controller.cli;

import io.pgferry.common.Cli;
import java.util.Arrays;
import picocli.CommandLine.Command;

@Command(name = "pgferry", mixinStandardHelpOptions = true, version = "pgferry 0.1.0",
    description = "Moves a live PostgreSQL database from a WAL archive (Heroku) to a new home (Aurora, any PostgreSQL >= 11) with seconds of downtime.",
    subcommands = {
        ControllerCommand.class,
        NodesCommand.class,
        NodeCommand.class,
        CertsCommand.class,
        InitCommand.class,
        PlanCommand.class,
        ApplyCommand.class,
        StatusCommand.class,
        ResumeCommand.class,
        ProceedCommand.class,
        AbortCommand.class,
        FailoverCommand.class,
        AddStandbyCommand.class,
        VerifyCommand.class,
        RollbackCommand.class,
        FinishCommand.class,
        DdlCommand.class,
    })
public final class PgferryMain implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    if (args.length >= 2 && args[0].equals("controller") && args[1].equals("run")) {
      // the daemon's start builds its own command only, not the whole tree: picocli's classes (Java 5 class files)
      // cannot be in the AppCDS archive, and building every subcommand's model took 0.1 s of a restart
      // (docs/ha.md, "What a restart costs")
      System.exit(Cli.executeAs("pgferry controller run", new ControllerRunCommand(), Arrays.copyOfRange(args, 2, args.length)));
    }
    System.exit(Cli.execute(new PgferryMain(), args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
