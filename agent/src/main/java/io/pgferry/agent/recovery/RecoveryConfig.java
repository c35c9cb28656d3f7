package io.pgferry.agent.recovery;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.common.pg.SqlQuote;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration pgferry manages in a data directory, written per PostgreSQL version:
 * <ul>
 *   <li>settings in {@code pgferry.conf}, included from postgresql.conf through a managed block at its end;</li>
 *   <li>a standby's recovery settings: PG &le; 11 in {@code recovery.conf} (with standby_mode); PG &ge; 12 in
 *       pgferry.conf plus an empty {@code standby.signal};</li>
 *   <li>pg_hba entries in a managed block at the top of pg_hba.conf: the agent's own peer access over the local
 *       socket ({@link LocalAccess}), then the goal's entries; the ident map of that access in a managed block of
 *       pg_ident.conf.</li>
 * </ul>
 * Every write is skipped when the content is already right, so applying twice changes nothing.
 */
public final class RecoveryConfig {
  public static final String MANAGED_FILE = "pgferry.conf";

  /**
   * What a standby needs to follow its upstream. An empty {@code primaryConninfo} (an archive replica) writes no
   * primary_conninfo at all: PostgreSQL 11 would otherwise retry a WAL receiver on '' every few seconds.
   * {@code restoreCommand} may be null.
   */
  public record Standby(String primaryConninfo, String primarySlotName, String restoreCommand) {
    public Map<String, String> parameters() {
      Map<String, String> p = new LinkedHashMap<>();
      if (primaryConninfo != null && !primaryConninfo.isEmpty()) {
        p.put("primary_conninfo", primaryConninfo);
      }
      if (primarySlotName != null && !primarySlotName.isEmpty()) {
        p.put("primary_slot_name", primarySlotName);
      }
      p.put("recovery_target_timeline", "latest");
      if (restoreCommand != null && !restoreCommand.isEmpty()) {
        p.put("restore_command", restoreCommand);
      }
      return p;
    }
  }

  private final Path dataDir;
  private final ServerTls tls;
  private final LocalAccess localAccess;

  public RecoveryConfig(Path dataDir) {
    this(dataDir, null, null);
  }

  /**
   * {@code tls}: the files PostgreSQL serves TLS with (null: ssl stays as postgresql.conf has it). {@code localAccess}:
   * the agent's own peer access to write into pg_hba.conf and pg_ident.conf (null: none, as for tests of other files).
   */
  public RecoveryConfig(Path dataDir, ServerTls tls, LocalAccess localAccess) {
    this.dataDir = dataDir;
    this.tls = tls;
    this.localAccess = localAccess;
  }

  /** The CA file a standby's walreceiver verifies its upstream with (in the data dir; null without TLS files). */
  public Path standbyRootCert() {
    return tls == null || tls.ca() == null ? null : dataDir.resolve(ServerTls.CA_FILE);
  }

  /**
   * What a standby's walreceiver uses towards its upstream: the CA file, and as client certificate the one its own
   * PostgreSQL serves with (the copies in the data dir, which PostgreSQL's OS user owns; a libpq key must be).
   */
  public UpstreamTls standbyTls() {
    return tls == null ? UpstreamTls.NONE
        : new UpstreamTls(standbyRootCert(), dataDir.resolve(ServerTls.CERT_FILE), dataDir.resolve(ServerTls.KEY_FILE));
  }

  /**
   * libpq conninfo for primary_conninfo: host, port, user, application_name, passfile (never a password), dbname
   * when given, and the upstream's sslmode (with {@code sslRootCert} for verify-ca/verify-full). Only options every
   * libpq from 10 on accepts.
   */
  public static String conninfo(Upstream u, String applicationName, Path passfile) {
    return conninfo(u, applicationName, passfile, UpstreamTls.NONE);
  }

  public static String conninfo(Upstream u, String applicationName, Path passfile, Path sslRootCert) {
    return conninfo(u, applicationName, passfile, new UpstreamTls(sslRootCert, null, null));
  }

  /** With {@code tls}: sslmode, sslrootcert for verify-*, and sslcert/sslkey when the upstream wants a client certificate. */
  public static String conninfo(Upstream u, String applicationName, Path passfile, UpstreamTls tls) {
    List<String> parts = new ArrayList<>();
    parts.add("host=" + quoteConninfo(u.getHost()));
    parts.add("port=" + u.getPort());
    parts.add("user=" + quoteConninfo(u.getUser()));
    String app = u.getApplicationName().isEmpty() ? applicationName : u.getApplicationName();
    parts.add("application_name=" + quoteConninfo(app));
    String pf = !u.getPasswordFile().isEmpty() ? u.getPasswordFile() : passfile == null ? "" : passfile.toString();
    if (!pf.isEmpty()) {
      parts.add("passfile=" + quoteConninfo(pf));
    }
    if (!u.getDbname().isEmpty()) {
      parts.add("dbname=" + quoteConninfo(u.getDbname()));
    }
    tls.params(u).forEach((k, v) -> parts.add(k + "=" + quoteConninfo(v)));
    return String.join(" ", parts);
  }

