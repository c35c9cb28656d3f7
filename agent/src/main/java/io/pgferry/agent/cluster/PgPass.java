package io.pgferry.agent.cluster;

import io.pgferry.common.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a libpq password file (host:port:database:user:password) the way libpq does, for pgjdbc connections. A file
 * group or others may read is refused with a {@link io.pgferry.common.UsageException} (libpq ignores it with a warning,
 * which leaves a puzzling "password authentication failed").
 */
public final class PgPass {
  private PgPass() {}

  public static Optional<String> lookup(Path file, String host, int port, String database, String user) {
    if (file == null || !Files.isReadable(file)) {
      return Optional.empty();
    }
    try {
      check(file);
      for (String line : Files.readAllLines(file)) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = split(line);
        if (f.length == 5 && match(f[0], host) && match(f[1], String.valueOf(port)) && match(f[2], database) && match(f[3], user)) {
          return Optional.of(f[4]);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** Refuses a password file that group or others may read (see the class comment). */
  public static void check(Path file) throws IOException {
    Secrets.checkOwnerOnly(file, "postgres.password_file " + file);
  }

  private static boolean match(String pattern, String value) {
    return pattern.equals("*") || pattern.equals(value);
  }

  private static String[] split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        cur.append(line.charAt(++i));
      } else if (c == ':' && out.size() < 4) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out.toArray(String[]::new);
  }
}
