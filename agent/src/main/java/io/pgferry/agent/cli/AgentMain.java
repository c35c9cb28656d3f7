package io.pgferry.agent.cli;

import io.pgferry.common.Cli;
import picocli.CommandLine.Command;

@Command(name = "pgferry-agent", mixinStandardHelpOptions = true, version = "pgferry-agent 0.1.0",
    description = "Manages the local PostgreSQL cluster for a pgferry migration: converges it to the goal the controller assigns.",
    subcommands = {
        RunCommand.class,
        BackupListCommand.class,
        BackupPushCommand.class,
        BackupFetchCommand.class,
        WalPushCommand.class,
        WalFetchCommand.class,
        FsmCommand.class,
    })
public final class AgentMain implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(Cli.execute(new AgentMain(), args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
