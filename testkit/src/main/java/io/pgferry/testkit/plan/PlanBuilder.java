package io.pgferry.testkit.plan;

import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * plan.yaml for tests, written from a typed model with Jackson: tests still go through the controller's real
 * PlanLoader, but no test writes YAML by hand. {@link #plan()} is the common shape (PG 15, nodes a and b, the app
 * appdb/app, a command switch whose hooks do nothing, an archive and a target that do not exist); tests change what they
 * vary. Only keys a test set are written, so the loader's defaults apply to the rest. Tests of bad plan text (the
 * loader's line:column errors) keep their raw text.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"source", "archive", "nodes", "target", "app", "switch"})
public final class PlanBuilder {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
      .setVisibility(PropertyAccessor.ALL, Visibility.NONE).setVisibility(PropertyAccessor.FIELD, Visibility.ANY)
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .registerModule(new SimpleModule().addSerializer(Duration.class, new DurationText()));

  private final Source source = new Source();
  private final Archive archive = new Archive();
  private final Nodes nodes = new Nodes();
  private final Target target = new Target();
  private final App app = new App();
  @JsonProperty("switch")
  private Switch switchSpec = new Switch("command").command(new Command("true", "true", "true"));
  private Thresholds thresholds;
  private String durability;
  private List<String> hold;
  private List<String> replicaIdentityFull;
  private Logical logical;
  private Failover failover;
  private Map<String, Connection> connections;
  private Map<String, String> collation;
  private Map<String, Object> walSafety;
  @JsonIgnore
  private String appRestart;

  private PlanBuilder() {}

  /** The common shape; see the class comment. */
  public static PlanBuilder plan() {
    return new PlanBuilder();
  }

  /** A secret reference to a file (0600) holding the value. */
  public static String file(Path secret) {
    return "file:" + secret;
  }

