package io.pgferry.agent.goal;

import io.pgferry.agent.state.NodeTraits;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.HbaPolicy;
import io.pgferry.proto.ExportSnapshot;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a goal may carry, checked before the agent keeps it, whoever sent it (the controller, a goal file): a goal
 * writes into pg_hba.conf, pgferry.conf and the restore_command PostgreSQL runs through a shell, so each of those
 * values is held to what pgferry itself sends. Returns every problem as a sentence naming the field; none: accepted.
 */
public final class GoalValidator {
  /**
   * The settings a goal may carry: those the controller's goals send (synchronous_standby_names on a sync PRIMARY,
   * synchronized_standby_slots for PG 17 failover slots, wal_receiver_status_interval on a standby so it replies every
   * second: the primary's failsafe evidence, docs/failsafe.md; max_slot_wal_keep_size from the plan's wal_safety) and
   * those the agent manages for slot survival
   * (SlotSettings). Anything else (archive_command, restore_command, shared_preload_libraries, ssl_*_file, port,
   * listen_addresses...) belongs in agent.yaml's postgres.settings, set by whoever runs the host.
   */
  public static final Set<String> SETTINGS = Set.of("synchronous_standby_names", "synchronized_standby_slots",
      "hot_standby_feedback", "wal_level", "sync_replication_slots", "wal_receiver_status_interval",
      "max_slot_wal_keep_size");
  static final Set<String> HBA_TYPES = Set.of("host", "hostssl");

