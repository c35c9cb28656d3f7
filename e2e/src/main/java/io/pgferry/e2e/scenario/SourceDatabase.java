package io.pgferry.e2e.scenario;

import io.pgferry.common.Command;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The "Heroku" database: a PostgreSQL cluster whose archive_command is {@code pgferry-agent wal-push} into the
 * archive (archive_timeout as Heroku's, 60 s, unless a scenario says otherwise), the app's role and
 * database, and its base backups taken with {@code pgferry-agent backup-push}.
 */
public final class SourceDatabase implements AutoCloseable {
  public static final String APP_DB = "appdb";
  public static final String APP_USER = "app";
  /** Test passwords: a base backup carries the roles but not pg_hba.conf, so A and B ask for them (scram-sha-256). */
  public static final String APP_PASSWORD = "app-secret";
  public static final String SUPERUSER_PASSWORD = "postgres-secret";

  private final PgCluster cluster;
  private final String archiveUrl;

  private SourceDatabase(PgCluster cluster, String archiveUrl) {
    this.cluster = cluster;
    this.archiveUrl = archiveUrl;
  }

  public static SourceDatabase start(Workspace ws, PgBinaries binaries, String archiveUrl, Duration archiveTimeout,
      List<String> tables) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("archive_mode", "on");
    settings.put("archive_command", "'" + Launchers.agentCommandLine() + " wal-push --archive " + archiveUrl + " %p'");
    settings.put("archive_timeout", archiveTimeout.toSeconds() + "s");
    PgCluster cluster = PgCluster.init(ws, "source", binaries, settings).start();
    SourceDatabase source = new SourceDatabase(cluster, archiveUrl);
    try {
      cluster.execute("ALTER ROLE postgres PASSWORD '" + SUPERUSER_PASSWORD + "'",
          "CREATE ROLE " + APP_USER + " LOGIN PASSWORD '" + APP_PASSWORD + "'",
          "CREATE DATABASE " + APP_DB + " OWNER " + APP_USER);
      try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(APP_DB), APP_USER, APP_PASSWORD)) {
        for (String table : tables) {
          Ledger.createTable(c, table);
        }
      }
      return source;
    } catch (Exception e) {
      source.close();
      throw new IllegalStateException("source: " + e.getMessage(), e);
    }
  }

  /** The seed's app schema beside the ledger ({@link SeedApp#small()}), as the superuser. */
  public void seedApp() {
    try (Connection c = connectAsSuperuser(cluster, APP_DB); Statement st = c.createStatement()) {
      st.execute(SeedApp.small().sql());
    } catch (Exception e) {
      throw new IllegalStateException("source: the app schema (testkit's seed/seed-app.sql): " + e.getMessage(), e);
    }
  }

  /** {@code pgferry-agent backup-push} of the running source as the postgres OS user; returns the backup's name. */
  public String backupPush() {
    List<String> argv = new ArrayList<>(List.of(Launchers.agentCommandLine().split(" ")));
    argv.addAll(List.of("backup-push", "--archive", archiveUrl, "--pg-host", cluster.host(), "--pg-port",
        String.valueOf(cluster.port()), "--pg-user", "postgres", cluster.dataDir().toString()));
    Command.Result r = Command.of(argv).as(Workspace.PG_USER).timeout(Duration.ofMinutes(3)).run();
    if (!r.ok()) {
      throw new IllegalStateException("backup-push exited " + r.exitCode() + ": " + (r.stderr() + r.stdout()).strip());
    }
    String out = r.stdout().strip();
    return out.substring(out.lastIndexOf('\n') + 1);
  }

  /**
   * A connection as the superuser to {@code db} on any copy of this database (A, B): they share its roles. Over the
   * local socket, as the agent's own sessions (peer through its ident map on A and B; trust on the source): over TCP
   * A and B admit the superuser only with a certificate (the passwordless shape), and a password session would not
   * be one of pgferry's TLS links (TlsOnLinks).
   */
  public static Connection connectAsSuperuser(PgCluster copy, String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", SUPERUSER_PASSWORD);
    p.setProperty("sslmode", "disable");
    p.setProperty("socketFactory", "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg");
    p.setProperty("socketFactoryArg", copy.socketDir().resolve(".s.PGSQL." + copy.port()).toString());
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + copy.port() + "/" + db, p);
  }

  public PgCluster cluster() {
    return cluster;
  }

  /** What the app is given as DATABASE_URL. */
  public String appUrl() {
    return "postgres://" + APP_USER + ":" + APP_PASSWORD + "@" + cluster.host() + ":" + cluster.port() + "/" + APP_DB;
  }

  /** The superuser's URL (Heroku gives none; scenarios give pgferry {@link #appUrl()}). */
  public String adminUrl() {
    return "postgresql://postgres:" + SUPERUSER_PASSWORD + "@" + cluster.host() + ":" + cluster.port() + "/" + APP_DB;
  }

  public Path logFile() {
    return cluster.logFile();
  }

  @Override
  public void close() {
    cluster.close();
  }
}
