package io.pgferry.controller.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "add-standby", mixinStandardHelpOptions = true,
    description = "Adds NODE back as a streaming standby of the current primary (the node whose goal is PRIMARY;"
        + " before cutover 1 the standby B streams again from the archive replica A). A data dir that cannot stream"
        + " from it (the old primary after a failover: a diverged timeline; another cluster; a broken dir) is"
        + " discarded and copied afresh with a base backup. The primary allows replication from NODE's host; with"
        + " durability sync it names NODE its synchronous standby once NODE streams. Running it again does nothing more.")
public final class AddStandbyCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NODE", description = "the node to make a standby (e.g. the old primary a)")
  String node;

  @Option(names = "--upstream", paramLabel = "NODE", description = "stream from this node instead of the primary")
  String upstream;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() {
    String path = "api/standby/add?node=" + URLEncoder.encode(node, StandardCharsets.UTF_8)
        + (upstream == null ? "" : "&upstream=" + URLEncoder.encode(upstream, StandardCharsets.UTF_8));
    System.out.println(controller.client().post(path).path("message").asText());
    return 0;
  }
}
