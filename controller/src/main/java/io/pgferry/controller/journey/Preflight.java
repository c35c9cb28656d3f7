package io.pgferry.controller.journey;

import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.TypeUsage;
import io.pgferry.proto.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** PREFLIGHT's verdict: a pure function of the facts gathered, listing every blocker at once. */
public final class Preflight {
  private Preflight() {}

  /** A fact, or why it could not be learnt. */
  public record Fact<T>(T value, String error) {
    public static <T> Fact<T> of(T value) {
      return new Fact<>(value, null);
    }

    public static <T> Fact<T> failed(String error) {
      return new Fact<>(null, error);
    }

    public boolean ok() {
      return error == null && value != null;
    }
  }

  /** What was learnt: the nodes as the directory sees them, the source's and target's versions, the newest backup. */
  public record Facts(Optional<NodeView> archiveReplica, Optional<NodeView> standby, Fact<Integer> sourceVersionNum,
                      Fact<Optional<ArchiveInspector.Backup>> backup, Fact<Integer> targetVersionNum,
                      Fact<List<TypeUsage.UsedType>> typesUsed) {}

  public record Report(List<String> blockers, List<String> notes) {
    public boolean green() {
      return blockers.isEmpty();
    }
  }

  public static Report evaluate(Plan plan, Facts f) {
    List<String> blockers = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String aId = plan.nodes().archiveReplica();
    String bId = plan.nodes().standby();
    Integer aMajor = node(aId, "archive replica (A)", f.archiveReplica(), blockers);
    Integer bMajor = node(bId, "standby (B)", f.standby(), blockers);

    Integer sourceMajor = null;
    String sourceSays = null;
    if (plan.source().reachable()) {
      if (f.sourceVersionNum().ok()) {
        sourceMajor = f.sourceVersionNum().value() / 10000;
        sourceSays = "the source runs PostgreSQL " + sourceMajor;
        notes.add("source reachable: PostgreSQL " + sourceMajor);
      } else {
        blockers.add("source: cannot connect (" + f.sourceVersionNum().error() + "); it is needed to fence it and read"
            + " its final WAL position; fix source.url or remove it from the plan");
      }
    }
    if (sourceMajor == null && plan.source().pgMajor() != null) {
      sourceMajor = plan.source().pgMajor();
      sourceSays = "source.pg_major is " + sourceMajor;
    }

    Fact<Optional<ArchiveInspector.Backup>> backup = f.backup();
    long expanded = 0;
    if (backup.error() != null) {
      blockers.add("archive " + plan.archive().url() + ": cannot read (" + backup.error() + ")");
    } else if (backup.value() == null) {
      notes.add("archive " + plan.archive().url() + ": not read from the controller; agent " + aId
          + " reads it in ARCHIVE_REPLICA and reports any error");
    } else if (backup.value().isEmpty()) {
      blockers.add("archive " + plan.archive().url() + ": holds no complete base backup (no backup sentinel)");
    } else {
      ArchiveInspector.Backup b = backup.value().get();
      expanded = b.expandedBytes();
      notes.add("archive: newest backup " + b.name() + (expanded > 0 ? ", " + expanded + " bytes expanded" : ""));
      for (String problem : b.walProblems()) {
        blockers.add("archive " + plan.archive().url() + ": " + problem);
      }
      if (b.pgMajor() > 0 && sourceMajor == null) {
        sourceMajor = b.pgMajor();
        sourceSays = "backup " + b.name() + " is of PostgreSQL " + b.pgMajor();
      } else if (b.pgMajor() > 0 && b.pgMajor() != sourceMajor) {
        blockers.add("archive: backup " + b.name() + " is of PostgreSQL " + b.pgMajor() + " but " + sourceSays);
      }
    }

    if (sourceMajor == null) {
      notes.add("source major version unknown (no source.url, no source.pg_major, backup silent): not checked");
    } else {
      for (var n : List.of(new Object[] {aId, aMajor}, new Object[] {bId, bMajor})) {
        Integer m = (Integer) n[1];
        if (m != null && !m.equals(sourceMajor)) {
          blockers.add("node " + n[0] + ": its PostgreSQL binaries are version " + m + " but " + sourceSays
              + "; a physical replica needs the same major version");
        }
      }
    }

    int margin = plan.thresholds().diskMarginPercent();
    for (var entry : List.of(new Object[] {aId, f.archiveReplica()}, new Object[] {bId, f.standby()})) {
      @SuppressWarnings("unchecked")
      Optional<NodeView> v = (Optional<NodeView>) entry[1];
      if (v.isEmpty() || v.get().status() == null || !v.get().status().hasDisk()) {
        continue;
      }
      long free = v.get().status().getDisk().getDataDirFreeBytes();
      if (expanded <= 0) {
        notes.add("node " + entry[0] + ": " + free + " bytes free (backup size unknown: not compared)");
        continue;
      }
      long needed = expanded + expanded * margin / 100;
      if (free < needed) {
        blockers.add("node " + entry[0] + ": " + free + " bytes free in the data directory's filesystem, needs "
            + needed + " (backup " + expanded + " expanded + " + margin + "%)");
      }
    }

    typeOids(plan, f.typesUsed(), blockers, notes);

    if (f.targetVersionNum().ok()) {
      notes.add("target reachable: PostgreSQL " + f.targetVersionNum().value() / 10000);
    } else {
      blockers.add("target: cannot connect (" + f.targetVersionNum().error() + ")");
    }
    return new Report(List.copyOf(blockers), List.copyOf(notes));
  }