  private static final Pattern HBA_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_$.-]{0,62}");
  private static final Pattern WAL_SIZE = Pattern.compile("-1|[0-9]{1,12}(kB|MB|GB|TB)?");
  private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");
  private static final Pattern ATTEMPT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]{1,253}");
  /** Characters of an archive URL: it is part of restore_command, which PostgreSQL runs with sh. */
  private static final Pattern URL_CHARS = Pattern.compile("[A-Za-z0-9._~/:@%+=,-]+");
  private static final int MAX_VALUE = 1024;

  private final GoalLimits limits;
  private final int pgMajor;

  /** @param pgMajor the major version of the agent's PostgreSQL (md5 only up to 13) */
  public GoalValidator(GoalLimits limits, int pgMajor) {
    this.limits = limits;
    this.pgMajor = pgMajor;
  }

  public List<String> problems(Goal goal) {
    List<String> p = new ArrayList<>();
    NodeState state = goal.getState();
    if (state == NodeState.UNRECOGNIZED || !NodeTraits.of(state).goal()) {
      p.add("state " + state + " is not a goal state (" + NodeTraits.goalStates() + ")");
    }
    for (Map.Entry<String, String> e : new TreeMap<>(goal.getSettingsMap()).entrySet()) {
      setting(e.getKey(), e.getValue(), p);
    }
    for (int i = 0; i < goal.getHbaRulesCount(); i++) {
      hbaRule("hba_rules[" + i + "]", goal.getHbaRules(i), p);
    }
    if (!goal.getArchiveUrl().isEmpty()) {
      archiveUrl(goal.getArchiveUrl(), p);
    }
    if (goal.hasUpstream()) {
      upstream(goal.getUpstream(), p);
    }
    for (int i = 0; i < goal.getLogicalSlotsCount(); i++) {
      slot("logical_slots[" + i + "]", goal.getLogicalSlots(i), p);
    }
    if (goal.hasExportSnapshot()) {
      exportSnapshot(state, goal.getExportSnapshot(), p);
    }
    return p;
  }

  /** The initial copy's slot: a PRIMARY's, pgoutput, named as pgferry names slots, in a plain-named database. */
  private static void exportSnapshot(NodeState state, ExportSnapshot e, List<String> p) {
    if (state != NodeState.PRIMARY) {
      p.add("export_snapshot: only a PRIMARY goal holds an exported snapshot (this one is " + state + ")");
    }
    if (!ATTEMPT.matcher(e.getAttempt()).matches()) {
      p.add("export_snapshot.attempt '" + HbaPolicy.printable(e.getAttempt()) + "' is not an attempt id ([A-Za-z0-9_-], 1 to 64)");
    }
    slot("export_snapshot.slot_name", e.getSlotName(), p);
    if (!"pgoutput".equals(e.getPlugin())) {
      p.add("export_snapshot.plugin '" + HbaPolicy.printable(e.getPlugin()) + "' is not pgoutput");
    }
    name("export_snapshot.database", e.getDatabase(), p);
  }

  private void setting(String key, String value, List<String> p) {
    String k = HbaPolicy.printable(key);
    if (!SETTINGS.contains(key)) {
      p.add("settings: '" + k + "' is not a setting a goal may carry (" + String.join(", ", new TreeSet<>(SETTINGS))
          + "); set it in agent.yaml's postgres.settings");
      return;
    }
    plainText("settings." + k, value, p);
    if (key.equals("max_slot_wal_keep_size") && !WAL_SIZE.matcher(value).matches()) {
      p.add("settings.max_slot_wal_keep_size: '" + HbaPolicy.printable(value) + "' is not a size such as 50GB (or -1)");
    }
  }

  private void hbaRule(String where, HbaRule r, List<String> p) {
    if (!HBA_TYPES.contains(r.getType())) {
      p.add(where + ": type '" + HbaPolicy.printable(r.getType()) + "' is not host or hostssl");
    }
    name(where + ".database", r.getDatabase(), p);
    if (r.getClientCn().isEmpty() || !r.getUser().isEmpty()) {
      name(where + ".user", r.getUser(), p); // empty with a client_cn: the agent's bootstrap superuser
    }
    HbaPolicy.addressProblem(r.getAddress(), limits.allowWideAddress(), false).ifPresent(m -> p.add(where + ": " + m));
    HbaPolicy.methodProblem(r.getMethod(), pgMajor, limits.allowTrust()).ifPresent(m -> p.add(where + ": " + m));
    if (!r.getClientCn().isEmpty()) {
      if (!"cert".equals(r.getMethod()) || !"hostssl".equals(r.getType())) {
        p.add(where + ": client_cn goes with hostssl and method cert only");
      }
      name(where + ".client_cn", r.getClientCn(), p);
    }
  }

  /** A pg_hba database or user: one plain name or keyword (no quotes, lists, @file or +group). */
  private static void name(String where, String v, List<String> p) {
    if (!HBA_NAME.matcher(v).matches()) {
      p.add(where + " '" + HbaPolicy.printable(v) + "' is not a plain name (letters, digits, _ $ . -; no quotes,"
          + " spaces, commas, @ or +)");
    }
  }

  private static void archiveUrl(String url, List<String> p) {
    if (!URL_CHARS.matcher(url).matches()) {
      p.add("archive_url '" + HbaPolicy.printable(url) + "' holds characters an archive URL does not need"
          + " (it becomes part of restore_command, run by sh)");
      return;
    }
    try {
      ArchiveLocation.parse(url, null);
    } catch (UsageException e) {
      p.add("archive_url: " + e.getMessage());
    }
  }

  private static void upstream(Upstream u, List<String> p) {
    if (!HOST.matcher(u.getHost()).matches()) {
      p.add("upstream.host '" + HbaPolicy.printable(u.getHost()) + "' is not a host name or IP address");
    }
    if (u.getPort() < 1 || u.getPort() > 65535) {
      p.add("upstream.port " + u.getPort() + " is not a TCP port");
    }
    plainText("upstream.user", u.getUser(), p);
    plainText("upstream.dbname", u.getDbname(), p);
    plainText("upstream.application_name", u.getApplicationName(), p);
    plainText("upstream.password_file", u.getPasswordFile(), p);
    if (!u.getPasswordFile().isEmpty() && !u.getPasswordFile().startsWith("/")) {
      p.add("upstream.password_file '" + HbaPolicy.printable(u.getPasswordFile()) + "' is not an absolute path");
    }
    if (!u.getSlotName().isEmpty()) {
      slot("upstream.slot_name", u.getSlotName(), p);
    }
  }

  private static void slot(String where, String name, List<String> p) {
    if (!SLOT.matcher(name).matches()) {
      p.add(where + " '" + HbaPolicy.printable(name) + "' is not a replication slot name ([a-z0-9_], at most 63)");
    }
  }

  /** A value written into a config file: one line, no quote, backslash or NUL, bounded. */
  private static void plainText(String where, String v, List<String> p) {
    for (char c : v.toCharArray()) {
      if (c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '\\') {
        p.add(where + ": the value '" + HbaPolicy.printable(v) + "' holds a newline, quote, backslash or control"
            + " character");
        return;
      }
    }
    if (v.length() > MAX_VALUE) {
      p.add(where + ": the value is longer than " + MAX_VALUE + " characters");
    }
  }
}
