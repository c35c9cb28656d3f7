package io.pgferry.e2e.scenario;

import io.pgferry.testkit.PgBouncer;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** PgBouncer (transaction pooling) in front of the source: the app connects to its `appdb` alias as role app. */
final class PgBouncerPath implements AppPath {
  private final PgBouncer bouncer;

  PgBouncerPath(Workspace ws, PgCluster source) {
    this.bouncer = PgBouncer.start(ws, "pgbouncer", Map.of(SourceDatabase.APP_DB, "host=" + source.host() + " port="
        + source.port() + " dbname=" + SourceDatabase.APP_DB + " user=" + SourceDatabase.APP_USER),
        Map.of(SourceDatabase.APP_USER, SourceDatabase.APP_PASSWORD, PgBouncer.ADMIN_USER, ""), "trust");
  }

  @Override
  public Supplier<String> jdbcUrl() {
    String url = bouncer.jdbcUrl(SourceDatabase.APP_DB);
    return () -> url;
  }

  @Override
  public void planSwitch(PlanBuilder plan) {
    plan.pgbouncerSwitch(bouncer.host(), bouncer.port(), PgBouncer.ADMIN_USER, SourceDatabase.APP_DB, bouncer.iniFile(),
        Duration.ofSeconds(10));
  }

  @Override
  public String describe() {
    return "PgBouncer :" + bouncer.port() + " (alias " + SourceDatabase.APP_DB + ")";
  }

  @Override
  public void onRestart(Runnable reconnect) {
    // clients keep their connections to PgBouncer; it moves the server side
  }

  @Override
  public List<String> changes() {
    return List.of();
  }

  @Override
  public Path log() {
    return bouncer.dir().resolve("pgbouncer.log");
  }

  PgBouncer bouncer() {
    return bouncer;
  }

  @Override
  public void close() {
    bouncer.close();
  }
}
