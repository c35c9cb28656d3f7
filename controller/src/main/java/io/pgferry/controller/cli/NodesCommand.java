package io.pgferry.controller.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "nodes", mixinStandardHelpOptions = true,
    description = "List the nodes the controller knows: id, PostgreSQL address, reported state and goal, PostgreSQL version, "
        + "timeline, replay lag, when the agent was last heard from.")
public final class NodesCommand implements Callable<Integer> {
  enum Output { text, json }

  @Mixin
  ControllerEndpoint endpoint = new ControllerEndpoint();

  @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (one line per node, the default) or json (the API's node objects)")
  Output output;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    JsonArray nodes = endpoint.api().nodes();
    PrintWriter out = spec.commandLine().getOut();
    if (output == Output.json) {
      out.println(nodes.encodePrettily());
    } else {
      out.println(String.format("%-12s %-22s %-36s %-8s %-4s %-10s %s", "NODE", "HOST", "STATE (GOAL)", "PG", "TL", "LAG", "LAST SEEN"));
      for (int i = 0; i < nodes.size(); i++) {
        out.println(line(nodes.getJsonObject(i)));
      }
    }
    out.flush();
    return 0;
  }

  static String line(JsonObject node) {
    JsonObject hello = node.getJsonObject("hello", new JsonObject());
    JsonObject status = node.getJsonObject("status", new JsonObject());
    JsonObject goal = node.getJsonObject("goal", new JsonObject());
    String host = hello.getString("host", "");
    String address = host.isEmpty() ? "-" : host + ":" + hello.getValue("pg_port", "");
    String state = status.getString("state", "NODE_STATE_UNSPECIFIED").replace("NODE_STATE_UNSPECIFIED", "?");
    String goalState = Long.parseLong(String.valueOf(goal.getValue("generation", "0"))) == 0 ? "none"
        : goal.getString("state", "?") + "#" + goal.getValue("generation");
    String pg = hello.getString("pg_version", "");
    int timeline = status.getInteger("timeline", 0);
    long lag = Long.parseLong(String.valueOf(status.getValue("replay_lag_bytes", "0")));
    String seen = node.getValue("last_seen_age_ms") == null ? "never"
        : String.format(Locale.ROOT, "%.1fs ago", node.getLong("last_seen_age_ms") / 1000.0);
    if (!node.getBoolean("connected", false)) {
      seen += " (link down)";
    }
    return String.format("%-12s %-22s %-36s %-8s %-4s %-10s %s", node.getString("node_id"), address,
        state + " (" + goalState + ")", pg.isEmpty() ? "-" : pg, timeline == 0 ? "-" : String.valueOf(timeline), bytes(lag), seen);
  }

  /** A byte count; "-" for a negative one (a node that replays nothing reports -1). */
  static String bytes(long n) {
    if (n < 0) {
      return "-";
    }
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = n;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
