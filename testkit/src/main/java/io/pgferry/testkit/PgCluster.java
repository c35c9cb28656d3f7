package io.pgferry.testkit;

import io.pgferry.common.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real PostgreSQL cluster for tests: initdb on a free port in a workspace directory, run as the postgres OS user
 * when the tests run as root. {@link #close()} always stops it (fast, then immediate, then SIGKILL); a JVM
 * shutdown hook stops any cluster a test forgot.
 */
public final class PgCluster implements AutoCloseable {
  private static final Set<PgCluster> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(PgCluster::stopQuietly), "pgcluster-reaper"));
  }

  private final String name;
  private final PgBinaries binaries;
  private final Path dataDir;
  private final Path socketDir;
  private final Path logFile;
  private final int port;
  private volatile boolean viaSocket;

  private PgCluster(String name, PgBinaries binaries, Path dataDir, Path socketDir, int port) {
    this.name = name;
    this.binaries = binaries;
    this.dataDir = dataDir;
    this.socketDir = socketDir;
    this.logFile = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    this.port = port;
  }

  /** Settings every test cluster gets: loopback only, fast (no fsync), ready for streaming and logical replication. */
  public static Map<String, String> testDefaults() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("listen_addresses", "'127.0.0.1'");
    s.put("fsync", "off");
    s.put("synchronous_commit", "on");
    s.put("full_page_writes", "on");
    s.put("wal_level", "logical");
    s.put("max_wal_senders", "10");
    s.put("max_replication_slots", "10");
    s.put("hot_standby", "on");
    s.put("shared_buffers", "32MB");
    s.put("max_connections", "50");
    s.put("log_line_prefix", "'%m [%p] '");
    return s;
  }

  /** initdb a new cluster named {@code name} under the workspace (not started). */
  public static PgCluster init(Workspace ws, String name, PgBinaries binaries, Map<String, String> extraSettings) {
    Path dataDir = ws.root().resolve(name);
    Path socketDir = ws.dir("sock");
    Command.of(binaries.bin("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")
        .as(Workspace.PG_USER).timeout(Duration.ofMinutes(2)).runChecked();
    PgCluster cluster = new PgCluster(name, binaries, dataDir, socketDir, FreePorts.next());
    Map<String, String> settings = testDefaults();
    settings.put("unix_socket_directories", "'" + socketDir + "'");
    settings.putAll(extraSettings);
    cluster.appendConf(settings);
    cluster.appendHba(List.of("host replication all 127.0.0.1/32 trust"));
    cluster.selfSignedTls();
    return cluster;
  }

  /**
   * Every test cluster serves TLS, as pgferry expects of A, B and T (sslmode require by default): a self-signed
   * certificate for 127.0.0.1 made with openssl in the data dir, as the postgres OS user (PostgreSQL wants to own its key).
   */
  private void selfSignedTls() {
    Command.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", dataDir.resolve("server.key").toString(), "-out", dataDir.resolve("server.crt").toString(),
            "-days", "30", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
        .as(Workspace.PG_USER).timeout(Duration.ofMinutes(1)).runChecked();
    appendConf(Map.of("ssl", "on"));
  }

  /**
   * Serves TLS with {@code cert}/{@code key} (e.g. issued by pgferry's CA, for sslmode verify-full) instead of the
   * self-signed pair: copied into the data dir, owned by the postgres OS user, the key 0600. Before {@link #start()}
   * (or reload after).
   */
  public void useTls(Path cert, Path key) {
    try {
      Files.copy(cert, dataDir.resolve("server.crt"), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(key, dataDir.resolve("server.key"), StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(dataDir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Command.of("chown", Workspace.PG_USER, dataDir.resolve("server.crt").toString(), dataDir.resolve("server.key").toString())
        .runChecked();
  }

  public static PgCluster start(Workspace ws, String name, int major) {
    return init(ws, name, PgBinaries.forMajor(major), Map.of()).start();
  }

  /**
   * Takes charge of a data dir something else made (an agent, pg_basebackup): the cluster will be stopped on close.
   * The port is the one its configuration uses.
   */
  public static PgCluster adopt(String name, PgBinaries binaries, Path dataDir, int port) {
    PgCluster c = new PgCluster(name, binaries, dataDir, dataDir.resolveSibling("sock"), port);
    LIVE.add(c);
    return c;
  }

  public PgCluster start() {
    LIVE.add(this);
    pgCtl("start", "-w", "-t", "60", "-l", logFile.toString(), "-o", "-p " + port).runChecked();
    return this;
  }

  /** Re-reads the configuration files (pg_ctl reload). */
  public void reload() {
    pgCtl("reload").runChecked();
  }

  public void stop() {
    pgCtl("stop", "-w", "-m", "fast", "-t", "60").run();
    LIVE.remove(this);
  }

  public void restart() {
    pgCtl("restart", "-w", "-m", "fast", "-t", "60", "-l", logFile.toString(), "-o", "-p " + port).runChecked();
    LIVE.add(this);
  }

  public void promote() {
    pgCtl("promote", "-w", "-t", "60").runChecked();
  }

  /** SIGKILL the postmaster (a crash): its children exit when they notice. */
  public void kill9() {
    postmasterPid().ifPresent(pid -> Command.of("kill", "-9", String.valueOf(pid)).run());
  }

  public Optional<Long> postmasterPid() {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  public boolean isRunning() {
    return pgCtl("status").run().exitCode() == 0;
  }

  private Command pgCtl(String... args) {
    List<String> argv = new ArrayList<>(List.of(binaries.bin("pg_ctl").toString(), "-D", dataDir.toString()));
    argv.addAll(List.of(args));
    return Command.of(argv).as(Workspace.PG_USER).timeout(Duration.ofSeconds(120));
  }

  public void appendConf(Map<String, String> settings) {
    StringBuilder sb = new StringBuilder("\n# test settings\n");
    settings.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
    append(dataDir.resolve("postgresql.conf"), sb.toString());
  }

  public void appendHba(List<String> lines) {
    append(dataDir.resolve("pg_hba.conf"), "\n" + String.join("\n", lines) + "\n");
  }

  private static void append(Path file, String text) {
    try {
      Files.writeString(file, text, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String name() {
    return name;
  }

  public PgBinaries binaries() {
    return binaries;
  }

  public int major() {
    return binaries.major();
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path socketDir() {
    return socketDir;
  }

  public Path logFile() {
    return logFile;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** libpq conninfo, e.g. for primary_conninfo or psql. */
  /** libpq conninfo as the superuser; over the local socket for a cluster an agent manages ({@link #viaSocket}). */
  public String conninfo(String database) {
    return "host=" + (viaSocket ? socketDir.toString() : "127.0.0.1") + " port=" + port + " user=postgres dbname=" + database;
  }

  public String url(String database) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + database;
  }

  public Connection connect() throws SQLException {
    return connect("postgres");
  }

  public Connection connect(String database) throws SQLException {
    if (viaSocket) {
      Properties p = new Properties();
      p.setProperty("user", "postgres");
      p.setProperty("sslmode", "disable");
      p.setProperty("socketFactory", "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg");
      p.setProperty("socketFactoryArg", socketDir.resolve(".s.PGSQL." + port).toString());
      return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + database, p);
    }
    return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
  }

  /**
   * The test's own sessions ({@link #connect}, {@link #execute}, {@link #queryValue}) go over the local socket: for
   * a cluster an agent manages, whose pg_hba admits the superuser over TCP only with a certificate (the agent maps
   * the tests' OS user, root, to it on the socket).
   */
  public PgCluster viaSocket() {
    this.viaSocket = true;
    return this;
  }

  /** Runs statements (autocommit) on the postgres database. */
  public void execute(String... sql) {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(name + ": " + e.getMessage(), e);
    }
  }

  /** First column of the first row, as text (null when no row). */
  public String queryValue(String sql) {
    try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException(name + ": " + e.getMessage(), e);
    }
  }

  public String log() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void stopQuietly(PgCluster c) {
    try {
      c.close();
    } catch (RuntimeException ignored) {
      // best effort on JVM exit
    }
  }

  @Override
  public void close() {
    if (!Files.exists(dataDir.resolve("postmaster.pid"))) {
      LIVE.remove(this);
      return;
    }
    Command.Result fast = pgCtl("stop", "-w", "-m", "fast", "-t", "20").run();
    if (!fast.ok() && Files.exists(dataDir.resolve("postmaster.pid"))) {
      Command.Result immediate = pgCtl("stop", "-w", "-m", "immediate", "-t", "10").run();
      if (!immediate.ok()) {
        kill9();
      }
    }
    LIVE.remove(this);
  }

  @Override
  public String toString() {
    return name + "(PG " + binaries.version() + " on :" + port + ")";
  }
}
