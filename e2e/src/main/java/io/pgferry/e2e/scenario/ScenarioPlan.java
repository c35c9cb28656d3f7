package io.pgferry.e2e.scenario;

import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.plan.PlanBuilder.PhaseTimeout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The scenario's plan.yaml, built with the testkit's {@link PlanBuilder}: the environment's source, archive, target
 * and app path, secrets in 0600 files; with {@code logical}, the logical: and failover: blocks of the whole journey.
 */
final class ScenarioPlan {
  private ScenarioPlan() {}

  static Path write(ScenarioEnvironment env, JourneyScenario.Options options, List<Consumer<PlanBuilder>> changes)
      throws Exception {
    env.target().useTls(env.rig().certs().resolve("controller.pem"), env.rig().certs().resolve("controller.key"));
    env.target().reload();
    PlanBuilder plan = PlanBuilder.plan()
        // as on Heroku, pgferry gets only the app's role: no superuser, pg_switch_wal() refused
        .source(PlanBuilder.file(env.secret("source-url",
            options.superuserSource() ? env.source().adminUrl() : env.source().appUrl())))
        .archiveTimeout(options.archiveTimeout()).pgMajor(options.pgMajor())
        .archive(env.archiveUrl())
        // the passwordless shape of examples/plan.yaml: B and the controller log in to A and B with pgferry's
        // certificates, mapped to the restored cluster's bootstrap superuser; no password of the source anywhere
        // (sslmode verify-full; before PostgreSQL 14, libpq matches no IP address in a certificate, so B's WAL
        // receiver on an 11 verifies nothing of A's name: require there, as docs/security.md says)
        .nodeCertificates(env.rig().certs().resolve("controller.pem"), env.rig().certs().resolve("controller.key"),
            options.pgMajor() < 14 ? null : env.rig().certs().resolve("ca.pem"))
        .target(PlanBuilder.file(env.secret("target-url",
            env.target().url(options.logical() ? SourceDatabase.APP_DB : "postgres"))))
        // T serves a certificate from pgferry's CA (the controller's: serverAuth, SAN 127.0.0.1), so the controller
        // verifies it (sslmode verify-full, the default with a CA file); A and B serve the agents' certificates
        // (serverAuth, SAN 127.0.0.1: verify-full, the default with nodes.sslrootcert)
        .targetTls(null, env.rig().certs().resolve("ca.pem").toString()).controllerAddress("127.0.0.1")
        .app(SourceDatabase.APP_DB, SourceDatabase.APP_USER)
        .appPassword(PlanBuilder.file(env.secret("app-password", SourceDatabase.APP_PASSWORD)))
        .pollInterval(Duration.ofMillis(200))
        .timeout(PhaseTimeout.PREFLIGHT, Duration.ofMinutes(1)).timeout(PhaseTimeout.ARCHIVE_REPLICA, Duration.ofMinutes(3))
        .timeout(PhaseTimeout.STANDBY, Duration.ofMinutes(3)).timeout(PhaseTimeout.CUTOVER_1, Duration.ofMinutes(2))
        .durability("sync")
        .oidsCachedByApp(false); // the ledger writer reads no hstore column: nothing caches the seed's type OIDs
    env.app().planSwitch(plan);
    if (options.logical()) {
      String replicationPassword = PlanBuilder.file(env.secret("replication-password",
          "repl-" + Long.toHexString(System.nanoTime())));
      // no admin password: pgferry is never told the source's (SourceDatabase.SUPERUSER_PASSWORD exists on A and B,
      // whose pg_hba asks TCP logins for it; pgferry logs in with its certificates instead)
      plan.replicaIdentityFull("public.audit_log")
          .logical(l -> l.passwords(replicationPassword, null).targetAddress("127.0.0.1/32")
              .verify("full", 500).timeouts(Duration.ofMinutes(3), Duration.ofMinutes(1)));
          // the failover's timings are the plan's defaults (examples/plan.yaml): the failover goal is met on them
      if (options.failover()) {
        // a must die before cutover 2 starts: if T is in sync before the kill, the journey waits before cutover 2
        // (the engine runs there, so the failover monitor acts) until the failover is over (JourneyScenario)
        plan.hold("cutover_2");
      }
    }
    changes.forEach(c -> c.accept(plan));
    return plan.writeTo(env.root().resolve("plan.yaml"));
  }
}
