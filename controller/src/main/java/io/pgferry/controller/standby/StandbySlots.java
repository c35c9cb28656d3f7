package io.pgferry.controller.standby;

import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.slots.PhysicalSlots;
import io.pgferry.controller.sql.slots.PhysicalSlots;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import java.sql.Connection;

/** The physical slot an added standby streams through, on its primary (failover.admin_user). Blocking. */
public interface StandbySlots {
  /** For a node being (re)built: a fresh slot (an inactive one of that name is dropped first). */
  PhysicalSlots.Outcome renew(Plan plan, NodeView primary, String slot) throws Exception;

  /** For a node already assigned: the slot exists (created unless it does). */
  PhysicalSlots.Outcome ensure(Plan plan, NodeView primary, String slot) throws Exception;

  /** The real thing: SQL on the primary at the address its agent gave in Hello. */
  static StandbySlots postgres() {
    return new StandbySlots() {
      @Override
      public PhysicalSlots.Outcome renew(Plan plan, NodeView primary, String slot) throws Exception {
        try (Connection c = Endpoints.admin(plan, primary, "postgres").connect(Purpose.ADMIN)) {
          return PhysicalSlots.renew(c, slot);
        }
      }

      @Override
      public PhysicalSlots.Outcome ensure(Plan plan, NodeView primary, String slot) throws Exception {
        try (Connection c = Endpoints.admin(plan, primary, "postgres").connect(Purpose.ADMIN)) {
          return PhysicalSlots.create(c, slot);
        }
      }
    };
  }
}
