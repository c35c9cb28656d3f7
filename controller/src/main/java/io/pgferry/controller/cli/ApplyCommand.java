package io.pgferry.controller.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.UsageException;
import io.pgferry.controller.plan.PlanLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "apply", mixinStandardHelpOptions = true,
    description = "Checks the plan, hands it to the controller and runs the journey, following its progress until it"
        + " stops or holds before a cutover (--detach: return at once). By default it holds before CUTOVER_1 and"
        + " CUTOVER_2 (the plan's hold) until `pgferry proceed`. Exit 0 when it finished, holds, or waits at a phase not"
        + " built yet, 1 when it failed or was aborted. --amend FILE: change the plan of the journey in progress (running,"
        + " held or stopped) in the keys no started step used; prints the difference, or each refused key with the step"
        + " that used it (exit 2, nothing changed).")
public final class ApplyCommand implements Callable<Integer> {
  @Option(names = "--plan", paramLabel = "FILE", description = "the plan file (plan.yaml)")
  Path plan;

  @Option(names = "--amend", paramLabel = "FILE", description = "the amended plan of the journey in progress")
  Path amend;

  @Option(names = "--detach", description = "do not follow the journey")
  boolean detach;

  @Option(names = "--no-hold", description = "do not hold before the cutovers (the plan's hold is ignored): each"
      + " starts as soon as the journey is ready (the demo, tests)")
  boolean noHold;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() throws Exception {
    if ((plan == null) == (amend == null)) {
      throw new UsageException("give the plan with --plan FILE, or the amended plan of the journey in progress with --amend FILE");
    }
    if (amend != null) {
      PlanLoader.Loaded amended = PlanLoader.load(amend);
      amended.warnings().forEach(w -> System.err.println(w.format(amend.getFileName().toString())));
      JsonNode answer = controller.client().post("api/journey/apply",
          Map.of("name", amend.getFileName().toString(), "plan", amended.text(), "amend", true));
      System.out.println(answer.path("message").asText());
      return 0;
    }
    PlanLoader.Loaded loaded = PlanLoader.load(plan);
    loaded.warnings().forEach(w -> System.err.println(w.format(plan.getFileName().toString())));
    ControllerClient client = controller.client();
    JsonNode answer = client.post("api/journey/apply",
        Map.of("name", plan.getFileName().toString(), "plan", loaded.text(), "hold", noHold ? "none" : "plan"));
    System.out.println(answer.path("message").asText());
    return detach ? 0 : Follow.untilStopped(client, System.out);
  }
}
