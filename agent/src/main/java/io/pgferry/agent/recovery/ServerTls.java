package io.pgferry.agent.recovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The certificate and key the node's PostgreSQL serves TLS with (ssl = on), and the CA it trusts: agent.yaml's
 * postgres.tls, else the agent's link certificates (tls). PostgreSQL refuses a key that its OS user does not own or
 * that others may read, and the agent's files are root's: they are copied into the data directory, 0600, owned like
 * the data directory, under names of pgferry's own (a pg_basebackup copies them; the standby's agent overwrites them
 * with its own).
 */
public record ServerTls(Path cert, Path key, Path ca) {
  public static final String CERT_FILE = "pgferry-server.crt";
  public static final String KEY_FILE = "pgferry-server.key";
  public static final String CA_FILE = "pgferry-ca.crt";

  /** Copies the files into {@code dataDir} when their content differs; true when any changed. */
  public boolean install(Path dataDir) throws IOException {
    boolean changed = ConfigFiles.writeIfChanged(dataDir.resolve(CERT_FILE), read(cert, "cert"));
    changed |= ConfigFiles.writeIfChanged(dataDir.resolve(KEY_FILE), read(key, "key"));
    if (ca != null) {
      changed |= ConfigFiles.writeIfChanged(dataDir.resolve(CA_FILE), read(ca, "ca"));
    }
    return changed;
  }

  /** The server settings that turn TLS on with the installed files (paths relative to the data directory). */
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("ssl", "on");
    s.put("ssl_cert_file", CERT_FILE);
    s.put("ssl_key_file", KEY_FILE);
    if (ca != null) {
      s.put("ssl_ca_file", CA_FILE); // lets pg_hba use the cert method with certificates from pgferry's CA
    }
    return s;
  }

  /**
   * libpq/JDBC keywords for this node as a client of its upstream: {@code sslmode} as the goal asks (empty: none,
   * libpq's prefer), and for verify-ca/verify-full the CA file {@code rootCert} (this agent's CA).
   */
  public static Map<String, String> clientParams(String sslmode, Path rootCert) {
    Map<String, String> p = new LinkedHashMap<>();
    if (sslmode == null || sslmode.isEmpty()) {
      return p;
    }
    String mode = sslmode;
    p.put("sslmode", mode);
    if (mode.startsWith("verify") && rootCert != null) {
      p.put("sslrootcert", rootCert.toString());
    }
    return p;
  }

  private static String read(Path file, String what) throws IOException {
    if (file == null) {
      throw new IOException("postgres TLS: no " + what + " file (agent.yaml postgres.tls." + what + " or tls." + what + ")");
    }
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
