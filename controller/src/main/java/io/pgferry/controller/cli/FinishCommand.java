package io.pgferry.controller.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "finish", mixinStandardHelpOptions = true,
    description = "After the journey finished: decommissions what it left running. Drops the subscription on T if"
        + " still there (its slot detached first), pgferry's replication slots and publication on the old primary (A,"
        + " or B after a failover), and stops A and B through their agents. Asks first (--yes: do not ask). Each step is"
        + " journaled: running it again is harmless.")
public final class FinishCommand implements Callable<Integer> {
  @Option(names = "--yes", description = "do not ask for confirmation")
  boolean yes;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() throws IOException {
    ControllerClient client = controller.client();
    var status = client.get("api/journey");
    if (!status.path("summary").isObject()) { // a summary only once the journey finished (a failed finish retries)
      System.err.println("the journey is " + status.path("state").asText() + ", not FINISHED; `pgferry finish` decommissions"
          + " only after DONE");
      return 2;
    }
    if (!yes) {
      StatusPrinter.print(status, System.out);
      System.out.print("Decommission: drop pgferry's slots, publication and subscription, stop A and B? [y/N] ");
      System.out.flush();
      String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (answer == null || !answer.strip().toLowerCase().startsWith("y")) {
        System.out.println("nothing done");
        return 1;
      }
    }
    System.out.println(client.post("api/journey/finish").path("message").asText());
    return Follow.untilStopped(client, System.out);
  }
}
