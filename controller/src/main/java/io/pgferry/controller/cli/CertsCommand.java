package io.pgferry.controller.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "certs", mixinStandardHelpOptions = true, description = "Certificates for the agent link (mutual TLS).",
    subcommands = {CertsInitCommand.class})
public final class CertsCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
