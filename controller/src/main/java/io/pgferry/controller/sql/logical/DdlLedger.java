package io.pgferry.controller.sql.logical;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The controller's view of carried DDL: what A recorded ({@link DdlCapture}), what T ran or skipped ({@link DdlReplay}),
 * the first statement T still waits on; and the operator's answers to a statement T cannot run: {@link #skip} (it was
 * applied by hand or is not wanted on T) and {@link #retry} (T was fixed: run it again now). Also refreshes the
 * subscription once a carried statement made a table T's subscription does not follow yet (new tables: copied, then
 * followed). Blocking: call from a worker thread.
 */
public final class DdlLedger {
  /** One recorded statement. */
  public record Statement(long id, String tag, String role, String ddl) {
    public String shortText() {
      String flat = ddl.strip().replaceAll("\\s+", " ");
      return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
    }
  }

  /**
   * @param recorded statements A recorded
   * @param applied statements T ran or skipped
   * @param waiting the first recorded statement T has not run yet
   * @param applyErrors T's apply and table sync error count for the subscription (pg_stat_subscription_stats; 0 before PG 15)
   */
  public record State(long recorded, long applied, Optional<Statement> waiting, long applyErrors) {
    public static final State NONE = new State(0, 0, Optional.empty(), 0);

    public boolean allApplied() {
      return waiting.isEmpty();
    }

    /** T ran or skipped every statement up to {@code id}. */
    public boolean appliedThrough(long id) {
      return waiting.map(w -> w.id() > id).orElse(true);
    }

    /** For the sync line and `pgferry status`; empty when nothing was recorded. */
    public String sentence() {
      if (recorded == 0) {
        return "";
      }
      String head = "DDL: " + applied + " of " + recorded + " statement(s) applied on T";
      return waiting.map(w -> head + "; T waits on #" + w.id() + " (" + w.tag() + " as " + w.role() + "): " + w.shortText()
          + (applyErrors > 0 ? " -- T's replication workers failed " + applyErrors + " time(s) (the message is in T's log): apply it on T by hand"
              + " then `pgferry ddl skip " + w.id() + "`, or fix T then `pgferry ddl retry " + w.id() + "`" : "")).orElse(head);
    }
  }

  private final PgEndpoint publisher;
  private final PgEndpoint subscriber;
  private final LogicalNames names;

  public DdlLedger(PgEndpoint publisher, PgEndpoint subscriber, LogicalNames names) {
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.names = names;
  }

  public static List<String> describe() {
    return List.of("DDL recorded on the publisher, A (B after a failover), in pgferry.ddl_log against DDL run or skipped on T (pgferry.ddl_applied); "
        + "ALTER SUBSCRIPTION ... REFRESH PUBLICATION on T once a carried statement created a table the subscription does not follow");
  }

  public State state() throws SQLException {
    Set<Long> done = new HashSet<>();
    long errors = 0;
    try (Connection t = subscriber.connect(Purpose.CATCH_UP)) {
      if (!hasLedger(t)) {
        return State.NONE;
      }
      for (Map<String, String> r : Sql.rows(t, "SELECT id::text AS id FROM pgferry.ddl_applied")) {
        done.add(Long.parseLong(r.get("id")));
      }
      // a statement recorded before ddl_log's initial copy ended fails in the table sync worker, later ones in the apply worker
      errors = Subscription.workerErrors(t, names.subscription());
    }
    try (Connection a = publisher.connect(Purpose.CATCH_UP)) {
      if (!hasLedger(a)) {
        return State.NONE;
      }
      long recorded = 0;
      long applied = 0;
      Statement waiting = null;
      for (Map<String, String> r : Sql.rows(a, "SELECT id::text AS id, tag, role::text AS role, ddl FROM pgferry.ddl_log ORDER BY id")) {
        long id = Long.parseLong(r.get("id"));
        recorded++;
        if (done.contains(id)) {
          applied++;
        } else if (waiting == null) {
          waiting = new Statement(id, r.get("tag"), r.get("role"), r.get("ddl"));
        }
      }
      return new State(recorded, applied, Optional.ofNullable(waiting), errors);
    }
  }

  /**
   * Waits until T ran or skipped every statement the publisher recorded so far; {@code progress} hears the ledger's
   * sentence while T is behind. The state last read is returned; {@link Poll.Timeout} when the deadline passes first.
   */
  public State awaitRecordedSoFar(Deadline deadline, Duration interval, Poll.Pause pause, Consumer<String> progress) throws Exception {
    long last = lastRecorded();
    return Poll.until(deadline, interval, pause, "T to run the DDL recorded so far", () -> {
      State s = state();
      if (s.appliedThrough(last)) {
        return Optional.of(s);
      }
      progress.accept(s.sentence());
      return Optional.empty();
    });
  }

