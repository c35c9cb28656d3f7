package io.pgferry.controller.sql.logical;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What `pgferry finish` removes from a database once the journey is done: pgferry's replication slots (every slot
 * whose name starts with {@code pgferry}: B's physical slot, the subscription's and the reverse subscription's
 * logical slots) and its publications. A slot still in use is waited for (its standby or subscriber is stopped
 * first); each drop happens only if the object is there, so running it again does nothing.
 */
public final class Leftovers {
  static final String SLOT_PREFIX = "pgferry";

  private Leftovers() {}

  public static List<String> describe(String where, List<String> publications) {
    return List.of("on " + where + ": SET default_transaction_read_only = off (the fence leaves the database read-only);"
            + " SET synchronous_commit = local (the standby, stopped, may still be the synchronous one); wait until every slot named " + SLOT_PREFIX + "* is inactive, then SELECT pg_drop_replication_slot(slot_name)"
            + " for each",
        "on " + where + ": DROP PUBLICATION IF EXISTS " + String.join(", ", publications.stream().map(Sql::ident).toList()));
  }

  /** Drops pgferry's slots and the given publications on {@code db}; returns what it did. */
  public static List<String> drop(PgEndpoint db, List<String> publications, Duration slotReleaseTimeout) throws Exception {
    List<String> did = new ArrayList<>();
    try (Connection c = db.connect(Purpose.ADMIN)) {
      Sql.execute(c, "SET default_transaction_read_only = off");
      // with durability sync the stopped standby is still A's synchronous standby: a commit would wait for it forever
      Sql.execute(c, "SET synchronous_commit = local");
      String like = SLOT_PREFIX + "%";
      try {
        Poll.untilTrue(Deadline.in(slotReleaseTimeout), Duration.ofMillis(200), "pgferry's slots on " + db + " to be released",
            () -> Sql.rows(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE ? AND active", like).isEmpty());
      } catch (Poll.Timeout e) {
        throw new IllegalStateException("slots " + Sql.rows(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name"
            + " LIKE ? AND active", like).stream().map(r -> r.get("slot_name")).toList() + " on " + db + " are still in use "
            + slotReleaseTimeout.toSeconds() + " s after their readers were stopped; see pg_stat_replication");
      }
      for (Map<String, String> slot : Sql.rows(c, "SELECT slot_name, slot_type FROM pg_replication_slots WHERE slot_name LIKE ?"
          + " AND NOT active ORDER BY slot_name", like)) {
        Sql.value(c, "SELECT pg_drop_replication_slot(?)::text", slot.get("slot_name"));
        did.add("dropped " + slot.get("slot_type") + " slot " + slot.get("slot_name"));
      }
      for (String pub : publications) {
        if (Sql.exists(c, "SELECT 1 FROM pg_publication WHERE pubname = ?", pub)) {
          Sql.execute(c, "DROP PUBLICATION IF EXISTS " + Sql.ident(pub));
          did.add("dropped publication " + pub);
        }
      }
    }
    return did;
  }
}
