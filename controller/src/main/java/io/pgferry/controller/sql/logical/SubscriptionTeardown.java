package io.pgferry.controller.sql.logical;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ends a subscription without depending on the publisher answering: disable it, detach its slot, drop it on the
 * subscriber; then drop the slot on the publisher once its walsender is gone (an abandoned slot would keep WAL
 * on the publisher forever). Each piece checks whether it is done already.
 */
public final class SubscriptionTeardown implements SqlAction<List<String>> {
  private final PgEndpoint subscriber;
  private final PgEndpoint publisher;
  private final LogicalNames names;
  private final Duration slotReleaseTimeout;

  public SubscriptionTeardown(PgEndpoint subscriber, PgEndpoint publisher, LogicalNames names, Duration slotReleaseTimeout) {
    this.subscriber = subscriber;
    this.publisher = publisher;
    this.names = names;
    this.slotReleaseTimeout = slotReleaseTimeout == null ? Duration.ofSeconds(30) : slotReleaseTimeout;
  }

  @Override
  public List<String> describe() {
    String s = Sql.ident(names.subscription());
    return List.of("on " + subscriber + ": ALTER SUBSCRIPTION " + s + " DISABLE; ALTER SUBSCRIPTION " + s + " SET (slot_name = NONE); DROP SUBSCRIPTION "
            + s + "  -- each only if not done",
        "on " + publisher + ": wait until slot " + names.slot() + " is inactive, then SELECT pg_drop_replication_slot('" + names.slot() + "')  -- if it exists");
  }

  /**
   * On {@code subscriber}: disable the subscription, detach its slot (so the drop never reaches for a publisher that
   * may be gone), drop it; each only if not done. Returns what it did.
   */
  public static List<String> dropSubscription(PgEndpoint subscriber, LogicalNames names) throws Exception {
    List<String> did = new ArrayList<>();
    String s = Sql.ident(names.subscription());
    try (Connection c = subscriber.connect(Purpose.CUTOVER)) {
      List<Map<String, String>> sub = Sql.rows(c, "SELECT subenabled, subslotname FROM pg_subscription WHERE subname = ? "
          + "AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())", names.subscription());
      if (!sub.isEmpty()) {
        if ("t".equals(sub.get(0).get("subenabled"))) {
          Sql.execute(c, "ALTER SUBSCRIPTION " + s + " DISABLE");
          did.add("disabled " + names.subscription());
        }
        if (sub.get(0).get("subslotname") != null) {
          Sql.execute(c, "ALTER SUBSCRIPTION " + s + " SET (slot_name = NONE)");
        }
        Sql.execute(c, "DROP SUBSCRIPTION " + s);
        did.add("dropped subscription " + names.subscription());
      }
    }
    return did;
  }

  /** Returns what it did. */
  @Override
  public List<String> run() throws Exception {
    List<String> did = new ArrayList<>(dropSubscription(subscriber, names));
    try (Connection c = publisher.connect(Purpose.CUTOVER)) {
      try {
        Poll.untilTrue(Deadline.in(slotReleaseTimeout), Duration.ofMillis(100), "slot " + names.slot() + " to be released", () -> {
          String active = Sql.value(c, "SELECT active::text FROM pg_replication_slots WHERE slot_name = ?", names.slot());
          if ("false".equals(active)) {
            Sql.value(c, "SELECT pg_drop_replication_slot(?)::text", names.slot());
            did.add("dropped slot " + names.slot() + " on " + publisher);
          }
          return !"true".equals(active);
        });
      } catch (Poll.Timeout e) {
        throw new IllegalStateException("slot " + names.slot() + " on " + publisher + " is still in use " + slotReleaseTimeout.toSeconds()
            + " s after its subscription was disabled; find its walsender in pg_stat_replication");
      }
    }
    return did;
  }
}
