package io.pgferry.controller.plan;

import io.pgferry.common.pg.ConnectionLimits;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.verify.VerifyMode;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plan file (plan.yaml): what to move, where, how the app is switched, and the limits to respect. Keys are the
 * snake_case of the record components (see {@link PlanLoader}); {@link Required} marks keys that must be present,
 * {@link Secret} values that should be secret references (env:NAME or file:PATH).
 */
public record Plan(
    @Required Source source,
    @Required Archive archive,
    @Required Nodes nodes,
    @Required Target target,
    @Required App app,
    @Key("switch") @Required Switch switchSpec,
    Thresholds thresholds,
    Durability durability,
    List<String> replicaIdentityFull,
    Logical logical,
    Failover failover,
    Connections connections,
    List<Hold> hold,
    Collation collation,
    WalSafety walSafety) {

  public Plan {
    logical = logical == null ? Logical.DEFAULT : logical;
    thresholds = thresholds == null ? Thresholds.DEFAULT : thresholds;
    failover = failover == null ? Failover.DEFAULT : failover;
    connections = connections == null ? Connections.DEFAULT : connections;
    durability = durability == null ? Durability.SYNC : durability;
    replicaIdentityFull = replicaIdentityFull == null ? List.of() : List.copyOf(replicaIdentityFull);
    hold = hold == null ? List.of(Hold.values()) : List.copyOf(hold);
    collation = collation == null ? Collation.DEFAULT : collation;
    walSafety = walSafety == null ? WalSafety.DEFAULT : walSafety;
  }

  /**
   * {@code hold: [cutover_1, cutover_2]} (the default): `pgferry apply` stops before each listed cutover until
   * `pgferry proceed`; {@code hold: []} none (as `pgferry apply --no-hold`).
   */
  public enum Hold { CUTOVER_1, CUTOVER_2 }

  /**
   * The database being moved (Heroku). Its URL is optional: without it pgferry can neither fence it nor read its LSN.
   * {@code sslmode}/{@code sslrootcert}: how pgferry's sessions to it use TLS (see {@code io.pgferry.controller.pg.LinkTls}).
   */
  public record Source(@Secret String url, Duration archiveTimeout, Integer pgMajor, String sslmode, String sslrootcert) {
    public Source {
      archiveTimeout = archiveTimeout == null ? Duration.ofSeconds(60) : archiveTimeout;
    }

    public boolean reachable() {
      return url != null && !url.isBlank();
    }
  }

  /**
   * The source's WAL archive: s3://bucket/prefix or file:///path. {@code s3}: how the controller reaches an s3://
   * archive for PREFLIGHT (the agents use their agent.yaml's archive.s3 the same way).
   */
  public record Archive(@Required String url, ArchiveS3 s3) {}

  /**
   * As agent.yaml's archive.s3 (endpoint + path_style for an S3-compatible server), plus optional static keys: the
   * secret as a reference (env:NAME or file:PATH; the key id may be one too); what is not set comes from AWS_*
   * variables, then the SDK's default chain (profile, instance role).
   */
  public record ArchiveS3(String endpoint, String region, Boolean pathStyle, String accessKeyId,
                          @Secret String secretAccessKey) {}

  /**
   * Agent node ids: A restores from the archive and becomes primary at cutover 1; B streams from A as
   * {@code replication_user} (empty: the agent's own postgres.replication_user), allowed on A by a pg_hba entry for
   * B's address only, with {@code hba_method} (scram-sha-256, cert, md5 up to PostgreSQL 13; trust only with
   * {@code allow_trust}, for tests whose clusters have no passwords; the agents must allow it too). A and B serve TLS:
   * {@code sslmode}/{@code sslrootcert} are how the controller and B (towards A) connect to them; their pg_hba admits,
   * over TLS only, B, T ({@code logical.target_address}), the controller from {@code controller_address} and the app
   * from {@code app_addresses} (each one host or a CIDR).
   * <p>
   * {@code hba_method: cert} is the passwordless shape (docs/security.md): B logs in to A, and the controller to A and
   * B, with certificates from pgferry's CA (B's agent certificate; the controller's {@code sslcert}/{@code sslkey},
   * its controller.pem/.key), each mapped by the node's agent to the cluster's bootstrap superuser; no role is created
   * on the source and no password of it is needed. {@code replication_user} is then empty (the bootstrap superuser).
   */
  public record Nodes(@Required String archiveReplica, @Required String standby, String replicationUser,
                      String hbaMethod, Boolean allowTrust, String sslmode, String sslrootcert, String controllerAddress,
                      List<String> appAddresses, String sslcert, String sslkey) {
    public Nodes {
      replicationUser = replicationUser == null ? "" : replicationUser;
      hbaMethod = hbaMethod == null ? "scram-sha-256" : hbaMethod;
      allowTrust = allowTrust != null && allowTrust;
      controllerAddress = controllerAddress == null ? "" : controllerAddress;
      appAddresses = appAddresses == null ? List.of() : List.copyOf(appAddresses);
      sslcert = sslcert == null ? "" : sslcert;
      sslkey = sslkey == null ? "" : sslkey;
    }

    /** The passwordless shape: certificate logins to A and B (hba_method cert). */
    public boolean certificates() {
      return "cert".equals(hbaMethod);
    }
  }

  /** The final home (Aurora). {@code sslrootcert}: its CA bundle (then sslmode defaults to verify-full). */
  public record Target(@Required @Secret String url, String sslmode, String sslrootcert) {}

  /** How the app connects: the same database and role exist on the source, A and B (physical copies). */
  /**
   * {@code oids_cached_by_app}: the app caches type OIDs per process (psycopg2/Django, Rails, pgjdbc do for
   * extension types, enums and composites); true unless the plan says otherwise.
   */
  public record App(@Required String dbname, @Required String user, @Secret String password, Boolean oidsCachedByApp) {
    public App {
      oidsCachedByApp = oidsCachedByApp == null || oidsCachedByApp;
    }
  }

  /**
   * {@code app_restart}: a command (sh -c) that restarts or reconnects the app, run right after cutover 2's repoint so
   * the app looks up the target's type OIDs; {@code app_restart_timeout} bounds it (2 min). Heroku needs none: a
   * config var change restarts the dynos.
   */
  public record Switch(@Required SwitchType type, Heroku heroku, Pgbouncer pgbouncer, CommandHooks command,
                       String appRestart, Duration appRestartTimeout) {
    public Switch {
      appRestartTimeout = appRestartTimeout == null ? Duration.ofMinutes(2) : appRestartTimeout;
    }

    public boolean restartsApp() {
      return type == SwitchType.HEROKU || (appRestart != null && !appRestart.isBlank());
    }
  }

  public enum SwitchType { HEROKU, PGBOUNCER, COMMAND }

  public record Heroku(@Required String app, @Required String configVar, @Required @Secret String token,
                       String apiUrl, List<String> scaleDown) {
    public Heroku {
      apiUrl = apiUrl == null ? "https://api.heroku.com" : apiUrl;
      scaleDown = scaleDown == null ? List.of() : List.copyOf(scaleDown);
    }
  }

  public record Pgbouncer(@Required String adminHost, Integer adminPort, String adminUser, @Secret String adminPassword,
                          @Required String database, @Required String iniPath, Duration pauseTimeout) {
    public Pgbouncer {
      adminPort = adminPort == null ? 6432 : adminPort;
      adminUser = adminUser == null ? "pgbouncer" : adminUser;
      pauseTimeout = pauseTimeout == null ? Duration.ofSeconds(5) : pauseTimeout;
    }
  }

  /** User hooks, run with sh -c; the new database is given in PGFERRY_TARGET_* env vars. */
  public record CommandHooks(@Required String block, @Required String repoint, @Required String unblock,
                             String current, Duration timeout) {
    public CommandHooks {
      timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
    }
  }

  public record Thresholds(Long maxLagBytes, Integer archiveLagSegments, Integer diskMarginPercent,
                           Duration pollInterval, Timeouts timeouts) {
    public static final Thresholds DEFAULT = new Thresholds(null, null, null, null, null);

    public Thresholds {
      maxLagBytes = maxLagBytes == null ? 16L * 1024 * 1024 : maxLagBytes;
      archiveLagSegments = archiveLagSegments == null ? 2 : archiveLagSegments;
      diskMarginPercent = diskMarginPercent == null ? 20 : diskMarginPercent;
      pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
      timeouts = timeouts == null ? Timeouts.DEFAULT : timeouts;
    }
  }

  public record Timeouts(Duration preflight, Duration archiveReplica, Duration standby,
                         @Key("cutover_1") Duration cutover1) {
    public static final Timeouts DEFAULT = new Timeouts(null, null, null, null);

    public Timeouts {
      preflight = preflight == null ? Duration.ofMinutes(2) : preflight;
      archiveReplica = archiveReplica == null ? Duration.ofHours(12) : archiveReplica;
      standby = standby == null ? Duration.ofHours(12) : standby;
      cutover1 = cutover1 == null ? Duration.ofMinutes(5) : cutover1;
    }
  }

  public enum Durability { SYNC, ASYNC }

  /**
   * Automatic failover to B after cutover 1 (DESIGN.md §2, §3). A is declared failed when its agent link and its
   * PostgreSQL are both silent for {@code detect_after} and B's WAL receiver is disconnected; B is promoted only
   * {@code lease_margin} after A's lease expired ({@code max_lease}: assumed when the controller does not know the
   * lease, e.g. after its own restart; at least the controller's lease_ms). {@code stonith_command} (sh -c, optional)
   * runs after A is fenced, with PGFERRY_NODE / PGFERRY_HOST; {@code stonith_ec2} (optional) then stops A's EC2
   * instance (force) and waits until it is stopped. {@code admin_user}/{@code admin_password}: a superuser
   * on A and B (synchronous_standby_names, slot positions). {@code subscription}/{@code slot}: on T and the publisher.
   */
  public record Failover(Boolean enabled, Duration detectAfter, Duration leaseMargin, Duration maxLease,
                         String stonithCommand, @Key("stonith_ec2") Ec2Instance stonithEc2, String adminUser,
                         @Secret String adminPassword, String subscription, String slot) {
    public static final Failover DEFAULT = new Failover(null, null, null, null, null, null, null, null, null, null);

    public Failover {
      enabled = enabled == null ? Boolean.TRUE : enabled;
      // the failover goal, <= 10 s from A's loss to B serving, on these defaults: B is promoted at about
      // max(detect_after, lease + lease_margin, the failsafe window of 5 s) after the loss
      detectAfter = detectAfter == null ? Duration.ofSeconds(4) : detectAfter;
      leaseMargin = leaseMargin == null ? Duration.ofSeconds(1) : leaseMargin;
      maxLease = maxLease == null ? Duration.ofSeconds(5) : maxLease;
      stonithCommand = stonithCommand == null ? "" : stonithCommand;
      adminUser = adminUser == null ? "postgres" : adminUser;
      subscription = subscription == null ? "pgferry_sub" : subscription;
      slot = slot == null ? subscription : slot;
    }
  }

  /**
   * A's EC2 instance, stopped by the failover before B is promoted. {@code region}: the SDK's default chain when
   * absent; {@code endpoint}: an override (VPC endpoint); credentials from the SDK's default chain (instance role).
   */
  public record Ec2Instance(@Required String instanceId, String region, String endpoint, Duration stopTimeout) {
    public Ec2Instance {
      region = region == null ? "" : region;
      endpoint = endpoint == null ? "" : endpoint;
      stopTimeout = stopTimeout == null ? Duration.ofMinutes(2) : stopTimeout;
    }
  }

  /**
   * Logical replication A -> T (LOGICAL_SETUP .. CUTOVER_2). pgferry connects to A (address from A's Hello, the
   * app's dbname) as {@code admin_user}; T reaches A at {@code source_host} (default: A's Hello host) as
   * {@code replication_role}; A's pg_hba admits that role from {@code target_address} only (T's egress address as A
   * sees it; empty: A's pg_hba must already admit T; wider than a /16 only with {@code allow_wide_address}).
   * {@code sslmode}/{@code sslrootcert}: how T's subscription (and A's reverse subscription to T) connect; the root
   * cert is a path on the subscriber's host.
   */
  public record Logical(String replicationRole, @Secret String replicationPassword, String adminUser, @Secret String adminPassword,
                        String targetAddress, String sourceHost, Boolean reverseReplication, Boolean failoverSlots,
                        String clientBinDir, VerifyMode verify, Integer verifyChunkRows,
                        Long retainedWalAlertBytes, Duration syncTimeout, @Key("cutover_2_timeout") Duration cutover2Timeout,
                        Boolean allowWideAddress, String sslmode, String sslrootcert, Integer indexJobs,
                        String indexMaintenanceWorkMem, CopyMethod copyMethod, Integer tableJobs, String splitLargerThan) {
    public static final Logical DEFAULT = new Logical(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null);

    public Logical {
      replicationRole = replicationRole == null ? "pgferry_repl" : replicationRole;
      adminUser = adminUser == null ? "postgres" : adminUser;
      targetAddress = targetAddress == null ? "" : targetAddress;
      sourceHost = sourceHost == null ? "" : sourceHost;
      reverseReplication = reverseReplication != null && reverseReplication;
      failoverSlots = failoverSlots != null && failoverSlots;
      clientBinDir = clientBinDir == null ? "/usr/lib/postgresql/15/bin" : clientBinDir;
      verify = verify == null ? VerifyMode.COUNTS : verify;
      verifyChunkRows = verifyChunkRows == null ? 10000 : verifyChunkRows;
      retainedWalAlertBytes = retainedWalAlertBytes == null ? 10L * 1024 * 1024 * 1024 : retainedWalAlertBytes;
      syncTimeout = syncTimeout == null ? Duration.ofHours(24) : syncTimeout;
      cutover2Timeout = cutover2Timeout == null ? Duration.ofMinutes(2) : cutover2Timeout;
      allowWideAddress = allowWideAddress != null && allowWideAddress;
      indexJobs = indexJobs == null ? 0 : indexJobs;
      indexMaintenanceWorkMem = indexMaintenanceWorkMem == null ? "512MB" : indexMaintenanceWorkMem;
      copyMethod = copyMethod == null ? CopyMethod.SNAPSHOT : copyMethod;
      tableJobs = tableJobs == null ? 0 : tableJobs;
      splitLargerThan = splitLargerThan == null ? "1GB" : splitLargerThan;
    }

    /** split_larger_than in bytes (0: never split); -1 when it is not a size (PlanChecks reports it). */
    public long splitLargerThanBytes() {
      Matcher m = Pattern.compile("([0-9]{1,15})(kB|MB|GB|TB)?").matcher(splitLargerThan);
      if (!m.matches()) {
        return -1;
      }
      long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
        case "kB" -> 1L << 10;
        case "MB" -> 1L << 20;
        case "GB" -> 1L << 30;
        default -> 1L << 40;
      };
      return Long.parseLong(m.group(1)) * unit;
    }

      /**
     * How LOGICAL_SETUP copies the rows: snapshot (pgferry's copy under the slot's exported snapshot, table_jobs workers,
   * large tables in ranges, then a subscription with copy_data = false) or subscription (PostgreSQL's table sync
   * workers, copy_data = true: the path before issue 15).
   */
    public enum CopyMethod { SNAPSHOT, SUBSCRIPTION }
  }

  /** The bounds of pgferry's own sessions per purpose: the defaults, with this plan's {@code connections} overrides. */
  public ConnectionLimits connectionLimits() {
    return connections.limits();
  }

  /**
   * Overrides of the bounds of pgferry's own PostgreSQL sessions, one optional block per purpose (docs/contracts.md,
   * "Connections"); a key left out keeps the purpose's default.
   */
  public record Connections(Bound probe, Bound admin, Bound schema, Bound copy, Bound fence, Bound catchUp, Bound verify,
                            Bound sequences, Bound cutover) {
    public static final Connections DEFAULT = new Connections(null, null, null, null, null, null, null, null, null);

    public record Bound(Duration connectTimeout, Duration socketTimeout, Duration statementTimeout, Duration lockTimeout) {}

    ConnectionLimits limits() {
      Map<Purpose, io.pgferry.common.pg.Timeouts> m = new EnumMap<>(Purpose.class); // fq: clash with Plan.Timeouts
      put(m, Purpose.PROBE, probe);
      put(m, Purpose.ADMIN, admin);
      put(m, Purpose.SCHEMA, schema);
      put(m, Purpose.COPY, copy);
      put(m, Purpose.FENCE, fence);
      put(m, Purpose.CATCH_UP, catchUp);
      put(m, Purpose.VERIFY, verify);
      put(m, Purpose.SEQUENCES, sequences);
      put(m, Purpose.CUTOVER, cutover);
      return ConnectionLimits.of(m);
    }

    private static void put(Map<Purpose, io.pgferry.common.pg.Timeouts> m, Purpose p, // fq: clash with Plan.Timeouts
                            Bound b) {
      if (b != null) {
        m.put(p, p.defaults().with(b.connectTimeout(), b.socketTimeout(), b.statementTimeout(), b.lockTimeout()));
      }
    }
  }

  /** What cutover 1's collation check does with an index amcheck finds broken (docs/operations.md, "Collation check"). */
  public enum OnBrokenIndex { STOP, REINDEX, REPORT }

  /**
   * Collation safety before cutover 1: B's indexes over collatable columns are checked with amcheck (versions compared
   * where amcheck is absent). {@code on_broken_index}: stop before cutover 1 (default), reindex them on A after its
   * promotion while writes are still blocked, or only report.
   */
  public record Collation(OnBrokenIndex onBrokenIndex) {
    public static final Collation DEFAULT = new Collation(null);

    public Collation {
      onBrokenIndex = onBrokenIndex == null ? OnBrokenIndex.STOP : onBrokenIndex;
    }
  }

  /**
   * WAL safety on A once it is the primary holding slots. {@code max_slot_wal_keep_size}: set on A through its
   * PRIMARY goal (PostgreSQL 13 and later; a size such as 50GB; empty: PostgreSQL's default, unlimited): a slot
   * retaining more is invalidated instead of filling A's disk. {@code warn_free_below_percent}: LOGICAL_SETUP's
   * preflight refuses, and the sync wait warns, when A's data directory has less free space than this.
   * {@code warn_hours_to_full}: the sync wait warns when the retained WAL's growth fills the disk (or reaches
   * max_slot_wal_keep_size) within this many hours.
   */
  public record WalSafety(String maxSlotWalKeepSize, Integer warnFreeBelowPercent, Integer warnHoursToFull) {
    public static final WalSafety DEFAULT = new WalSafety(null, null, null);

    public WalSafety {
      maxSlotWalKeepSize = maxSlotWalKeepSize == null ? "" : maxSlotWalKeepSize.trim();
      warnFreeBelowPercent = warnFreeBelowPercent == null ? 20 : warnFreeBelowPercent;
      warnHoursToFull = warnHoursToFull == null ? 6 : warnHoursToFull;
    }
  }
}
