package io.pgferry.controller.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Locale;

/** The human form of a JourneyStatus. */
final class StatusPrinter {
  private StatusPrinter() {}

  static void print(JsonNode s, PrintStream out) {
    out.println("journey: " + s.path("state").asText() + (s.hasNonNull("phase") ? " in " + s.path("phase").asText() : "")
        + (s.hasNonNull("step") ? " at " + s.path("step").asText() : ""));
    if (s.hasNonNull("progress")) {
      out.println("  progress: " + s.path("progress").asText());
    }
    JsonNode copy = s.path("copy");
    if (copy.isObject()) {
      double pct = copy.path("percent").asDouble();
      int full = (int) Math.round(Math.max(0, Math.min(100, pct)) / 100.0 * 30);
      out.printf(Locale.ROOT, "  copy [%s%s] %5.1f%%  %d/%d tables and ranges, %d MB, %d rows, %.1f MB/s, ETA %s%n",
          "#".repeat(full), ".".repeat(30 - full), pct, copy.path("items_done").asInt(), copy.path("items").asInt(),
          copy.path("bytes").asLong() / 1_000_000, copy.path("rows").asLong(), copy.path("mb_per_second").asDouble(),
          copy.hasNonNull("eta_seconds") ? copy.path("eta_seconds").asLong() + " s" : "?");
      for (JsonNode t : copy.path("tables")) {
        if (t.path("items_done").asInt() < t.path("items").asInt()) {
          out.printf(Locale.ROOT, "    %-40s %d/%d  %d MB  %d rows%n", t.path("table").asText(), t.path("items_done").asInt(),
              t.path("items").asInt(), t.path("bytes").asLong() / 1_000_000, t.path("rows").asLong());
        }
      }
    }
    if (s.hasNonNull("message")) {
      out.println("  " + s.path("message").asText());
    }
    JsonNode hold = s.path("hold");
    if (hold.isObject()) {
      out.println("  held before " + hold.path("phase").asText() + " since " + hold.path("since").asText("?")
          + (hold.hasNonNull("proceed_at") ? "; proceeds at " + hold.path("proceed_at").asText()
          : " — run `pgferry proceed` (or `pgferry proceed --at TIME`)"));
      if (hold.hasNonNull("lag")) {
        out.println("  lag now: " + hold.path("lag").asText());
      }
      out.println("  " + hold.path("phase").asText() + " will:");
      hold.path("plan").asText("").lines().forEach(l -> out.println("  " + l));
    }
    JsonNode summary = s.path("summary");
    if (summary.isObject()) {
      out.println("  the app points to " + summary.path("app_points_to").asText());
      for (JsonNode d : summary.path("downtimes")) {
        out.printf("  downtime %-9s %.1f s  (%s)%n", d.path("event").asText(), d.path("seconds").asDouble(),
            d.path("measured").asText());
      }
      for (JsonNode r : summary.path("still_running")) {
        out.println("  still running: " + r.asText());
      }
      out.println("  " + (summary.path("decommissioned").asBoolean() ? "FINISHED, " : "") + summary.path("next").asText());
    }
    StringBuilder phases = new StringBuilder("  phases:");
    for (JsonNode p : s.path("phases")) {
      phases.append(' ').append(p.path("name").asText()).append('=').append(p.path("status").asText());
    }
    out.println(phases);
    for (JsonNode n : s.path("nodes")) {
      long leaseMs = n.path("lease_remaining_ms").asLong(-1);
      out.printf("  node %-8s %-16s %-9s state %-17s goal %-17s tl %d replay %s lag %s archive-lag %s lease %s%s%n",
          n.path("id").asText(), n.path("role").asText(), n.path("connected").asBoolean() ? "connected" : "OFFLINE",
          n.path("state").asText(), n.path("goal").asText() + "#" + n.path("goal_generation").asLong(),
          n.path("timeline").asInt(), n.path("replay_lsn").asText("-"),
          n.path("replay_lag_bytes").asLong(-1) >= 0 ? n.path("replay_lag_bytes").asLong() + "B" : "-",
          n.path("archive_lag_segments").asLong(-1) >= 0 ? n.path("archive_lag_segments").asLong() + " seg" : "-",
          leaseMs >= 0 ? String.format("%.1fs", leaseMs / 1000.0) : "-",
          n.path("last_error").asText().isEmpty() ? "" : "  error: " + n.path("last_error").asText());
    }
    JsonNode cp = s.path("control_plane");
    if (cp.isObject()) {
      printControlPlane(cp, out);
    }
  }

  /** GET /api/control-plane: who leads, each controller's and etcd's health, each primary's lease and failsafe. */
  static void printControlPlane(JsonNode cp, PrintStream out) {
    if ("embedded".equals(cp.path("store").asText())) {
      out.println("control plane: embedded store, one controller");
    } else {
      JsonNode etcd = cp.path("etcd");
      String leader = cp.hasNonNull("leader") ? "controller " + cp.path("leader").asText() + " leads" : "NO controller leads";
      out.println("control plane: etcd; " + leader + (cp.path("leading").asBoolean() ? " (this one)" : "")
          + "; " + cp.path("leader_changes").asLong() + " leader change(s) seen by " + cp.path("self").asText()
          + (etcd.isObject() ? "; etcd " + etcd.path("healthy").asInt() + "/" + etcd.path("members").asInt() + " members healthy" : ""));
      for (JsonNode c : cp.path("controllers")) {
        out.printf("  controller %-21s %-8s %s%n", c.path("address").asText(), c.path("leading").asBoolean() ? "leader" : "follower",
            (c.path("healthy").asBoolean() ? "seen " : "DOWN, last seen ") + seconds(c.path("last_seen_age_ms").asLong()) + " ago");
      }
      for (JsonNode m : etcd.path("endpoints")) {
        if (!m.path("healthy").asBoolean()) {
          out.println("  etcd member " + m.path("endpoint").asText() + ": NOT healthy (unreachable or without quorum)");
        }
      }
    }
    for (JsonNode p : cp.path("primaries")) {
      String lease = p.hasNonNull("lease_remaining_ms") ? seconds(p.path("lease_remaining_ms").asLong()) + " left" : "none from this controller";
      out.println("  primary " + p.path("node").asText() + ": lease " + lease + (p.path("failsafe_serving").asBoolean()
          ? (p.path("failsafe_standby").asText("").isEmpty()
              ? ", FAILSAFE: serving alone (its goal names no standby: none can be promoted in its place; docs/failsafe.md)"
              : ", FAILSAFE: serving on " + p.path("failsafe_standby").asText() + "'s evidence (docs/failsafe.md)")
          : p.path("connected").asBoolean() ? ", serving" : ", agent OFFLINE"));
    }
  }

  private static String seconds(long ms) {
    return String.format("%.1f s", ms / 1000.0);
  }
}
