package io.pgferry.controller.journey.steps;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.pg.ControllerRole;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.roles.ControllerRoleSetup;
import java.util.List;

/**
 * logical_setup.controller_role: the controller's least-privilege role on A, the first step after cutover 1 that
 * writes to A outside the app's pause (A became writable at cutover_1.promote_a). From the next step on, the
 * controller's reads on A and B log in as it ({@link ControllerRole}); B has it by replaying A. Only the certificate
 * shape: with passwords the plan's admin users are the operator's roles.
 */
final class ControllerRoleStep {
  private ControllerRoleStep() {}

  static IdempotentStep of(Plan plan, PgEndpoint aShown) {
    return of(JourneyTable.LS_CONTROLLER_ROLE, plan, aShown);
  }

  /**
   * failover.controller_role: the same on B once it is the publisher. B has the role by replay unless A was lost
   * before B received its creation (asynchronous durability); then the journal's "done" would route the controller's
   * reads on B to a role B does not have.
   */
  static IdempotentStep afterFailover(Plan plan, PgEndpoint bShown) {
    return of(JourneyTable.FO_CONTROLLER_ROLE, plan, bShown);
  }

  private static IdempotentStep of(String id, Plan plan, PgEndpoint aShown) {
    if (!plan.nodes().certificates()) {
      return new FnStep(id, List.of("nothing: nodes.hba_method is not cert, the controller logs in to A and B as the plan's"
          + " admin users (failover.admin_user, logical.admin_user)"), ctx -> StepResult.of("not the certificate shape: no role"));
    }
    return new SqlActionStep(id, ctx -> setup(LogicalEndpoints.a(ctx), ctx.plan()), setup(aShown, plan).describe());
  }

  static ControllerRoleSetup setup(PgEndpoint a, Plan plan) {
    return new ControllerRoleSetup(a, ControllerRole.NAME, ControllerRole.GRANTED, List.of(plan.app().dbname(), "postgres"));
  }
}
