package io.pgferry.controller.cli;

import io.pgferry.common.Cli;
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
    System.exit(Cli.execute(new PgferryMain(), args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