  /** The last statement the publisher recorded (0: none, or no DDL carried). */
  public long lastRecorded() throws SQLException {
    try (Connection a = publisher.connect(Purpose.CATCH_UP)) {
      return hasLedger(a) ? Long.parseLong(Sql.value(a, "SELECT coalesce(max(id), 0)::text FROM pgferry.ddl_log")) : 0;
    }
  }

  private static boolean hasLedger(Connection c) throws SQLException {
    return Sql.exists(c, "SELECT 1 FROM pg_class WHERE oid = to_regclass('pgferry.ddl_log')");
  }

  /**
   * Marks statement {@code id} skipped on T (the trigger then lets its row through without running it) and restarts
   * apply at once. True when it was not marked yet.
   */
  public boolean skip(long id) throws SQLException {
    try (Connection t = subscriber.connect(Purpose.SCHEMA)) {
      int n;
      try (var ps = t.prepareStatement("INSERT INTO pgferry.ddl_applied (id, outcome) VALUES (?, 'skipped') ON CONFLICT (id) DO NOTHING")) {
        ps.setLong(1, id);
        n = ps.executeUpdate();
      }
      restartApply(t);
      return n == 1;
    }
  }

  /** Clears a skip mark of {@code id} not yet used and restarts apply now (instead of at the worker's next retry). */
  public void retry(long id) throws SQLException {
    try (Connection t = subscriber.connect(Purpose.SCHEMA)) {
      try (var ps = t.prepareStatement("DELETE FROM pgferry.ddl_applied WHERE id = ? AND outcome = 'skipped' "
          + "AND NOT EXISTS (SELECT 1 FROM pgferry.ddl_log WHERE id = ?)")) {
        ps.setLong(1, id);
        ps.setLong(2, id);
        ps.executeUpdate();
      }
      restartApply(t);
    }
  }

  private void restartApply(Connection t) throws SQLException {
    if (Subscription.exists(t, names.subscription())) {
      Sql.execute(t, "ALTER SUBSCRIPTION " + Sql.ident(names.subscription()) + " DISABLE");
      Sql.execute(t, "ALTER SUBSCRIPTION " + Sql.ident(names.subscription()) + " ENABLE");
    }
  }

  /**
   * REFRESH PUBLICATION on T when A publishes a table T has but the subscription does not follow (a carried CREATE
   * TABLE): the replication role gets USAGE and SELECT on it on A (the initial copy reads it as that role), then T
   * copies it and applies its changes. Returns the tables that were new.
   */
  public List<String> refreshForNewTables() throws SQLException {
    List<String[]> published = new ArrayList<>();
    try (Connection a = publisher.connect(Purpose.CATCH_UP)) {
      for (Map<String, String> r : Sql.rows(a, "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?",
          names.publication())) {
        published.add(new String[] {r.get("schemaname"), r.get("tablename")});
      }
    }
    List<String[]> fresh = new ArrayList<>();
    try (Connection t = subscriber.connect(Purpose.SCHEMA)) {
      if (!Subscription.exists(t, names.subscription())) {
        return List.of();
      }
      Set<String> unfollowed = new HashSet<>();
      for (Map<String, String> r : Sql.rows(t, "SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n "
          + "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND " + Sql.USER_SCHEMAS + " AND NOT EXISTS (SELECT 1 FROM "
          + "pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid WHERE s.subname = ? AND sr.srrelid = c.oid)",
          names.subscription())) {
        unfollowed.add(r.get("t"));
      }
      for (String[] p : published) {
        if (unfollowed.contains(p[0] + "." + p[1])) {
          fresh.add(p);
        }
      }
      if (fresh.isEmpty()) {
        return List.of();
      }
      try (Connection a = publisher.connect(Purpose.SCHEMA)) {
        for (String[] p : fresh) {
          Sql.execute(a, "GRANT USAGE ON SCHEMA " + Sql.ident(p[0]) + " TO " + Sql.ident(names.role()));
          Sql.execute(a, "GRANT SELECT ON " + Sql.ident(p[0]) + "." + Sql.ident(p[1]) + " TO " + Sql.ident(names.role()));
        }
      }
      Sql.execute(t, "ALTER SUBSCRIPTION " + Sql.ident(names.subscription()) + " REFRESH PUBLICATION");
    }
    return fresh.stream().map(p -> p[0] + "." + p[1]).toList();
  }
}
