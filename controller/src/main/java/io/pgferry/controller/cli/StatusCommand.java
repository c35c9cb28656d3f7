package io.pgferry.controller.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyJson;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Shows the journey's phase and step, progress, each node's state and lag, and the control plane:"
        + " which controller leads, each controller's and etcd's health, each primary's lease and failsafe state.")
public final class StatusCommand implements Callable<Integer> {
  enum Output { TEXT, JSON }

  @Option(names = "--output", defaultValue = "text", description = "text or json")
  Output output;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() throws Exception {
    ControllerClient client = controller.client();
    var status = client.get("api/journey");
    if (status instanceof ObjectNode o) {
      try {
        o.set("control_plane", client.get("api/control-plane"));
      } catch (UsageException older) {
        // a controller without /api/control-plane: the journey alone
      }
    }
    if (output == Output.JSON) {
      System.out.println(JourneyJson.MAPPER.writeValueAsString(status));
    } else {
      StatusPrinter.print(status, System.out);
    }
    return 0;
  }
}
