package io.pgferry.controller.sql.failover;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.SqlQuote;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.logical.Subscription;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * The last resort when a slot position cannot be proven safe: re-copy only the tables at risk. A missing slot is
 * created on the new publisher B (its start is the new position), the tables at risk are emptied on T (rows B never had
 * would clash with B's next keys) and T's subscription is repointed to B. Then
 * T follows, for a moment, a helper publication on B holding only the tables that keep applying (so the tables at
 * risk leave the subscription; a FOR ALL TABLES publication cannot drop a table), the tables at risk are truncated on
 * T, and the subscription returns to its own publications with copy_data, which copies exactly the tables that
 * rejoin. Every other table keeps applying without a re-copy. The helper's comment names the subscription's own
 * publications, so a re-sync stopped half way (T following only the helper) is resumed correctly.
 */
public final class TableResync {
  static final String HELPER = "pgferry_resync";
  private static final Duration WALSENDER_GONE = Duration.ofSeconds(10);
  private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration PAUSE = Duration.ofMillis(100);
  private static final Duration TELL_EVERY = Duration.ofSeconds(30);
  private static final Logger LOG = Logger.getLogger(TableResync.class.getName());

  private TableResync() {}

  /** What {@link #resync} runs, for `pgferry plan`. Touches nothing. */
  public static List<String> describe(String subscription, String publisher) {
    String sub = SqlQuote.ident(subscription);
    return List.of(
        "on " + publisher + ": CREATE PUBLICATION " + HELPER + " FOR TABLE <the tables not at risk>  (its comment names the"
            + " subscription's own publications); pg_create_logical_replication_slot('<slot>', 'pgoutput') if the slot is missing",
        "target: TRUNCATE <the tables at risk> (rows the new publisher never had would clash with its next keys);"
            + " repoint " + sub + " to " + publisher + " as above; wait until it confirmed past the helper's creation",
        "target: ALTER SUBSCRIPTION " + sub + " SET PUBLICATION " + HELPER + " WITH (refresh = true, copy_data = false);"
            + " TRUNCATE <the tables at risk>",
        "target: ALTER SUBSCRIPTION " + sub + " SET PUBLICATION <its own publications> WITH (refresh = true, copy_data = true)"
            + "  (copies exactly the tables that rejoin)",
        "on " + publisher + ": DROP PUBLICATION IF EXISTS " + HELPER + "  (once the target's apply worker reconnected)");
  }

  /** Returns the tables re-synced. */
  public static List<String> resync(Connection t, String subscription, Connection b, String slot, String conninfo,
                                    List<String> tables, boolean slotExists) throws SQLException {
    if (tables.isEmpty()) {
      createSlotIfMissing(b, slot, slotExists);
      SubscriptionRepoint.repoint(t, subscription, conninfo);
      return tables;
    }
    List<String> own = ownPublications(t, subscription, b);
    Map<Long, String> subscribed = subscribedTables(t, subscription);
    List<Long> atRisk = new ArrayList<>();
    for (String table : tables) {
      atRisk.add(oid(t, table));
    }
    // T's record of the carried DDL it ran is T's own (empty on the publisher): re-copied, it would be emptied, and
    // the re-copied ddl_log would run every statement again on T
    String applied = Sql.value(t, "select to_regclass('pgferry.ddl_applied')::oid::text");
    if (applied != null) {
      atRisk.remove(Long.valueOf(applied));
    }
    List<String> keep = subscribed.entrySet().stream().filter(e -> !atRisk.contains(e.getKey())).map(Map.Entry::getValue).toList();
    List<String> truncate = new ArrayList<>();
    for (Long oid : atRisk) {
      truncate.add(qualified(t, oid));
    }
    // T may hold rows of these tables the publisher never had (applied from the old primary past the promotion point)
    // while the publisher's sequences hand out their keys again: the changes T takes from B before the helper switch
    // would then fail on a duplicate key, again and again. Emptied first, they apply; emptied again before the re-copy.
    truncate(t, truncate);
    // pgoutput looks publications up in the catalog as of each change it decodes: the helper must exist before the
    // first change T's subscription will be sent, or the walsender fails with "publication does not exist"
    Sql.execute(b, "DROP PUBLICATION IF EXISTS " + HELPER);
    Sql.execute(b, "CREATE PUBLICATION " + HELPER + (keep.isEmpty() ? "" : " FOR TABLE " + String.join(", ", keep)));
    Sql.execute(b, "COMMENT ON PUBLICATION " + HELPER + " IS " + SqlQuote.literal(String.join(",", own)));
    String helperAt = Sql.value(b, "select pg_current_wal_lsn()::text");
    createSlotIfMissing(b, slot, slotExists);
    SubscriptionRepoint.repoint(t, subscription, conninfo);
    if (slotExists) {
      awaitConfirmed(t, subscription, b, slot, helperAt);
    }
    Sql.execute(t, "ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " SET PUBLICATION " + HELPER
        + " WITH (refresh = true, copy_data = false)");
    truncate(t, truncate);
    Integer walsender = activePid(b, slot);
    Sql.execute(t, "ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " SET PUBLICATION "
        + String.join(", ", own.stream().map(SqlQuote::ident).toList()) + " WITH (refresh = true, copy_data = true)");
    // the walsender that serves the helper reloads its publications on an invalidation: dropping the helper under it
    // would fail it (and T's apply would retry seconds later), so wait until T's apply worker has reconnected
    try {
      Poll.untilTrue(Deadline.in(WALSENDER_GONE), PAUSE, "the helper's walsender to go",
          () -> walsender == null || !Objects.equals(walsender, activePid(b, slot)));
    } catch (Poll.Timeout e) {
      // best effort: T's apply worker retries if the drop below fails its walsender
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
    Sql.execute(b, "DROP PUBLICATION IF EXISTS " + HELPER);
    return tables;
  }

  private static void truncate(Connection t, List<String> tables) throws SQLException {
    if (!tables.isEmpty()) {
      Sql.execute(t, "TRUNCATE " + String.join(", ", tables));
    }
  }

  private static void createSlotIfMissing(Connection b, String slot, boolean slotExists) throws SQLException {
    if (!slotExists) {
      Sql.execute(b, "select pg_create_logical_replication_slot(" + SqlQuote.literal(slot) + ", 'pgoutput')"
          + " where not exists (select 1 from pg_replication_slots where slot_name = " + SqlQuote.literal(slot) + ")");
    }
  }

  /**
   * An existing slot may still have changes from before the helper to send: T (on its own publications) must have
   * confirmed past the helper's creation first. A logical message gives an idle publisher something to confirm.
   */
  private static void awaitConfirmed(Connection t, String subscription, Connection b, String slot, String lsn) throws SQLException {
    Sql.execute(b, "select pg_logical_emit_message(true, 'pgferry', 'resync')");
    long errorsBefore = Subscription.workerErrors(t, subscription);
    Deadline deadline = Deadline.in(CONFIRM_TIMEOUT);
    long[] toldAt = {0};
    try {
      Poll.untilTrue(deadline, PAUSE, "the target to confirm " + lsn + " on slot " + slot, () -> {
        if (Sql.exists(b, "select 1 from pg_replication_slots where slot_name = ? and confirmed_flush_lsn >= ?::pg_lsn", slot, lsn)) {
          return true;
        }
        Long waiting = recordedStatementNotRunOnTarget(t, b);
        if (waiting != null) {
          // T's apply stops on a carried statement it cannot run (docs/ddl.md) and confirms nothing past it: the
          // operator resolves it with `pgferry ddl skip|retry N` (they need only T), then T confirms. Not a failure.
          deadline.renew();
          if (System.nanoTime() - toldAt[0] > TELL_EVERY.toNanos()) {
            toldAt[0] = System.nanoTime();
            LOG.warning("re-sync: the target's apply waits on recorded DDL statement #" + waiting + " (`pgferry status` names it;"
                + " `pgferry ddl skip|retry " + waiting + "` resolves it); waiting for it to confirm " + lsn + " on slot " + slot);
          }
        }
        return false;
      });
    } catch (Poll.Timeout e) {
      long errors = Subscription.workerErrors(t, subscription) - errorsBefore;
      throw new IllegalStateException("re-sync: the target did not confirm " + lsn + " on slot " + slot + " within "
          + CONFIRM_TIMEOUT.toSeconds() + " s (" + (errors > 0 ? "its apply worker failed " + errors + " time(s) meanwhile: the"
          + " message is in the target's log" : "is its subscription enabled and connected to the new publisher?") + ");"
          + " the tables at risk are not re-copied yet: run the failover step again");
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  /**
   * The first statement the new publisher recorded in pgferry.ddl_log (carried DDL, docs/ddl.md) that T has not run
   * or skipped, or null (none, or no DDL carried).
   */
  public static Long recordedStatementNotRunOnTarget(Connection t, Connection b) throws SQLException {
    String ledger = "select 1 from pg_class where oid = to_regclass('pgferry.ddl_applied')";
    if (!Sql.exists(t, ledger) || !Sql.exists(b, ledger.replace("ddl_applied", "ddl_log"))) {
      return null;
    }
    String done = Sql.value(t, "select coalesce(string_agg(id::text, ','), '') from pgferry.ddl_applied");
    String first = Sql.value(b, "select min(id)::text from pgferry.ddl_log where id <> all(string_to_array(?, ',')::bigint[])", done);
    return first == null ? null : Long.parseLong(first);
  }

  private static IllegalStateException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    return new IllegalStateException("interrupted while re-syncing", e);
  }

  /** The subscription's publications; while it follows only the helper (a stopped re-sync), those the helper names. */
  private static List<String> ownPublications(Connection t, String subscription, Connection b) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = t.prepareStatement("select unnest(subpublications) from pg_subscription where subname = ?")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!HELPER.equals(rs.getString(1))) {
            out.add(rs.getString(1));
          }
        }
      }
    }
    if (!out.isEmpty()) {
      return out;
    }
    try (Statement st = b.createStatement(); ResultSet rs = st.executeQuery(
        "select obj_description(oid, 'pg_publication') from pg_publication where pubname = '" + HELPER + "'")) {
      String names = rs.next() ? rs.getString(1) : null;
      if (names == null || names.isBlank()) {
        throw new IllegalStateException("subscription " + subscription + " follows only " + HELPER
            + " and the publisher does not say which publications it followed before; ALTER SUBSCRIPTION " + subscription
            + " SET PUBLICATION <its publications> and run the failover again");
      }
      return List.of(names.split(","));
    }
  }

  /** OID -> schema-qualified, quoted name of every table the subscription holds on T. */
  private static Map<Long, String> subscribedTables(Connection t, String subscription) throws SQLException {
    Map<Long, String> out = new LinkedHashMap<>();
    try (PreparedStatement ps = t.prepareStatement("select c.oid, format('%I.%I', n.nspname, c.relname) from pg_subscription_rel r"
        + " join pg_subscription s on s.oid = r.srsubid join pg_class c on c.oid = r.srrelid"
        + " join pg_namespace n on n.oid = c.relnamespace where s.subname = ? order by 2")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  private static long oid(Connection t, String table) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("select to_regclass(?)::oid")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long oid = rs.getLong(1);
        if (rs.wasNull()) {
          throw new IllegalStateException("re-sync: no table " + table + " on the target");
        }
        return oid;
      }
    }
  }

  private static String qualified(Connection t, long oid) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("select format('%I.%I', n.nspname, c.relname) from pg_class c"
        + " join pg_namespace n on n.oid = c.relnamespace where c.oid = ?")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static Integer activePid(Connection b, String slot) throws SQLException {
    try (PreparedStatement ps = b.prepareStatement("select active_pid from pg_replication_slots where slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        int pid = rs.getInt(1);
        return rs.wasNull() ? null : pid;
      }
    }
  }

}
