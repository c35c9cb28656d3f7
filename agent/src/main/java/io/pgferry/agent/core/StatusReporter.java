package io.pgferry.agent.core;

import io.pgferry.agent.cluster.Observation;
import io.pgferry.agent.converge.Converger;
import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.StateFile;
import io.pgferry.common.Lsn;
import io.pgferry.proto.Disk;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Holds one Status, built from memory only (the latest observation, the record, the converger, the lease) after
 * each observation and each lease change; the link, /health and /metrics read that one. Tells a listener when what it
 * reports changed meaningfully, so the link sends a Status at once.
 */
public final class StatusReporter {
  private final String nodeId;
  private final int pgMajor;
  private final StateFile stateFile;
  private final Converger converger;
  private final LeaseKeeper lease;
  private final List<Consumer<Status.Builder>> contributors = new CopyOnWriteArrayList<>();
  private volatile Runnable listener = () -> { };
  private volatile Supplier<String> goalRefusal = () -> "";
  private volatile Observation observation = Observation.notRunning(System.nanoTime());
  private volatile Disk disk = Disk.getDefaultInstance();
  private volatile Status current;
  private String lastKey = "";

  public StatusReporter(String nodeId, int pgMajor, StateFile stateFile, Converger converger, LeaseKeeper lease) {
    this.nodeId = nodeId;
    this.pgMajor = pgMajor;
    this.stateFile = stateFile;
    this.converger = converger;
    this.lease = lease;
    this.current = build(System.nanoTime());
  }

  /** Adds to every Status (the archive engine fills Status.archive); runs when a Status is built, from memory only. */
  public void addContributor(Consumer<Status.Builder> contributor) {
    contributors.add(contributor);
  }

  /** Why the last goal offered was refused ("" when none): reported in last_error, the node's state unchanged. */
  public void goalRefusal(Supplier<String> refusal) {
    this.goalRefusal = Objects.requireNonNull(refusal);
  }

  public void onChanged(Runnable listener) {
    this.listener = Objects.requireNonNull(listener);
  }

  /** A new observation (the observer thread): rebuild the Status, tell the listener when it changed. */
  public void observed(Observation o, Disk d) {
    observation = o;
    disk = d;
    refresh();
  }

  /** Rebuilds the Status from what is held (a lease or goal changed, a transition moved). Memory only. */
  public synchronized void refresh() {
    Status s = build(System.nanoTime());
    current = s;
    String key = s.getState() + "|" + s.getTransition() + "|" + s.getLastError() + "|" + s.getPgRunning() + "|"
        + s.getInRecovery() + "|" + s.getTimeline() + "|" + s.getWalReceiverStatus() + "|" + s.getGoalGeneration();
    if (!key.equals(lastKey)) {
      lastKey = key;
      listener.run();
    }
  }

  /** The latest observation. */
  public Observation observation() {
    return observation;
  }

  /** The Status of the latest observation. */
  public Status current() {
    return current;
  }

  /** The latest Status with the lease's remaining time as of now (what the link sends). */
  public Status withLeaseNow() {
    Status s = current;
    long now = System.nanoTime();
    Lease l = lease.granted();
    return s.toBuilder().setLeaseValid(l.granted() && !l.expired(now)).setLeaseRemainingMs(l.remainingMs(now)).build();
  }

  private Status build(long now) {
    NodeRecord r = stateFile.get();
    Observation o = observation;
    Lease l = lease.granted();
    Goal g = converger.goal();
    Status.Builder b = Status.newBuilder()
        .setNodeId(nodeId)
        .setState(reportedState(r))
        .setGoalGeneration(g == null ? 0 : g.getGeneration())
        .setTransition(converger.transition())
        .setLastError(lastError())
        .setPgRunning(o.running())
        .setPgReachable(o.reachable())
        .setInRecovery(o.inRecovery())
        .setTimeline(o.timeline())
        .setReceiveLsn(text(o.receiveLsn()))
        .setReplayLsn(text(o.replayLsn()))
        .setCurrentLsn(text(o.currentLsn()))
        .setReplayLagBytes(o.replayLagBytes())
        .setReplayLagMs(o.replayLagMs())
        .setWalReceiverStatus(o.walReceiverStatus())
        .setUpstream(o.upstream())
        .addAllSlots(o.slots())
        .addAllReplicas(o.replicas())
        .setSyncState(o.syncStandbyNames())
        .setDisk(disk)
        .setLeaseValid(l.granted() && !l.expired(now))
        .setLeaseRemainingMs(l.remainingMs(now))
        .setFenced(r.state() == NodeState.FENCED)
        .setPgMajor(pgMajor);
    contributors.forEach(c -> c.accept(b));
    return b.build();
  }

  private String lastError() {
    String failed = converger.lastError();
    String refused = goalRefusal.get();
    return refused.isEmpty() ? failed : failed.isEmpty() ? refused : refused + "; " + failed;
  }

  private NodeState reportedState(NodeRecord r) {
    // a failed step being retried is still FAILED: the controller must see the trouble, not a hopeful INITIALIZING
    if (!converger.lastError().isEmpty()) {
      return NodeState.FAILED;
    }
    if (converger.transitionRunning()) {
      return NodeState.INITIALIZING;
    }
    return r.state();
  }

  private static String text(Lsn lsn) {
    return lsn.isValid() ? lsn.toString() : "";
  }
}
