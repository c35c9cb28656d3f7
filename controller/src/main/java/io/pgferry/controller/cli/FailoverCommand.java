package io.pgferry.controller.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "failover", mixinStandardHelpOptions = true,
    description = "Planned switchover to the standby B (after cutover 1, before cutover 2), with zero loss: A is"
        + " fenced (its agent stops PostgreSQL fast, so B has received every commit), B is promoted, the app and the"
        + " subscription on the target move to B. The same FAILOVER phase the controller runs when A fails.")
public final class FailoverCommand implements Callable<Integer> {
  @Option(names = "--detach", description = "do not follow the failover")
  boolean detach;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() {
    return Follow.postThenFollow(controller.client(), "api/journey/failover", detach);
  }
}
