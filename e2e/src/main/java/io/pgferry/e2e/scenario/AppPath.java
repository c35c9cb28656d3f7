package io.pgferry.e2e.scenario;

import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** How the app reaches its database, and the plan's `switch:` block that moves it. */
public interface AppPath extends AutoCloseable {
  /** The JDBC URL the app uses now; asked on every (re)connect. */
  Supplier<String> jdbcUrl();

  /** Sets the plan's `switch:` block: how pgferry moves this app path. */
  void planSwitch(PlanBuilder plan);

  /** One line for people: what the app talks to. */
  String describe();

  /** Runs {@code reconnect} whenever the app would restart (a Heroku release); PgBouncer needs none. */
  void onRestart(Runnable reconnect);

  /** The app-path changes in the order they were made (Heroku: the API calls that change something). */
  List<String> changes();

  /** Its log, if it has one. */
  Path log();

  /** The secrets pgferry gets for this path (name -> value), for the leak check; none by default. */
  default Map<String, String> secrets() {
    return Map.of();
  }

  @Override
  void close();
}
