package io.pgferry.controller.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "controller", mixinStandardHelpOptions = true, description = "The controller daemon.",
    subcommands = {ControllerRunCommand.class})
public final class ControllerCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
