package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.SqlAction;
import java.util.ArrayList;
import java.util.List;

/**
 * Replication T -> A after cutover 2, for rollback: a replication role and a publication on T, and a subscription
 * on A with copy_data = false (A already holds every row). Created while writes are still blocked, so its slot
 * starts before T's first new write.
 */
public final class ReverseReplication implements SqlAction<List<String>> {
  private final ReplicationRole role;
  private final Publication publication;
  private final Subscription subscription;

  /**
   * @param target T (publisher now), as pgferry's admin user
   * @param source A (subscriber now), as its admin user
   * @param targetAsSeenBySource T's host/port/dbname as A reaches it
   */
  public ReverseReplication(PgEndpoint target, PgEndpoint source, PgEndpoint targetAsSeenBySource, LogicalNames names, String password) {
    this.role = new ReplicationRole(target, names.role(), password);
    this.publication = new Publication(target, names.publication(), List.of());
    PgEndpoint seen = targetAsSeenBySource == null ? target : targetAsSeenBySource;
    this.subscription = new Subscription(source, seen.withUser(names.role(), password), names.subscription(), names.slot(), names.publication(),
        false, false);
  }

  public ReplicationRole role() {
    return role;
  }

  @Override
  public List<String> describe() {
    List<String> out = new ArrayList<>(role.describe());
    out.addAll(publication.describe());
    out.addAll(subscription.describe());
    return out;
  }

  @Override
  public List<String> run() throws Exception {
    return List.of("reverse role: " + role.run(), "reverse publication created: " + publication.run(), "reverse subscription created: " + subscription.run());
  }
}
