package io.pgferry.agent.access;

import io.pgferry.common.pg.PgEndpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * How the agent reaches its own PostgreSQL without any password: over the local Unix socket, with peer
 * authentication, as the cluster's bootstrap superuser. pg_hba.conf's managed block admits local connections through
 * the ident map {@value #MAP}; pg_ident.conf's managed block maps the OS user the agent runs as to that superuser
 * (read from the catalog file, {@link BootstrapSuperuser}), and every other OS user to the role of its own name (what
 * plain peer does). Only processes of that OS user (and root) can present themselves as it on the socket.
 */
public record LocalAccess(Path dataDir, Path socketDir, int port, String agentOsUser) {
  public static final String MAP = "pgferry";
  /**
   * The ident map of certificate logins (pg_hba cert): a client certificate's CN to the bootstrap superuser, or to the
   * role its rule names (the controller's least-privilege role).
   */
  public static final String CERT_MAP = "pgferry-cert";
  /** The pg_hba line (first of the managed block): local sockets, peer, through the map. */
  public static final String HBA_LINE = "local all all peer map=" + MAP;
  /**
   * The second: local replication connections, peer, through the map ({@code all} does not cover replication): the
   * agent's own, holding the initial copy's exported snapshot (Goal.export_snapshot).
   */
  public static final String HBA_REPLICATION_LINE = "local replication all peer map=" + MAP;

  /** For the OS user this JVM runs as. */
  public static LocalAccess of(Path dataDir, Path socketDir, int port) {
    return new LocalAccess(dataDir, socketDir, port, System.getProperty("user.name"));
  }

  /** The bootstrap superuser of the data dir; an SQLException (the caller's error path) when it cannot be read. */
  public String superuser() throws SQLException {
    try {
      return BootstrapSuperuser.read(dataDir).orElseThrow(() -> new SQLException("cannot tell the bootstrap superuser"
          + " (pg_authid oid 10) from " + dataDir.resolve(BootstrapSuperuser.PG_AUTHID_FILE)
          + ": the data dir holds no cluster yet, or its catalog is unreadable"));
    } catch (IOException e) {
      throw new SQLException("reading " + dataDir.resolve(BootstrapSuperuser.PG_AUTHID_FILE) + ": " + e.getMessage(), e);
    }
  }

  /** The local socket endpoint to {@code database}, as the bootstrap superuser (no password). */
  public PgEndpoint endpoint(String database) throws SQLException {
    return new PgEndpoint(socketDir.toString(), port, database, superuser(), null);
  }

  /** A certificate login a pg_hba cert rule admits: the client certificate's CN as {@code role}. */
  public record CertLogin(String commonName, String role) {}

  /**
   * pg_ident.conf lines: map {@value #MAP}, the agent's OS user as {@code superuser} and any other OS user as itself;
   * map {@value #CERT_MAP}, each certificate login (a client certificate CN from pgferry's CA as a role; one CN may
   * have several, each on its own line).
   */
  public List<String> identLines(String superuser, List<CertLogin> certLogins) {
    List<String> lines = new ArrayList<>();
    lines.add(MAP + " " + identToken(agentOsUser) + " " + identToken(superuser));
    lines.add(MAP + " /^(.*)$ \\1");
    new LinkedHashSet<>(certLogins).forEach(l -> lines.add(CERT_MAP + " " + identToken(l.commonName()) + " "
        + identToken(l.role())));
    return lines;
  }

  /**
   * A pg_ident token that means exactly {@code name}: double-quoted, so that no name reads as a keyword (PG 16's all)
   * or a regular expression (a leading /). pg_ident has no escape for a double quote inside one.
   */
  public static String identToken(String name) {
    if (name.isEmpty() || name.chars().anyMatch(c -> c == '"' || c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException("the name '" + name.replaceAll("\\p{Cntrl}", "?")
          + "' cannot be written to pg_ident.conf (empty, a double quote or a control character)");
    }
    return "\"" + name + "\"";
  }
}
