package io.pgferry.agent.slots;

import io.pgferry.common.Daemons;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Slot;
import io.pgferry.proto.Status;
import io.pgferry.proto.Upstream;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Keeps the logical slots a STREAMING_STANDBY goal names ({@code Goal.logical_slots}) usable after a promotion, on
 * one worker thread: PG 11-16 a {@link SlotKeeper} per slot (copy + advance; its restarts go through the
 * converger), PG 17 a {@link FailoverSlotCheck} of the synced failover slot. Reports each verdict in
 * Status.slots[].synced. Idle (and forgets its keepers) while the node is anything but a settled standby.
 */
public final class SlotGuard implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SlotGuard.class.getName());

  /** What the guard needs from the agent. */
  public record Wiring(
      int pgMajor,
      Path dataDir,
      String osUser,
      Supplier<Goal> goal,
      BooleanSupplier settledStandby,
      Connector local,
      Function<Upstream, Connector> upstream,
      ClusterControl control) {}

  private final Wiring w;
  private final Duration every;
  private final ScheduledExecutorService thread = Daemons.singleThread("pgferry-slot-guard");
  private final Map<String, SlotKeeper> keepers = new LinkedHashMap<>();
  private volatile Map<String, SlotCopyStatus> verdicts = Map.of();
  private Goal keepersFor;

  public SlotGuard(Wiring wiring, Duration every) {
    this.w = wiring;
    this.every = every;
  }

  public SlotGuard start() {
    thread.scheduleWithFixedDelay(this::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** The last verdict per slot named by the goal (empty when the goal names none or the node is not a standby). */
  public Map<String, SlotCopyStatus> verdicts() {
    return verdicts;
  }

  /** Sets Slot.synced on the named slots present in the Status; for NodeAgent.addStatusContributor. */
  public void contributeTo(Status.Builder b) {
    Map<String, SlotCopyStatus> v = verdicts;
    if (v.isEmpty()) {
      return;
    }
    for (int i = 0; i < b.getSlotsCount(); i++) {
      Slot slot = b.getSlots(i);
      SlotCopyStatus s = v.get(slot.getName());
      if (s != null) {
        b.setSlots(i, slot.toBuilder().setSynced(s.synced()));
      }
    }
  }

  private void tick() {
    try {
      Goal g = w.goal().get();
      List<String> wanted = g == null || g.getState() != NodeState.STREAMING_STANDBY ? List.of() : g.getLogicalSlotsList();
      if (wanted.isEmpty() || !w.settledStandby().getAsBoolean()) {
        if (!keepers.isEmpty() || !verdicts.isEmpty()) {
          keepers.clear();
          keepersFor = null;
        }
        if (wanted.isEmpty()) {
          verdicts = Map.of();
        }
        return;
      }
      Map<String, SlotCopyStatus> out = new LinkedHashMap<>();
      if (w.pgMajor() >= 17) {
        try (Connection c = w.local().connect("postgres")) {
          for (String slot : wanted) {
            out.put(slot, FailoverSlotCheck.check(c, slot));
          }
        }
      } else {
        ensureKeepers(g, wanted);
        for (String slot : wanted) {
          SlotCopyStatus s = keepers.get(slot).runOnce();
          SlotCopyStatus before = verdicts.get(slot);
          if (before == null || before.synced() != s.synced()) {
            LOG.info("logical slot copy " + s);
          }
          out.put(slot, s);
        }
      }
      verdicts = Map.copyOf(out);
    } catch (Exception | LinkageError e) {
      LOG.fine("slot guard: " + e);
    }
  }

  private void ensureKeepers(Goal g, List<String> wanted) {
    Goal key = g.toBuilder().setGeneration(0).build();
    if (key.equals(keepersFor)) {
      return;
    }
    keepers.clear();
    String physical = g.getUpstream().getSlotName();
    if (physical.isEmpty()) {
      throw new IllegalStateException("goal names logical slots to keep but its upstream has no slot_name"
          + " (the standby's physical slot on the primary, which protects the copies)");
    }
    Connector primary = w.upstream().apply(g.getUpstream());
    for (String slot : wanted) {
      keepers.put(slot, new SlotKeeper(new SlotKeeper.Options(slot, physical, w.dataDir(), w.osUser(), every),
          primary, w.local(), w.control()));
    }
    keepersFor = key;
  }

  @Override
  public void close() {
    Daemons.stop(thread, Duration.ofSeconds(10));
  }
}
