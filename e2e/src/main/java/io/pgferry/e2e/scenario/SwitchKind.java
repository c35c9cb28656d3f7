package io.pgferry.e2e.scenario;

/** How the app reaches its database, i.e. which app switch the plan uses. */
public enum SwitchKind {
  /** PgBouncer in front of the database; the switch PAUSEs, rewrites [databases], RELOADs, RESUMEs. */
  PGBOUNCER,
  /** A Heroku app (the Platform API stand-in) reading DATABASE_URL; the switch sets the config var. */
  HEROKU
}
