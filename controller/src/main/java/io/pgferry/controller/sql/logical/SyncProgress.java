package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.logical.SyncSnapshot.TableSync;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Watches a subscription: per-table state from T's pg_subscription_rel, sizes from A (a table being copied counts
 * with the size it has reached on T), lag and retained WAL from the slot on A. Keeps the previous snapshot to
 * compute the copy rate and an ETA. Read-only.
 */
public final class SyncProgress {
  private final PgEndpoint publisher;
  private final PgEndpoint subscriber;
  private final LogicalNames names;
  private final Clock clock;
  private SyncSnapshot previous;

  public SyncProgress(PgEndpoint publisher, PgEndpoint subscriber, LogicalNames names, Clock clock) {
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.names = names;
    this.clock = clock;
  }

  public static List<String> describe(LogicalNames names) {
    return List.of(
        "on T: SELECT n.nspname, c.relname, r.srsubstate, pg_table_size(c.oid) FROM pg_subscription_rel r ... WHERE subname = '" + names.subscription() + "'",
        "on A: SELECT pg_table_size(<table>) for each; SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), "
            + "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), active FROM pg_replication_slots WHERE slot_name = '" + names.slot() + "'; "
            + "replay_lag FROM pg_stat_replication WHERE application_name = '" + names.subscription() + "'");
  }

  public synchronized SyncSnapshot snapshot() throws SQLException {
    List<Map<String, String>> rel;
    try (Connection t = subscriber.connect(Purpose.CATCH_UP)) {
      t.setReadOnly(true);
      rel = Sql.rows(t, "SELECT n.nspname, c.relname, r.srsubstate::text AS state, pg_table_size(c.oid) AS bytes "
          + "FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid JOIN pg_class c ON c.oid = r.srrelid "
          + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE s.subname = ? ORDER BY 1, 2", names.subscription());
    }
    List<TableSync> tables = new ArrayList<>();
    long lagBytes = -1;
    long retained = 0;
    boolean active = false;
    OptionalDouble lagSeconds = OptionalDouble.empty();
    try (Connection a = publisher.connect(Purpose.CATCH_UP)) {
      a.setReadOnly(true);
      Map<TableRef, Long> sizes = new HashMap<>();
      for (Map<String, String> r : Sql.rows(a, "SELECT n.nspname, c.relname, pg_table_size(c.oid) AS bytes FROM pg_class c "
          + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND " + Sql.USER_SCHEMAS)) {
        sizes.put(new TableRef(r.get("nspname"), r.get("relname")), Long.parseLong(r.get("bytes")));
      }
      for (Map<String, String> r : rel) {
        TableRef ref = new TableRef(r.get("nspname"), r.get("relname"));
        long size = sizes.getOrDefault(ref, 0L);
        char state = r.get("state").charAt(0);
        long copied = switch (state) {
          case 'i' -> 0L;
          case 'd' -> Math.min(size, Long.parseLong(r.get("bytes")));
          default -> size;
        };
        tables.add(new TableSync(ref, state, size, copied));
      }
      List<Map<String, String>> slot = Sql.rows(a, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag, "
          + "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained, active FROM pg_replication_slots WHERE slot_name = ?", names.slot());
      if (!slot.isEmpty()) {
        lagBytes = slot.get(0).get("lag") == null ? -1 : Long.parseLong(slot.get(0).get("lag"));
        retained = slot.get(0).get("retained") == null ? 0 : Long.parseLong(slot.get(0).get("retained"));
        active = "t".equals(slot.get(0).get("active"));
      }
      String replayLag = Sql.value(a, "SELECT extract(epoch FROM replay_lag) FROM pg_stat_replication WHERE application_name = ? LIMIT 1",
          names.subscription());
      if (replayLag != null) {
        lagSeconds = OptionalDouble.of(Double.parseDouble(replayLag));
      } else if (lagBytes == 0) {
        lagSeconds = OptionalDouble.of(0);
      }
    }
    Instant now = clock.instant();
    SyncSnapshot draft = new SyncSnapshot(now, tables, lagBytes, lagSeconds, retained, active, Optional.empty());
    SyncSnapshot snap = new SyncSnapshot(now, tables, lagBytes, lagSeconds, retained, active, eta(draft));
    previous = snap;
    return snap;
  }

  private Optional<Duration> eta(SyncSnapshot now) {
    if (previous == null || now.allReady()) {
      return Optional.empty();
    }
    double seconds = Duration.between(previous.at(), now.at()).toMillis() / 1000.0;
    long progressed = now.copiedBytes() - previous.copiedBytes();
    if (seconds <= 0 || progressed <= 0) {
      return Optional.empty();
    }
    double rate = progressed / seconds;
    return Optional.of(Duration.ofSeconds((long) Math.ceil((now.totalBytes() - now.copiedBytes()) / rate)));
  }
}
