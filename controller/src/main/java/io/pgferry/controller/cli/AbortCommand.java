package io.pgferry.controller.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "abort", mixinStandardHelpOptions = true,
    description = "Stops the journey at the next safe point and says what state things are left in (before the"
        + " promotion in cutover 1: writes unblocked, app on the source).")
public final class AbortCommand implements Callable<Integer> {
  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() {
    ControllerClient client = controller.client();
    System.out.println(client.post("api/journey/abort").path("message").asText());
    return Follow.untilStopped(client, System.out) == Follow.RUNNING ? 1 : 0;
  }
}