  /** Writes {@code value} to {@code file}, readable by its owner only (pgferry refuses a secret file others may read). */
  public static Path writeSecret(Path file, String value) {
    try {
      Files.writeString(file, value);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public PlanBuilder source(String url) {
    source.url = url;
    return this;
  }

  public PlanBuilder archiveTimeout(Duration d) {
    source.archiveTimeout = d;
    return this;
  }

  public PlanBuilder pgMajor(int major) {
    source.pgMajor = major;
    return this;
  }

  public PlanBuilder archive(String url) {
    archive.url = url;
    return this;
  }

  /** A file:// archive in {@code dir}. */
  public PlanBuilder archiveDir(Path dir) {
    return archive("file://" + dir);
  }

  /**
   * An s3:// archive at {@code url} on an S3-compatible server: archive.s3 with endpoint, region, path-style addressing
   * and the keys (each a value or a secret reference, env:NAME or file:PATH).
   */
  public PlanBuilder archiveS3(String url, URI endpoint, String region, String accessKeyId, String secretAccessKey) {
    archive.url = url;
    archive.s3 = new S3(endpoint.toString(), region, true, accessKeyId, secretAccessKey);
    return this;
  }

  /** The method of the pg_hba rules pgferry adds on A (trust for clusters without passwords). */
  public PlanBuilder hbaMethod(String method) {
    nodes.hbaMethod = method;
    nodes.allowTrust = "trust".equals(method) ? Boolean.TRUE : null; // the plan refuses trust without it
    return this;
  }

  public PlanBuilder target(String url) {
    target.url = url;
    return this;
  }

  /** target.sslmode and target.sslrootcert (either may be null: the plan's default). */
  public PlanBuilder targetTls(String sslmode, String sslrootcert) {
    target.sslmode = sslmode;
    target.sslrootcert = sslrootcert;
    return this;
  }

  /** nodes.controller_address: A and B admit the controller from there (hostssl). */
  /**
   * The passwordless shape (nodes.hba_method cert): the controller logs in to A and B with {@code cert}/{@code key}
   * (its controller.pem/.key) and verifies them with {@code rootCert} (pgferry's ca.pem, sslmode verify-full; null:
   * the plan's default, require).
   */
  public PlanBuilder nodeCertificates(Path cert, Path key, Path rootCert) {
    nodes.hbaMethod = "cert";
    nodes.allowTrust = null;
    nodes.sslcert = cert.toString();
    nodes.sslkey = key.toString();
    nodes.sslrootcert = rootCert == null ? null : rootCert.toString();
    return this;
  }

  public PlanBuilder controllerAddress(String address) {
    nodes.controllerAddress = address;
    return this;
  }

  public PlanBuilder app(String dbname, String user) {
    app.dbname = dbname;
    app.user = user;
    return this;
  }

  public PlanBuilder appPassword(String secret) {
    app.password = secret;
    return this;
  }

  /** {@code app.oids_cached_by_app}: whether the app caches type OIDs (PREFLIGHT then wants an app restart). */
  public PlanBuilder oidsCachedByApp(boolean cached) {
    app.oidsCachedByApp = cached;
    return this;
  }

  /** {@code switch.app_restart}: the command cutover 2 runs right after the repoint; kept across switch kinds. */
  public PlanBuilder appRestart(String command) {
    appRestart = command;
    return this;
  }

  /** The PgBouncer switch: PAUSE/RESUME and the [databases] line of {@code iniPath} through its admin console. */
  public PlanBuilder pgbouncerSwitch(String adminHost, int adminPort, String adminUser, String database, Path iniPath,
                                     Duration pauseTimeout) {
    switchSpec = new Switch("pgbouncer").pgbouncer(new Pgbouncer(adminHost, adminPort, adminUser, database,
        iniPath.toString(), pauseTimeout));
    return this;
  }

  /** The Heroku switch: maintenance, the config var, scaling {@code scaleDown} to 0, through the Platform API. */
  public PlanBuilder herokuSwitch(String appName, String configVar, String tokenSecret, URI apiUrl, String... scaleDown) {
    switchSpec = new Switch("heroku").heroku(new Heroku(appName, configVar, tokenSecret, apiUrl.toString(),
        List.of(scaleDown)));
    return this;
  }

  public PlanBuilder pollInterval(Duration d) {
    thresholds().pollInterval = d;
    return this;
  }

  /** How long {@code phase} may take (thresholds.timeouts); the other phases keep theirs. */
  public PlanBuilder timeout(PhaseTimeout phase, Duration d) {
    thresholds().timeouts.put(phase.key, d);
    return this;
  }

  /** sync or async. */
  /** hold: the cutovers the journey waits before for `pgferry proceed` (cutover_1, cutover_2; [] none). */
  public PlanBuilder hold(String... cutovers) {
    hold = List.of(cutovers);
    return this;
  }

  public PlanBuilder durability(String d) {
    durability = d;
    return this;
  }

  public PlanBuilder replicaIdentityFull(String... tables) {
    replicaIdentityFull = List.of(tables);
    return this;
  }

  /** The logical: block (LOGICAL_SETUP .. CUTOVER_2); each call changes the same block. */
  public PlanBuilder logical(Consumer<Logical> change) {
    if (logical == null) {
      logical = new Logical();
    }
    change.accept(logical);
    return this;
  }

  /** The failover: block; each call changes the same block. */
  public PlanBuilder failover(Consumer<Failover> change) {
    if (failover == null) {
      failover = new Failover();
    }
    change.accept(failover);
    return this;
  }

  /** failover: {enabled: false} (e.g. no B to keep a slot copy on). */
  public PlanBuilder noFailover() {
    return failover(f -> f.enabled = false);
  }

  /**
   * connections.{@code purpose}: the timeouts of that purpose's sessions (purpose as the plan spells it, e.g.
   * catch_up); null leaves one at its default.
   */
  public PlanBuilder connection(String purpose, Duration connectTimeout, Duration socketTimeout, Duration statementTimeout) {
    return connection(purpose, connectTimeout, socketTimeout, statementTimeout, null);
  }

  /** The same with the purpose's lock_timeout. */
  public PlanBuilder connection(String purpose, Duration connectTimeout, Duration socketTimeout, Duration statementTimeout,
                                Duration lockTimeout) {
    if (connections == null) {
      connections = new LinkedHashMap<>();
    }
    connections.put(purpose, new Connection(connectTimeout, socketTimeout, statementTimeout, lockTimeout));
    return this;
  }

  /** collation: {on_broken_index: stop|reindex|report}. */
  public PlanBuilder collationOnBrokenIndex(String policy) {
    collation = Map.of("on_broken_index", policy);
    return this;
  }

  /** wal_safety.{@code key}: {@code value} (max_slot_wal_keep_size, warn_free_below_percent, warn_hours_to_full). */
  public PlanBuilder walSafety(String key, Object value) {
    if (walSafety == null) {
      walSafety = new LinkedHashMap<>();
    }
    walSafety.put(key, value);
    return this;
  }

  /** The plan's text, as a file would hold it. */
  public String yaml() {
    switchSpec.appRestart = appRestart; // whichever switch kind was set last
    try {
      return YAML.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("plan: " + e.getMessage(), e);
    }
  }

  /** Writes {@link #yaml()} to {@code file}; returns it. */
  public Path writeTo(Path file) {
    try {
      return Files.writeString(file, yaml());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return yaml();
  }

  private Thresholds thresholds() {
    if (thresholds == null) {
      thresholds = new Thresholds();
    }
    return thresholds;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private static final class Source {
    String url;
    Duration archiveTimeout;
    Integer pgMajor = 15;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private static final class Archive {
    String url = "file:///nonexistent/archive";
    S3 s3;
  }

  private record S3(String endpoint, String region, boolean pathStyle, String accessKeyId, String secretAccessKey) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private static final class Nodes {
    String archiveReplica = "a";
    String standby = "b";
    String hbaMethod;
    Boolean allowTrust;
    String controllerAddress;
    String sslcert;
    String sslkey;
    String sslrootcert;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private static final class Target {
    String url = "postgres://app@127.0.0.1:1/appdb";
    String sslmode;
    String sslrootcert;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private static final class App {
    String dbname = "appdb";
    String user = "app";
    String password;
    Boolean oidsCachedByApp;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private static final class Switch {
    final String type;
    Heroku heroku;
    Pgbouncer pgbouncer;
    Command command;
    String appRestart;

    Switch(String type) {
      this.type = type;
    }

    Switch heroku(Heroku h) {
      heroku = h;
      return this;
    }

    Switch pgbouncer(Pgbouncer p) {
      pgbouncer = p;
      return this;
    }

    Switch command(Command c) {
      command = c;
      return this;
    }
  }

  private record Command(String block, String repoint, String unblock) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record Pgbouncer(String adminHost, int adminPort,
                           String adminUser, String database,
                           String iniPath, Duration pauseTimeout) {}

  private record Heroku(String app, String configVar, String token,
                        String apiUrl, List<String> scaleDown) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private static final class Thresholds {
    Duration pollInterval;
    final Map<String, Duration> timeouts = new LinkedHashMap<>();
  }

  /** The phases with a timeout of their own in thresholds.timeouts. */
  public enum PhaseTimeout {
    PREFLIGHT("preflight"), ARCHIVE_REPLICA("archive_replica"), STANDBY("standby"), CUTOVER_1("cutover_1");

    private final String key;

    PhaseTimeout(String key) {
      this.key = key;
    }
  }

  /** logical: replication A (or B after a failover) -> T and cutover 2. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class Logical {
    private String replicationPassword;
    private String adminPassword;
    private String targetAddress;
    private Boolean reverseReplication;
    private String verify;
    private Integer verifyChunkRows;
    private Duration syncTimeout;
    @JsonProperty("cutover_2_timeout") private Duration cutover2Timeout;
    private Integer tableJobs;
    private String splitLargerThan;

    /** The snapshot copy's workers and the size above which a table is cut into ranges (e.g. 1MB); null: the default. */
    public Logical copy(Integer jobs, String splitAbove) {
      tableJobs = jobs;
      splitLargerThan = splitAbove;
      return this;
    }

    /** Secrets (or literals) for the replication role and the admin user on A and B; null: the default. */
    public Logical passwords(String replication, String admin) {
      replicationPassword = replication;
      adminPassword = admin;
      return this;
    }

    /** T's address as A sees it (A's pg_hba admits the replication role from there only). */
    public Logical targetAddress(String cidr) {
      targetAddress = cidr;
      return this;
    }

    public Logical reverseReplication(boolean on) {
      reverseReplication = on;
      return this;
    }

    /** counts or full; {@code chunkRows} for full. */
    public Logical verify(String mode, Integer chunkRows) {
      verify = mode;
      verifyChunkRows = chunkRows;
      return this;
    }

    /** How long LOGICAL_SYNC and cutover 2 may take; null: the default. */
    public Logical timeouts(Duration sync, Duration cutover2) {
      syncTimeout = sync;
      cutover2Timeout = cutover2;
      return this;
    }
  }

  /** failover: automatic failover to B after cutover 1. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class Failover {
    private Boolean enabled;
    private Duration detectAfter;
    private Duration leaseMargin;
    private Duration maxLease;
    private String adminPassword;
    private Ec2Instance stonithEc2;

    /** Detection after {@code detectAfter} of silence; B promoted {@code leaseMargin} after A's lease ({@code maxLease}). */
    public Failover timings(Duration detectAfter, Duration leaseMargin, Duration maxLease) {
      this.detectAfter = detectAfter;
      this.leaseMargin = leaseMargin;
      this.maxLease = maxLease;
      return this;
    }

    public Failover adminPassword(String secret) {
      adminPassword = secret;
      return this;
    }

    /** A's EC2 instance to stop before B is promoted ({@code instanceId} null: the loader's missing-key error). */
    public Failover stonithEc2(String instanceId, String region) {
      stonithEc2 = new Ec2Instance(instanceId, region);
      return this;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record Connection(Duration connectTimeout, Duration socketTimeout, Duration statementTimeout, Duration lockTimeout) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record Ec2Instance(String instanceId, String region) {}

  /** Durations as plan files write them: 200ms, 5s, 3m. */
  private static final class DurationText extends JsonSerializer<Duration> {
    @Override
    public void serialize(Duration d, JsonGenerator gen, SerializerProvider provider) throws IOException {
      long ms = d.toMillis();
      gen.writeString(ms % 60_000 == 0 && ms > 0 ? ms / 60_000 + "m" : ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms");
    }
  }
}
