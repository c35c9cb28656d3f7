package io.pgferry.controller.link;

import io.pgferry.agent.link.LinkHandler;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.util.OptionalLong;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A LinkHandler with canned Hello and Status that records what the controller sends: tests the link, not PostgreSQL. */
final class TestAgent implements LinkHandler {
  record Received(Goal goal, OptionalLong leaseExpiresAtNanos, long receivedNanos) {}

  final String nodeId;
  final LinkedBlockingQueue<Received> assignments = new LinkedBlockingQueue<>();
  volatile boolean connected;
  volatile int linkUps;

  TestAgent(String nodeId) {
    this.nodeId = nodeId;
  }

  @Override
  public Hello hello() {
    return Hello.newBuilder().setNodeId(nodeId).setHost("10.0.0.5").setPgPort(5432).setPgMajor(15).setPgVersion("15.18")
        .setCurrentState(NodeState.STREAMING_STANDBY).build();
  }

  @Override
  public Status status() {
    return Status.newBuilder().setState(NodeState.STREAMING_STANDBY).setTimeline(3).setReplayLagBytes(4096)
        .setPgRunning(true).setInRecovery(true).setBootstrapSuperuser("postgres").build();
  }

  @Override
  public void onAssignment(Goal goal, OptionalLong leaseExpiresAtNanos) {
    assignments.add(new Received(goal, leaseExpiresAtNanos, System.nanoTime()));
  }

  @Override
  public void onLinkState(boolean up) {
    connected = up;
    if (up) {
      linkUps++;
    }
  }

  Received next(long timeoutMs) throws InterruptedException {
    Received r = assignments.poll(timeoutMs, TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new AssertionError("no assignment reached agent " + nodeId + " within " + timeoutMs + " ms");
    }
    return r;
  }
}