  static String quoteConninfo(String v) {
    if (!v.isEmpty() && v.chars().noneMatch(c -> c == ' ' || c == '\'' || c == '\\')) {
      return v;
    }
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  static String quoteConf(String v) {
    return SqlQuote.literal(v);
  }

  /**
   * Writes settings (and, for a standby, the recovery config) for a server of major version {@code major}.
   * Returns true when any file changed (a running server then needs a restart to use them).
   */
  public boolean apply(int major, Map<String, String> settings, Optional<Standby> standby) throws IOException {
    Map<String, String> managed = new LinkedHashMap<>(settings);
    boolean changed = false;
    if (tls != null) {
      changed |= tls.install(dataDir);
      managed.putAll(tls.settings());
    }
    if (major >= 12) {
      standby.ifPresent(s -> managed.putAll(s.parameters()));
      changed |= standby.isPresent() ? ConfigFiles.writeIfChanged(dataDir.resolve("standby.signal"), "")
          : false;
    } else if (standby.isPresent()) {
      StringBuilder rc = new StringBuilder("# written by pgferry-agent\nstandby_mode = 'on'\n");
      standby.get().parameters().forEach((k, v) -> rc.append(k).append(" = ").append(quoteConf(v)).append('\n'));
      changed |= ConfigFiles.writeIfChanged(dataDir.resolve("recovery.conf"), rc.toString());
    }
    StringBuilder conf = new StringBuilder("# pgferry-agent owns this file and rewrites it; put your settings in postgresql.conf\n");
    managed.forEach((k, v) -> conf.append(k).append(" = ").append(quoteConf(v)).append('\n'));
    changed |= ConfigFiles.writeIfChanged(dataDir.resolve(MANAGED_FILE), conf.toString());
    Path pgConf = dataDir.resolve("postgresql.conf");
    String text = ConfigFiles.read(pgConf);
    changed |= ConfigFiles.writeIfChanged(pgConf, ManagedBlock.apply(text,
        List.of("include_if_exists = '" + MANAGED_FILE + "'"), ManagedBlock.Position.BOTTOM));
    return changed;
  }

  /** Whether the data dir is set up to start as a standby. */
  public boolean isStandbyConfigured(int major) {
    return Files.exists(dataDir.resolve(major >= 12 ? "standby.signal" : "recovery.conf"));
  }

  /**
   * Managed pg_hba entries at the top of pg_hba.conf (the agent's local peer line first), and the agent's ident map in
   * pg_ident.conf. Returns true when a file changed (reload needed).
   */
  public boolean applyHba(List<HbaRule> rules) throws IOException {
    Path hba = dataDir.resolve("pg_hba.conf");
    String text = ConfigFiles.read(hba);
    if (rules.isEmpty() && localAccess == null && !ManagedBlock.present(text)) {
      return false;
    }
    List<String> lines = new ArrayList<>();
    boolean changed = false;
    String superuser = null;
    List<LocalAccess.CertLogin> certLogins = new ArrayList<>();
    if (localAccess != null) {
      superuser = superuser();
      lines.add(LocalAccess.HBA_LINE);
      lines.add(LocalAccess.HBA_REPLICATION_LINE);
    }
    for (HbaRule r : rules) {
      if (!r.getClientCn().isEmpty()) {
        if (superuser == null) {
          throw new IOException("a certificate rule for " + r.getClientCn() + " needs the agent's local access (no ident map here)");
        }
        // the certificate's CN may log in as the rule's role only (map pgferry-cert): the bootstrap superuser when the
        // rule names none, else the role it names (the controller's least-privilege role), for what the rule names
        String role = r.getUser().isEmpty() ? superuser : r.getUser();
        lines.add(String.join(" ", r.getType(), r.getDatabase(), LocalAccess.identToken(role), r.getAddress(), "cert",
            "map=" + LocalAccess.CERT_MAP));
        certLogins.add(new LocalAccess.CertLogin(r.getClientCn(), role));
      } else {
        lines.add(String.join(" ", r.getType(), r.getDatabase(), r.getUser(), r.getAddress(), r.getMethod()));
      }
    }
    if (localAccess != null) {
      Path ident = dataDir.resolve("pg_ident.conf");
      changed |= ConfigFiles.writeIfChanged(ident, ManagedBlock.apply(ConfigFiles.read(ident),
          localAccess.identLines(superuser, certLogins), ManagedBlock.Position.TOP));
    }
    changed |= ConfigFiles.writeIfChanged(hba, ManagedBlock.apply(text, lines, ManagedBlock.Position.TOP));
    return changed;
  }

  private String superuser() throws IOException {
    try {
      return localAccess.superuser();
    } catch (SQLException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
