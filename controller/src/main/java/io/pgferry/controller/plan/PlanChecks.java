package io.pgferry.controller.plan;

import io.pgferry.common.pg.HbaPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * The plan's keys that decide who may reach a database and when a node may be promoted, checked at `pgferry plan`
 * with the rules the agent holds goals to ({@link HbaPolicy}): a plan the agents would refuse, or whose failover
 * timing cannot be safe, is an error with its line, never a surprise mid-journey.
 */
final class PlanChecks {
  /** The shortest lease_ms a controller accepts (ControllerConfig): max_lease must cover at least that. */
  static final Duration SHORTEST_LEASE = Duration.ofSeconds(1);

  private final YamlBinder b;
  private final Plan plan;
  private final Duration controllerLease;

  /** @param controllerLease the lease_ms of the controller that runs the plan (at apply); null when not known */
  PlanChecks(YamlBinder b, Plan plan, Duration controllerLease) {
    this.b = b;
    this.plan = plan;
    this.controllerLease = controllerLease;
  }

  void check() {
    checkHbaMethod();
    checkTargetAddress();
    checkFailoverTiming();
    checkHerokuApi();
    checkNumbers();
  }

  private void checkHbaMethod() {
    Plan.Nodes n = plan.nodes();
    if (n == null) {
      return;
    }
    int major = plan.source() != null && plan.source().pgMajor() != null ? plan.source().pgMajor() : 0;
    HbaPolicy.methodProblem(n.hbaMethod(), major, n.allowTrust()).ifPresent(m -> b.error("nodes.hba_method",
        m + (n.hbaMethod().equals("trust") ? " (nodes.allow_trust: true for tests whose clusters have no passwords)" : "")));
    if (n.certificates()) {
      if (n.sslcert().isEmpty() || n.sslkey().isEmpty()) {
        b.error(n.sslcert().isEmpty() ? "nodes.sslcert" : "nodes.sslkey", "hba_method cert: the controller logs in to A and B"
            + " with its certificate from pgferry's CA; give nodes.sslcert and nodes.sslkey (controller.pem, controller.key)");
      }
      if (n.sslmode() != null && !n.sslmode().startsWith("verify")) {
        b.error("nodes.sslmode", "hba_method cert: the nodes' certificates are checked too; use verify-full (or leave it unset"
            + " with nodes.sslrootcert)");
      }
    }
  }

  private void checkTargetAddress() {
    Plan.Logical l = plan.logical();
    if (l.targetAddress().isEmpty()) {
      return;
    }
    String a = l.targetAddress();
    String ip = a.contains("/") ? a.substring(0, a.indexOf('/')) : a;
    if (!isIpLiteral(ip)) {
      b.error("logical.target_address", "'" + HbaPolicy.printable(a) + "' is not an IP address or CIDR (e.g. 10.0.3.7/32)");
      return;
    }
    HbaPolicy.addressProblem(a, l.allowWideAddress(), true)
        .ifPresent(m -> b.error("logical.target_address", m.replace("allow_wide_address: true", "logical.allow_wide_address: true")));
  }

  private static boolean isIpLiteral(String s) {
    if (!s.matches("[0-9.]+") && !(s.contains(":") && s.matches("[0-9A-Fa-f:.]+"))) {
      return false; // only literals reach InetAddress: no DNS lookup
    }
    try {
      InetAddress.getByName(s);
      return s.contains(":") || s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private void checkFailoverTiming() {
    Plan.Failover f = plan.failover();
    if (!f.enabled()) {
      return;
    }
    if (f.detectAfter().isZero()) {
      b.error("failover.detect_after", "must be more than 0: a node is declared failed only after this much silence");
    }
    if (f.leaseMargin().isZero()) {
      b.error("failover.lease_margin", "must be more than 0: B is promoted only this long after A's lease expired,"
          + " for the clocks' drift");
    }
    if (controllerLease != null && f.maxLease().compareTo(controllerLease) < 0) {
      b.error("failover.max_lease", Durations.format(f.maxLease()) + " is shorter than this controller's lease_ms ("
          + controllerLease.toMillis() + "): after a controller restart B could be promoted while A still holds its"
          + " lease; set max_lease to " + Durations.format(controllerLease) + " or more");
    } else if (f.maxLease().compareTo(SHORTEST_LEASE) < 0) {
      b.error("failover.max_lease", Durations.format(f.maxLease()) + " is shorter than any lease a controller grants"
          + " (lease_ms is at least 1s); set it to the controller's lease_ms or more");
    }
  }

  private void checkHerokuApi() {
    Plan.Switch s = plan.switchSpec();
    if (s == null || s.heroku() == null || s.heroku().apiUrl() == null) {
      return;
    }
    try {
      URI api = new URI(s.heroku().apiUrl());
      if ("http".equals(api.getScheme()) && api.getHost() != null && !loopback(api.getHost())) {
        b.error("switch.heroku.api_url", "'" + s.heroku().apiUrl() + "' is plain http: the API token would cross the"
            + " network in the clear; use https://");
      }
    } catch (URISyntaxException e) {
      // PlanLoader reports it
    }
  }

  private static boolean loopback(String host) {
    return host.equals("localhost") || host.equals("[::1]") || host.equals("::1") || host.startsWith("127.");
  }

  /** A size PostgreSQL's max_slot_wal_keep_size takes (-1: unlimited). */
  public static final String WAL_SIZE = "-1|[0-9]{1,12}(kB|MB|GB|TB)?";

  /** Numbers the binder takes as given but the journey cannot use. */
  private void checkNumbers() {
    Plan.Logical l = plan.logical();
    if (l.indexJobs() < 0) {
      b.error("logical.index_jobs", l.indexJobs() + " must be 0 (the controller host's cores) or more (sessions building T's indexes)");
    }
    if (l.tableJobs() < 0) {
      b.error("logical.table_jobs", l.tableJobs() + " must be 0 (the controller host's cores) or more (workers copying tables and ranges)");
    }
    if (l.splitLargerThanBytes() < 0) {
      b.error("logical.split_larger_than", "'" + l.splitLargerThan() + "' is not a size such as 1GB, 500MB or 0 (never split)");
    }
    if (l.verifyChunkRows() < 1) {
      b.error("logical.verify_chunk_rows", l.verifyChunkRows() + " must be 1 or more (rows per checksummed chunk)");
    }
    if (l.retainedWalAlertBytes() < 0) {
      b.error("logical.retained_wal_alert_bytes", "must be 0 or more");
    }
    if (l.syncTimeout().isZero()) {
      b.error("logical.sync_timeout", "must be more than 0");
    }
    if (l.cutover2Timeout().isZero()) {
      b.error("logical.cutover_2_timeout", "must be more than 0");
    }
    Plan.WalSafety w = plan.walSafety();
    if (!w.maxSlotWalKeepSize().isEmpty() && !w.maxSlotWalKeepSize().matches(WAL_SIZE)) {
      b.error("wal_safety.max_slot_wal_keep_size", "'" + w.maxSlotWalKeepSize() + "' is not a size such as 50GB or 512MB");
    }
    if (w.warnFreeBelowPercent() < 0 || w.warnFreeBelowPercent() > 99) {
      b.error("wal_safety.warn_free_below_percent", "must be between 0 and 99");
    }
    if (w.warnHoursToFull() < 0) {
      b.error("wal_safety.warn_hours_to_full", "must be 0 or more");
    }
  }
}
