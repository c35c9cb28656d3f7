package io.pgferry.controller.cli;

import io.pgferry.controller.journey.JourneyJson;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Shows the journey's phase and step, progress, and each node's state and lag.")
public final class StatusCommand implements Callable<Integer> {
  enum Output { TEXT, JSON }

  @Option(names = "--output", defaultValue = "text", description = "text or json")
  Output output;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() throws Exception {
    var status = controller.client().get("api/journey");
    if (output == Output.JSON) {
      System.out.println(JourneyJson.MAPPER.writeValueAsString(status));
    } else {
      StatusPrinter.print(status, System.out);
    }
    return 0;
  }
}
