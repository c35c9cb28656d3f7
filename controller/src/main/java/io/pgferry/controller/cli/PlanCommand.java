package io.pgferry.controller.cli;

import io.pgferry.controller.journey.JourneyAssembly;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.PlanRenderer;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.plan.SecretCheck;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Checks a plan, that it is complete (it runs the whole journey, to DONE), and prints every phase and step with the exact SQL, commands and HTTP calls it will"
        + " make. Touches nothing; every secret reference (env:NAME, file:PATH) is resolved first, as the journey will.")
public final class PlanCommand implements Callable<Integer> {
  @Option(names = "--plan", required = true, description = "the plan file (plan.yaml)")
  Path plan;

  @Option(names = "--without-secrets", description = "do not resolve the plan's secret references (env:NAME,"
      + " file:PATH), e.g. to read the plan on a laptop that lacks them; the controller still checks them at apply and"
      + " in PREFLIGHT")
  boolean withoutSecrets;

  @Override
  public Integer call() {
    PlanLoader.Loaded loaded = PlanLoader.loadComplete(plan);
    if (!withoutSecrets) {
      SecretCheck.check(loaded, plan.getFileName().toString());
    }
    JourneyAssembly journey = JourneySteps.with(JourneyWiring.defaults());
    JourneyPorts ports = journey.ports(loaded.plan(), null);
    System.out.print(PlanRenderer.render(plan.getFileName().toString(), loaded.plan(), loaded.warnings(),
        journey.steps(loaded.plan(), ports), ports.switcher().name()));
    return 0;
  }
}
