package io.pgferry.testkit;

import io.pgferry.common.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A real PgBouncer (Debian's /usr/sbin/pgbouncer, 1.18 on bookworm) in transaction pool mode on a free port. When
 * the tests run as root it is started with {@code -d -u postgres} (it refuses to run as root) and its directory,
 * ini and auth file belong to postgres, who must be able to re-read them on RELOAD. {@link #close()} always stops
 * it (SIGTERM, then SIGKILL); a JVM shutdown hook stops any a test forgot.
 */
public final class PgBouncer implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/sbin/pgbouncer");
  public static final String ADMIN_USER = "postgres";
  private static final Set<PgBouncer> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(PgBouncer::close), "pgbouncer-reaper"));
  }

  private final Path dir;
  private final Path ini;
  private final int port;
  private final String adminPassword;

  private PgBouncer(Path dir, Path ini, int port, String adminPassword) {
    this.dir = dir;
    this.ini = ini;
    this.port = port;
    this.adminPassword = adminPassword;
  }

  /** The [databases] value that sends {@code dbname} on {@code cluster} as user postgres. */
  public static String entry(PgCluster cluster, String dbname) {
    return "host=" + cluster.host() + " port=" + cluster.port() + " dbname=" + dbname + " user=postgres";
  }

  /** Starts one PgBouncer whose single database alias {@code alias} points at {@code dbname} on {@code cluster}. */
  public static PgBouncer start(Workspace ws, String name, String alias, PgCluster cluster, String dbname) {
    Map<String, String> dbs = new LinkedHashMap<>();
    dbs.put(alias, entry(cluster, dbname));
    return start(ws, name, dbs, List.of("postgres"));
  }

  /**
   * Starts PgBouncer with these [databases] lines (alias -> connection string) and these users in its auth_file
   * (auth_type trust still requires each user to be listed there).
   */
  public static PgBouncer start(Workspace ws, String name, Map<String, String> databases, List<String> users) {
    Map<String, String> passwords = new LinkedHashMap<>();
    users.forEach(u -> passwords.put(u, ""));
    return start(ws, name, databases, passwords, "trust");
  }

  /**
   * Starts PgBouncer with {@code authType} (trust, plain, md5, scram-sha-256) and these users with their plain
   * passwords in the auth_file (PgBouncer can then answer md5 and SCRAM itself).
   */
  public static PgBouncer start(Workspace ws, String name, Map<String, String> databases, Map<String, String> users, String authType) {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(BINARY + " is missing (apt-get install -y pgbouncer)");
    }
    Path dir = ws.dir(name);
    int port = FreePorts.next();
    Path ini = dir.resolve("pgbouncer.ini");
    Path userlist = dir.resolve("userlist.txt");
    StringBuilder text = new StringBuilder("[databases]\n");
    databases.forEach((alias, conn) -> text.append(alias).append(" = ").append(conn).append('\n'));
    text.append("\n[pgbouncer]\n")
        .append("listen_addr = 127.0.0.1\n")
        .append("listen_port = ").append(port).append('\n')
        .append("unix_socket_dir = ").append(dir).append('\n')
        .append("auth_type = ").append(authType).append('\n')
        .append("auth_file = ").append(userlist).append('\n')
        .append("admin_users = ").append(ADMIN_USER).append('\n')
        .append("pidfile = ").append(dir.resolve("pgbouncer.pid")).append('\n')
        .append("logfile = ").append(dir.resolve("pgbouncer.log")).append('\n')
        .append("pool_mode = transaction\n")
        // pgjdbc sends extra_float_digits at startup; 1.18 refuses unknown startup parameters
        .append("ignore_startup_parameters = extra_float_digits\n")
        .append("default_pool_size = 20\n")
        .append("max_client_conn = 200\n")
        .append("query_wait_timeout = 120\n")
        // after a failed server login PgBouncer waits this long before the next (default 15 s): after a failover it
        // would keep clients off the new primary that long
        .append("server_login_retry = 1\n");
    StringBuilder auth = new StringBuilder();
    users.forEach((u, pw) -> auth.append('"').append(u).append("\" \"").append(pw).append("\"\n"));
    try {
      Files.writeString(ini, text);
      Files.writeString(userlist, auth);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Workspace.chownToPg(dir);
    PgBouncer bouncer = new PgBouncer(dir, ini, port, users.getOrDefault(ADMIN_USER, ""));
    LIVE.add(bouncer);
    List<String> argv = Command.runningAsRoot()
        ? List.of(BINARY.toString(), "-d", "-u", Workspace.PG_USER, ini.toString())
        : List.of(BINARY.toString(), "-d", ini.toString());
    Command.Result started = Command.of(argv).timeout(Duration.ofSeconds(30)).run();
    if (!started.ok()) {
      bouncer.close();
      throw new IllegalStateException("pgbouncer did not start: " + started.stderr() + started.stdout() + "\n" + bouncer.log());
    }
    bouncer.awaitAdminConsole(Duration.ofSeconds(20));
    return bouncer;
  }

  private void awaitAdminConsole(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      Command.Result r = adminCommand("SHOW VERSION");
      if (r.ok()) {
        return;
      }
      last = r.stderr();
      try {
        Thread.sleep(50);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    close();
    throw new IllegalStateException("pgbouncer admin console not reachable on :" + port + ": " + last + "\n" + log());
  }

  /**
   * Runs one admin console command with psql (unaligned, tuples only, '|' separated). pgjdbc cannot log in to the
   * 1.18 admin console: it reports server_version "1.18.0/bouncer", so pgjdbc sends
   * {@code SET extra_float_digits = 2} after login, which the console refuses ("SET failed", pgbouncer#1509).
   */
  public Command.Result adminCommand(String sql) {
    return Command.of("psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", ADMIN_USER, "-d", "pgbouncer",
        "-c", sql).env("PGPASSWORD", adminPassword).timeout(Duration.ofSeconds(30)).run();
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  public Path iniFile() {
    return ini;
  }

  public Path dir() {
    return dir;
  }

  /**
   * JDBC URL of a database alias as an application would use it. {@code prepareThreshold=0}: PgBouncer 1.18 in
   * transaction mode cannot carry named server-side prepared statements (that arrived in 1.21).
   */
  public String jdbcUrl(String alias) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + alias + "?prepareThreshold=0";
  }

  public Connection connect(String alias) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(alias), "postgres", adminPassword);
  }

  public String log() {
    try {
      Path log = dir.resolve("pgbouncer.log");
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  public Optional<Long> pid() {
    try {
      Path pidFile = dir.resolve("pgbouncer.pid");
      return Files.exists(pidFile) ? Optional.of(Long.parseLong(Files.readString(pidFile).trim())) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  public boolean isRunning() {
    return pid().flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
  }

  @Override
  public void close() {
    Optional<ProcessHandle> process = pid().flatMap(ProcessHandle::of);
    process.ifPresent(p -> {
      p.destroy(); // SIGTERM: immediate shutdown
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    });
    LIVE.remove(this);
  }

  @Override
  public String toString() {
    return "pgbouncer(:" + port + ")";
  }
}
