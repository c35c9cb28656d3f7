package io.pgferry.controller.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The control plane as one controller sees it (issue #17 item 6; `pgferry status`, the status page): the store,
 * whether this controller leads and who does, the leader changes it saw, every controller's last heartbeat in etcd
 * ({@code prefix/controllers/ADDRESS}) and each etcd member's health. The embedded store has one controller that
 * always leads and no etcd.
 */
public record ControlPlane(String store, String self, boolean leading, String leader, long leaderChanges,
                           List<Controller> controllers, Map<String, Boolean> etcdMembers, Duration leaseTtl) {
  /** A controller's heartbeat: its advertised address, whether it led when it wrote it, and when (its clock). */
  public record Controller(String address, boolean leading, Instant lastSeen) {}

  public static ControlPlane embedded() {
    return new ControlPlane("embedded", null, true, null, 0, List.of(), Map.of(), Duration.ZERO);
  }
}
