package io.pgferry.controller.journey;

import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.collation.CollationCheck;
import io.pgferry.controller.sql.collation.CollationReport;
import java.time.Clock;

/** Cutover 1's collation check of a node's restored catalog, in the app's database. */
public interface CollationProbe {
  /** The real one: {@link CollationCheck} on the node's PostgreSQL as failover.admin_user. */
  CollationProbe JDBC = (plan, node, clock) ->
      new CollationCheck(Endpoints.admin(plan, node, plan.app().dbname()), clock).run();

  CollationReport check(Plan plan, NodeView node, Clock clock) throws Exception;
}