  /** Types whose OIDs differ on T break clients that cache OIDs after cutover 2, unless the app is restarted. */
  private static void typeOids(Plan plan, Fact<List<TypeUsage.UsedType>> types, List<String> blockers,
                               List<String> notes) {
    if (plan.logical().replicationPassword() == null || types == null) { // no logical: block, no cutover 2
      return;
    }
    if (!types.ok()) {
      notes.add("types used by the app's tables: not read (" + (types.error() == null ? "source.url not set"
          : types.error()) + ")");
      return;
    }
    if (types.value().isEmpty()) {
      notes.add("the app's tables use only built-in types: their OIDs are the same on the target");
      return;
    }
    String which = "the app's tables use types whose OIDs will differ on the target: " + types.value().stream()
        .map(TypeUsage.UsedType::toString).collect(Collectors.joining(", "));
    if (plan.switchSpec().type() == Plan.SwitchType.HEROKU) {
      notes.add(which + "; the Heroku switch restarts the dynos at cutover 2, so they look them up again");
    } else if (plan.switchSpec().restartsApp()) {
      notes.add(which + "; switch.app_restart restarts the app right after cutover 2's repoint");
    } else if (!plan.app().oidsCachedByApp()) {
      notes.add(which + "; app.oids_cached_by_app is false: the app is said to look them up again");
    } else {
      blockers.add(which + ". Clients that cache type OIDs per process (psycopg2 and Django, Rails, pgjdbc) misread"
          + " them after cutover 2 until restarted: set switch.app_restart to a command that restarts or reconnects the"
          + " app (run right after the repoint), or app.oids_cached_by_app: false if the app does not cache them");
    }
  }

  private static Integer node(String id, String role, Optional<NodeView> v, List<String> blockers) {
    if (v.isEmpty()) {
      blockers.add("node " + id + " (" + role + "): no agent with this id has connected; start pgferry-agent there"
          + " with node_id: " + id);
      return null;
    }
    if (!v.get().connected()) {
      blockers.add("node " + id + " (" + role + "): agent not connected (last seen " + v.get().lastSeen() + ")");
    }
    Status s = v.get().status();
    if (s != null && !s.getLastError().isEmpty()) {
      blockers.add("node " + id + ": the agent reports an error: " + s.getLastError());
    }
    int major = v.get().hello() == null ? 0 : v.get().hello().getPgMajor();
    return major > 0 ? major : null;
  }
}
