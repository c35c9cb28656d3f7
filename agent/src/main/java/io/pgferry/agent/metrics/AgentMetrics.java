package io.pgferry.agent.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgferry.agent.NodeAgent;
import io.pgferry.common.Lsn;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The agent's Prometheus metrics (names in docs/contracts.md). Gauges read the one Status the agent built at its
 * latest observation (a scrape builds none and touches no file). Archive metrics (archive lag, restore_command, backup fetch, wal push) are registered by the archive
 * engine on {@link #registry()}.
 */
public final class AgentMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final NodeAgent agent;

  public AgentMetrics(NodeAgent agent) {
    this.agent = agent;
    gauge("pgferry.up", "1 when the local PostgreSQL answers queries", s -> s.getPgReachable() ? 1 : 0);
    gauge("pgferry.in.recovery", "1 when the local PostgreSQL is in recovery (a standby)", s -> s.getInRecovery() ? 1 : 0);
    gauge("pgferry.timeline", "timeline of the local PostgreSQL (0 unknown)", Status::getTimeline);
    gauge("pgferry.replay.lag.bytes", "WAL received but not yet replayed (-1 unknown)", Status::getReplayLagBytes);
    gauge("pgferry.receive.lsn.bytes", "receive LSN of a standby, as a byte position", s -> lsn(s.getReceiveLsn()));
    gauge("pgferry.replay.lsn.bytes", "replay LSN of a standby, as a byte position", s -> lsn(s.getReplayLsn()));
    gauge("pgferry.current.lsn.bytes", "current WAL insert LSN of a primary, as a byte position", s -> lsn(s.getCurrentLsn()));
    gauge("pgferry.lease.remaining.seconds", "time left on the PRIMARY lease (-1 none)",
        s -> s.getLeaseRemainingMs() < 0 ? -1 : s.getLeaseRemainingMs() / 1000.0);
    gauge("pgferry.fenced", "1 when the node is fenced", s -> s.getFenced() ? 1 : 0);
    gauge("pgferry.failsafe.serving", "1 while the primary serves with a lapsed lease on its standby's evidence (docs/failsafe.md)",
        s -> s.getFailsafeServing() ? 1 : 0);
    FailsafeTime failsafe = new FailsafeTime();
    agent.addStatusContributor(b -> failsafe.observe(b.getFailsafeServing(), System.nanoTime())); // after the one that sets it
    FunctionCounter.builder("pgferry.failsafe.serving.seconds", failsafe, FailsafeTime::seconds)
        .description("time the primary served with a lapsed lease on its standby's evidence").register(registry);
    Gauge.builder("pgferry.link.connected", agent, a -> a.linkConnected() ? 1 : 0)
        .description("1 while the link to the controller is up").register(registry);
    for (NodeState state : NodeState.values()) {
      if (state == NodeState.NODE_STATE_UNSPECIFIED || state == NodeState.UNRECOGNIZED) {
        continue;
      }
      Gauge.builder("pgferry.node.role", agent, a -> a.reporter().current().getState() == state ? 1 : 0)
          .tag("role", state.name().toLowerCase(Locale.ROOT))
          .description("1 for the state the node is in").register(registry);
    }
    FunctionCounter.builder("pgferry.transition.failures", agent, NodeAgent::transitionFailures)
        .description("failed transition attempts (retriable ones are retried with backoff)").register(registry);
    FunctionCounter.builder("pgferry.goals.refused", agent, NodeAgent::goalsRefused)
        .description("goals refused by the agent's goal validator (Status.last_error says why); the held goal stays").register(registry);
    Gauge.builder("pgferry.permanent.error", agent, a -> a.converger().blockedByPermanentError() ? 1 : 0)
        .description("1 while a permanent error (Status.last_error) holds the converger until the goal changes").register(registry);
  }

  private void gauge(String name, String help, ToDoubleFunction<Status> f) {
    Gauge.builder(name, agent, a -> f.applyAsDouble(a.reporter().current())).description(help).register(registry);
  }

  private static double lsn(String text) {
    return text.isEmpty() ? 0 : Lsn.parse(text).value();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
