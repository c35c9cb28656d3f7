package io.pgferry.controller.cli;

import io.pgferry.controller.journey.ProceedTime;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "proceed", mixinStandardHelpOptions = true,
    description = "Lets the held cutover start (`pgferry apply` holds before CUTOVER_1 and CUTOVER_2 unless the plan's"
        + " hold or --no-hold says otherwise): now, or at --at TIME. Given before the journey reaches the hold, it"
        + " applies to the next held cutover. Follows the journey until it stops or holds again (--detach: return at"
        + " once).")
public final class ProceedCommand implements Callable<Integer> {
  @Option(names = "--at", paramLabel = "TIME", description = "when the cutover may start: " + ProceedTime.FORMATS)
  String at;

  @Option(names = "--detach", description = "do not follow the journey")
  boolean detach;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() {
    Instant when = at == null ? null : ProceedTime.parse(at, Clock.systemDefaultZone());
    String query = when == null ? "" : "?at=" + URLEncoder.encode(when.toString(), StandardCharsets.UTF_8);
    return Follow.postThenFollow(controller.client(), "api/journey/proceed" + query, detach);
  }
}
