package io.pgferry.e2e.scenario;

import io.pgferry.testkit.HerokuStandIn;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A Heroku app (the local stand-in of the Platform API) whose dynos read {@value #CONFIG_VAR}: a config var change
 * is a release that restarts them, so the app reconnects to the new URL then.
 */
final class HerokuPath implements AppPath {
  static final String APP = "ferry-app";
  static final String CONFIG_VAR = "DATABASE_URL";
  private static final String TOKEN = "demo-heroku-token";

  private final HerokuStandIn heroku;
  private final Path tokenFile;

  HerokuPath(Path dir, String initialUrl) {
    this.heroku = HerokuStandIn.start(TOKEN);
    heroku.app(APP, Map.of(CONFIG_VAR, initialUrl), Map.of("web", 1, "worker", 1));
    try {
      tokenFile = dir.resolve("heroku-token");
      Files.writeString(tokenFile, TOKEN);
      Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Supplier<String> jdbcUrl() {
    return () -> toJdbc(heroku.app(APP).configVar(CONFIG_VAR));
  }

  /** postgres://user[:pw]@host:port/db -> jdbc:postgresql://host:port/db (the user is passed separately). */
  static String toJdbc(String url) {
    URI u = URI.create(url);
    return "jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath();
  }

  @Override
  public void planSwitch(PlanBuilder plan) {
    plan.herokuSwitch(APP, CONFIG_VAR, PlanBuilder.file(tokenFile), heroku.url(), "worker");
  }

  @Override
  public String describe() {
    return "Heroku app " + APP + " (API stand-in " + heroku.url() + "), " + CONFIG_VAR;
  }

  @Override
  public void onRestart(Runnable reconnect) {
    heroku.onRelease(app -> reconnect.run());
  }

  @Override
  public List<String> changes() {
    return heroku.changes().stream().map(HerokuStandIn.Call::toString).toList();
  }

  @Override
  public Path log() {
    return null;
  }

  @Override
  public Map<String, String> secrets() {
    return Map.of("heroku token", TOKEN);
  }

  @Override
  public void close() {
    heroku.close();
  }
}
