package io.pgferry.agent.archive.wal;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The secret the loopback wal-fetch endpoint asks of every request, new at each start of the endpoint: only who can
 * read {@code <state_dir>/wal-fetch.token} (0600, owned by PostgreSQL's OS user, whose restore_command is the client)
 * can make the agent write into the data directory. The file holds one HTTP header line, so curl reads it with
 * {@code -H @file} and the token never appears on a command line.
 */
public final class WalFetchToken {
  public static final String FILE = "wal-fetch.token";
  public static final String HEADER = "X-Pgferry-Wal-Token";

  private final String value;

  private WalFetchToken(String value) {
    this.value = value;
  }

  /** A fresh token written to {@code stateDir}, owned by {@code osUser} (null: left as the agent's own). */
  public static WalFetchToken issue(Path stateDir, String osUser) throws IOException {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    WalFetchToken t = new WalFetchToken(HexFormat.of().formatHex(b));
    Path file = stateDir.resolve(FILE);
    AtomicFiles.write(file, (HEADER + ": " + t.value + "\n").getBytes(StandardCharsets.UTF_8), AtomicFiles.OWNER_ONLY);
    if (osUser != null && !osUser.equals(System.getProperty("user.name"))) {
      Command.of("chown", osUser, file.toString()).runChecked();
    }
    return t;
  }

  /** The token the agent published in {@code stateDir}; empty when there is none to read. */
  public static Optional<String> read(Path stateDir) {
    try {
      String line = Files.readString(stateDir.resolve(FILE), StandardCharsets.UTF_8).trim();
      int colon = line.indexOf(':');
      return colon < 0 ? Optional.empty() : Optional.of(line.substring(colon + 1).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Constant-time comparison with what a request carried (null: no header). */
  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8),
        presented.trim().getBytes(StandardCharsets.UTF_8));
  }
}
