package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.pgferry.controller.link.AgentIdentity;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "goal", mixinStandardHelpOptions = true,
    description = "Assign a goal to a node. The controller persists it with a new generation and sends it to the agent now, "
        + "or when it connects. Assigning the goal the node already holds changes nothing.")
public final class NodeGoalCommand implements Callable<Integer> {
  enum GoalState { ARCHIVE_REPLICA, STREAMING_STANDBY, PRIMARY, FENCED, STOPPED }

  @Parameters(index = "0", paramLabel = "ID", description = "node id")
  String nodeId;

  @Parameters(index = "1", paramLabel = "STATE", description = "ARCHIVE_REPLICA, STREAMING_STANDBY, PRIMARY, FENCED or STOPPED")
  GoalState state;

  @Option(names = "--upstream", paramLabel = "HOST:PORT", description = "server to stream from (required for STREAMING_STANDBY)")
  String upstream;

  @Option(names = "--upstream-user", paramLabel = "USER", description = "replication user on the upstream")
  String upstreamUser;

  @Option(names = "--archive-url", paramLabel = "URL", description = "WAL archive (file:// or s3://) for ARCHIVE_REPLICA")
  String archiveUrl;

  @Mixin
  ControllerEndpoint endpoint = new ControllerEndpoint();

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (!AgentIdentity.validNodeId(nodeId)) {
      throw new UsageException("node id '" + nodeId + "' is not valid: use lower-case letters, digits and '-'");
    }
    JsonObject goal = new JsonObject().put("state", state.name());
    if (upstream != null) {
      int colon = upstream.lastIndexOf(':');
      if (colon <= 0 || colon == upstream.length() - 1) {
        throw new UsageException("--upstream '" + upstream + "' is not HOST:PORT, e.g. 10.0.0.5:5432");
      }
      int port;
      try {
        port = Integer.parseInt(upstream.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new UsageException("--upstream '" + upstream + "' has no numeric port, e.g. 10.0.0.5:5432");
      }
      String host = upstream.substring(0, colon).replaceAll("^\\[|]$", "");
      JsonObject up = new JsonObject().put("host", host).put("port", port);
      if (upstreamUser != null) {
        up.put("user", upstreamUser);
      }
      goal.put("upstream", up);
    } else if (upstreamUser != null) {
      throw new UsageException("--upstream-user needs --upstream HOST:PORT");
    }
    if (state == GoalState.STREAMING_STANDBY && upstream == null) {
      throw new UsageException("STREAMING_STANDBY needs --upstream HOST:PORT (the server to stream from)");
    }
    if (archiveUrl != null) {
      goal.put("archive_url", archiveUrl);
    }
    JsonObject assigned = endpoint.api().assignGoal(nodeId, goal);
    PrintWriter out = spec.commandLine().getOut();
    out.println("node " + nodeId + ": goal " + assigned.getString("state") + " generation " + assigned.getValue("generation"));
    out.flush();
    return 0;
  }
}
