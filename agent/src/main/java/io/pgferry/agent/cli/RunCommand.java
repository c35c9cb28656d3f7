package io.pgferry.agent.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the agent daemon: dial the controller, report status, converge to the assigned goal.")
public final class RunCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "agent.yaml")
  Path config;

  @Override
  public Integer call() {
    throw new UnsupportedOperationException("not built yet");
  }
}
