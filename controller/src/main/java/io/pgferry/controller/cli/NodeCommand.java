package io.pgferry.controller.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "node", mixinStandardHelpOptions = true, description = "Act on one node.",
    subcommands = {NodeGoalCommand.class})
public final class NodeCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
