package io.pgferry.agent.converge;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.agent.cluster.BaseBackupProvider;
import io.pgferry.agent.cluster.ClientTools;
import io.pgferry.agent.cluster.LocalPostgres;
import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.recovery.RecoveryConfig;
import io.pgferry.agent.recovery.ServerTls;
import io.pgferry.agent.recovery.UpstreamTls;
import io.pgferry.agent.slots.SlotSettings;
import io.pgferry.agent.state.StateFile;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What transitions work with: the node's config, its PostgreSQL, its managed files and its state file. */
public final class NodeContext {
  private final AgentConfig config;
  private final PgCtl pgCtl;
  private final LocalAccess localAccess;
  private final LocalPostgres localPostgres;
  private final LocalPostgres observerPostgres;
  private final RecoveryConfig recoveryConfig;
  private final StateFile stateFile;
  private final ClientTools clientTools;
  private final int serverMajor;
  private final Map<BaseBackupMethod, BaseBackupProvider> backupProviders = new LinkedHashMap<>();
  private final List<String> actedSteps = Collections.synchronizedList(new ArrayList<>());
  private volatile String progress = "";
  /** Set by the archive engine (ArchiveExtension.attach): the restore_command a standby keeps after its base backup. */
  private volatile Function<Goal, String> restoreCommand = goal -> null;

  public NodeContext(AgentConfig config, StateFile stateFile, int serverMajor) {
    this.config = config;
    this.stateFile = stateFile;
    this.serverMajor = serverMajor;
    var pg = config.postgres();
    this.pgCtl = new PgCtl(pg.binDir(), pg.dataDir(), pg.osUser(), pg.port());
    this.localAccess = pg.localAccess();
    this.localPostgres = new LocalPostgres(localAccess);
    this.observerPostgres = new LocalPostgres(localAccess);
    this.recoveryConfig = new RecoveryConfig(pg.dataDir(), config.serverTls()
        .map(t -> new ServerTls(t.cert(), t.key(), t.ca())).orElse(null), localAccess);
    this.clientTools = new ClientTools(pg.binDir());
  }

  public AgentConfig config() {
    return config;
  }

  public Path dataDir() {
    return config.postgres().dataDir();
  }

  public PgCtl pgCtl() {
    return pgCtl;
  }

  /** How the agent reaches its own PostgreSQL (local socket, peer, bootstrap superuser). */
  public LocalAccess localAccess() {
    return localAccess;
  }

  /** For transitions' own queries (a fresh connection each time: the observer owns the shared one). */
  public LocalPostgres localPostgres() {
    return localPostgres;
  }

  /** The observer's own reader (it keeps one connection open; never shared across threads). */
  public LocalPostgres localPostgresForObserver() {
    return observerPostgres;
  }

  public RecoveryConfig recoveryConfig() {
    return recoveryConfig;
  }

  public StateFile stateFile() {
    return stateFile;
  }

  /** The CA file this agent verifies an upstream's certificate with (agent.yaml); null when none. */
  public Path upstreamRootCert() {
    return config.serverTls().map(AgentConfig.TlsFiles::ca).orElse(null);
  }

  /** The CA file and this agent's certificate and key, as a client of its upstream (agent.yaml; NONE without TLS files). */
  public UpstreamTls upstreamTls() {
    return config.serverTls().map(t -> new UpstreamTls(t.ca(), t.cert(), t.key()))
        .orElse(UpstreamTls.NONE);
  }

  public ClientTools clientTools() {
    return clientTools;
  }

  /** Major version of the agent's PostgreSQL server binaries. */
  public int serverMajor() {
    return serverMajor;
  }

  public void addBackupProvider(BaseBackupProvider provider) {
    backupProviders.put(provider.method(), provider);
  }

  public Map<BaseBackupMethod, BaseBackupProvider> backupProviders() {
    return backupProviders;
  }

  /**
   * The restore_command a standby gets for this goal (null: none). The archive engine sets it, so a streaming
   * standby can also fetch WAL from the archive when its upstream no longer has it.
   */
  public void restoreCommand(Function<Goal, String> forGoal) {
    this.restoreCommand = forGoal;
  }

  public String restoreCommandFor(Goal goal) {
    return restoreCommand.apply(goal);
  }

  /** Settings pgferry manages for every role: where PostgreSQL listens, plus the config's and the goal's extras. */
  public Map<String, String> managedSettings(Goal goal) {
    var pg = config.postgres();
    Map<String, String> s = new LinkedHashMap<>();
    s.put("port", String.valueOf(pg.port()));
    s.put("listen_addresses", pg.listenAddresses());
    s.put("unix_socket_directories", pg.socketDir().toString());
    s.putAll(pg.settings());
    if (goal != null && goal.getLogicalSlotsCount() > 0) {
      s.putAll(serverMajor >= 17 ? SlotSettings.failoverStandby(serverMajor)
          : SlotSettings.copiedSlotStandby());
    }
    if (goal != null) {
      s.putAll(goal.getSettingsMap());
    }
    return s;
  }

  /** Steps that had to act, in order ("transition/step"), since this agent started. */
  public List<String> actedSteps() {
    synchronized (actedSteps) {
      return List.copyOf(actedSteps);
    }
  }

  void stepActed(String name) {
    actedSteps.add(name);
  }

  public String progress() {
    return progress;
  }

  /** Long steps describe what they are doing now (reported in Status.transition). */
  public void progress(String text) {
    progress = text;
  }
}
