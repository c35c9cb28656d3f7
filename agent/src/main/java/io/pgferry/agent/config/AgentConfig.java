package io.pgferry.agent.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.pgferry.agent.access.LocalAccess;
import io.pgferry.agent.cluster.PgPass;
import io.pgferry.agent.goal.GoalLimits;
import io.pgferry.common.NodeIds;
import io.pgferry.common.StrictYaml;
import io.pgferry.common.Tls;
import io.pgferry.common.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.stream.Stream;

/** agent.yaml (docs/contracts.md). Load with {@link #load(Path)}: unknown keys and wrong types are refused with their line. */
public record AgentConfig(
    String nodeId,
    Controller controller,
    TlsFiles tls,
    Postgres postgres,
    Archive archive,
    Path stateDir,
    Http http,
    Log log,
    Goals goals) {
  /** The agent's state file in state_dir (NodeAgent keeps the node's state and goal there). */
  public static final String STATE_FILE = "state.json";


  public AgentConfig {
    controller = controller == null ? new Controller((List<String>) null, null) : controller;
    archive = archive == null ? new Archive(null, null, null) : archive;
    http = http == null ? new Http(null, null) : http;
    log = log == null ? new Log(null, null) : log;
    stateDir = stateDir == null ? Path.of("/var/lib/pgferry-agent") : stateDir;
    goals = goals == null ? new Goals(null, null) : goals;
  }

  /** Without a goals block: the strict defaults. */
  public AgentConfig(String nodeId, Controller controller, TlsFiles tls, Postgres postgres, Archive archive,
                     Path stateDir, Http http, Log log) {
    this(nodeId, controller, tls, postgres, archive, stateDir, http, log, null);
  }

  /**
   * How far a goal may widen access (io.pgferry.agent.goal.GoalValidator): wide pg_hba addresses, and method trust
   * (tests whose clusters have no passwords). Both off unless set.
   */
  public record Goals(Boolean allowWideAddress, Boolean allowTrust) {
    public Goals {
      allowWideAddress = allowWideAddress != null && allowWideAddress;
      allowTrust = allowTrust != null && allowTrust;
    }

    public GoalLimits limits() {
      return new GoalLimits(allowWideAddress, allowTrust);
    }
  }

  /**
   * {@code address}: host:port of the controller's agent link, or a list of them (several controllers on etcd: the
   * agent dials them in turn and stays with the one that accepts, the leader; docs/ha.md).
   */
  public record Controller(@JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> address,
                           Boolean insecure) {
    public Controller {
      address = address == null || address.isEmpty() ? List.of("127.0.0.1:7400") : List.copyOf(address);
      insecure = insecure != null && insecure;
    }

    public Controller(String address, Boolean insecure) {
      this(address == null ? null : List.of(address), insecure);
    }
  }

  public record TlsFiles(Path ca, Path cert, Path key) {
    public Tls toTls() {
      return new Tls(ca, cert, key);
    }
  }

  public record Postgres(
      Path binDir,
      Path dataDir,
      Integer port,
      String host,
      String listenAddresses,
      Path socketDir,
      String osUser,
      String replicationUser,
      Path passwordFile,
      Map<String, String> settings,
      TlsFiles tls) {
    public Postgres {
      port = port == null ? 5432 : port;
      host = host == null ? "127.0.0.1" : host;
      listenAddresses = listenAddresses == null ? "*" : listenAddresses;
      socketDir = socketDir == null ? Path.of("/var/run/postgresql") : socketDir;
      osUser = osUser == null ? "postgres" : osUser;
      replicationUser = replicationUser == null ? "postgres" : replicationUser;
      settings = settings == null ? Map.of() : Map.copyOf(settings);
    }

    /**
     * The certificate, key and CA PostgreSQL serves TLS with: postgres.tls, else the agent's link certificates
     * (tls); empty when neither is given (then ssl stays as postgresql.conf has it).
     */
    public Optional<TlsFiles> serverTls(TlsFiles linkTls) {
      TlsFiles t = tls != null ? tls : linkTls;
      return t == null || t.cert() == null || t.key() == null ? Optional.empty() : Optional.of(t);
    }

    /** How the agent reaches its own PostgreSQL: the local socket in socket_dir, peer authentication, no password. */
    public LocalAccess localAccess() {
      return LocalAccess.of(dataDir, socketDir, port);
    }

    /** The address the agent itself uses to reach its PostgreSQL over TCP. */
    public String localAddress() {
      String first = listenAddresses.split(",")[0].trim();
      return first.equals("*") || first.equals("0.0.0.0") || first.equals("::") || first.equals("localhost") || first.isEmpty()
          ? "127.0.0.1" : first;
    }
  }

  public record Archive(String url, S3 s3, Integer prefetch) {
    public Archive {
      s3 = s3 == null ? new S3(null, null, null) : s3;
      prefetch = prefetch == null ? 8 : prefetch;
    }
  }

  public record S3(String endpoint, String region, Boolean pathStyle) {
    public S3 {
      endpoint = endpoint == null ? "" : endpoint;
      region = region == null ? "us-east-1" : region;
      pathStyle = pathStyle != null && pathStyle;
    }
  }

  public record Http(String host, Integer port) {
    public Http {
      host = host == null ? "127.0.0.1" : host;
      port = port == null ? 7401 : port;
    }
  }

  public record Log(Boolean json, String level) {
    public Log {
      json = json != null && json;
      level = level == null ? "info" : level;
    }

    public Level julLevel() {
      return switch (level.toLowerCase(Locale.ROOT)) {
        case "debug" -> Level.FINE;
        case "trace" -> Level.FINEST;
        case "warn", "warning" -> Level.WARNING;
        case "error" -> Level.SEVERE;
        case "info" -> Level.INFO;
        default -> throw new UsageException("log.level: unknown level '" + level + "'; use debug, info, warn or error");
      };
    }
  }

  /** Reads and validates agent.yaml. */
  public static AgentConfig load(Path file) {
    AgentConfig config = StrictYaml.load(file, AgentConfig.class);
    config.validate(file.toString());
    return config;
  }

  public static AgentConfig parse(String name, String yaml) {
    AgentConfig config = StrictYaml.parse(name, yaml, AgentConfig.class);
    config.validate(name);
    return config;
  }

  /** Checks what can be checked before touching anything; each failure is one line naming the key. */
  public void validate(String where) {
    if (!NodeIds.valid(nodeId)) {
      throw new UsageException(where + ": node_id " + (nodeId == null ? "is missing" : "'" + nodeId + "' is invalid")
          + "; use " + NodeIds.RULE + " (the link's rule: the certificate CN is agent-<node_id>)");
    }
    for (String address : controller.address()) {
      if (!address.matches("(\\[[0-9a-fA-F:.]+\\]|[^:\\s\\[\\]]+):\\d+")) {
        throw new UsageException(where + ": controller.address '" + address + "' is not host:port");
      }
    }
    if (!controller.insecure()) {
      if (tls == null) {
        throw new UsageException(where + ": tls is missing; give tls.ca, tls.cert and tls.key (or controller.insecure: true, tests only)");
      }
      tls.toTls();
    }
    if (postgres == null) {
      throw new UsageException(where + ": postgres is missing; give at least postgres.bin_dir and postgres.data_dir");
    }
    if (postgres.binDir() == null) {
      throw new UsageException(where + ": postgres.bin_dir is missing; e.g. /usr/lib/postgresql/15/bin");
    }
    if (!Files.isDirectory(postgres.binDir())) {
      throw new UsageException(where + ": postgres.bin_dir " + postgres.binDir() + " does not exist; install PostgreSQL or fix the path");
    }
    for (String tool : new String[] {"pg_ctl", "postgres"}) {
      if (!Files.isExecutable(postgres.binDir().resolve(tool))) {
        throw new UsageException(where + ": postgres.bin_dir " + postgres.binDir() + " has no executable " + tool + "; point it at the PostgreSQL server binaries");
      }
    }
    if (postgres.dataDir() == null) {
      throw new UsageException(where + ": postgres.data_dir is missing");
    }
    if (postgres.passwordFile() != null && Files.exists(postgres.passwordFile())) {
      try {
        PgPass.check(postgres.passwordFile());
      } catch (IOException | UsageException e) {
        throw new UsageException(where + ": " + (e instanceof UsageException ? e.getMessage()
            : "postgres.password_file " + postgres.passwordFile() + ": cannot read it"));
      }
    }
    // a first start on a stray directory is a mistake in the config; a data dir this agent managed before (its state
    // file exists) and that broke must not keep the agent down: it starts, reports the error, and a rebuild can mend it
    if (Files.isDirectory(postgres.dataDir()) && !isEmpty(postgres.dataDir()) && !DataDir.holdsCluster(postgres.dataDir())
        && !Files.exists(stateDir.resolve(STATE_FILE))) {
      throw new UsageException(where + ": postgres.data_dir " + postgres.dataDir()
          + " is not empty and holds no PostgreSQL cluster; empty it or point data_dir elsewhere");
    }
    if (Files.exists(postgres.dataDir()) && !Files.isDirectory(postgres.dataDir())) {
      throw new UsageException(where + ": postgres.data_dir " + postgres.dataDir() + " is not a directory");
    }
    if (postgres.port() < 1 || postgres.port() > 65535) {
      throw new UsageException(where + ": postgres.port " + postgres.port() + " is out of range");
    }
    if (http.port() < 0 || http.port() > 65535) {
      throw new UsageException(where + ": http.port " + http.port() + " is out of range");
    }
    if (postgres.tls() != null && (postgres.tls().cert() == null || postgres.tls().key() == null)) {
      throw new UsageException(where + ": postgres.tls needs cert and key (ca optional: the CA a standby verifies its upstream with)");
    }
    if (postgres.tls() != null) {
      for (Path f : new Path[] {postgres.tls().cert(), postgres.tls().key(), postgres.tls().ca()}) {
        if (f != null && !Files.isReadable(f)) {
          throw new UsageException(where + ": postgres.tls file " + f + " is not readable");
        }
      }
    }
    log.julLevel();
  }

  /** The files the node's PostgreSQL serves TLS with (see {@link Postgres#serverTls}). */
  public Optional<TlsFiles> serverTls() {
    return postgres == null ? Optional.empty() : postgres.serverTls(tls);
  }

  private static boolean isEmpty(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      throw new UsageException("postgres.data_dir " + dir + ": cannot list: " + e.getMessage());
    }
  }
}
