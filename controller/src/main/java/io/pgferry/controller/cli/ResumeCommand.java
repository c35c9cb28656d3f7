package io.pgferry.controller.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "resume", mixinStandardHelpOptions = true,
    description = "Continues the journey from where its journal says it is (after a controller crash, a failure"
        + " fixed by hand, or an abort). Steps already done are not done again.")
public final class ResumeCommand implements Callable<Integer> {
  @Option(names = "--detach", description = "do not follow the journey")
  boolean detach;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() {
    return Follow.postThenFollow(controller.client(), "api/journey/resume", detach);
  }
}
