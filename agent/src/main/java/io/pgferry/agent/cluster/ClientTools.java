package io.pgferry.agent.cluster;

import io.pgferry.common.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where PostgreSQL client programs come from: the agent's bin_dir first, then Debian's 15 (whose pg_basebackup
 * backs up servers up to 15, 11 included). Zonky's server-only binaries have no client tools.
 */
public final class ClientTools {
  public static final Path DEBIAN_15 = Path.of("/usr/lib/postgresql/15/bin");
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

  public record Tool(Path path, int major) {}

  private final List<Path> searchPath;

  public ClientTools(Path binDir) {
    this.searchPath = binDir.equals(DEBIAN_15) ? List.of(binDir) : List.of(binDir, DEBIAN_15);
  }

  public List<Path> searchPath() {
    return searchPath;
  }

  /** The first executable {@code name} on the search path, with its major version (from --version). */
  public Optional<Tool> find(String name) {
    for (Path dir : searchPath) {
      Path p = dir.resolve(name);
      if (Files.isExecutable(p)) {
        Command.Result r = Command.of(p.toString(), "--version").run();
        Matcher m = VERSION.matcher(r.stdout());
        if (r.ok() && m.find()) {
          return Optional.of(new Tool(p, Integer.parseInt(m.group(1))));
        }
      }
    }
    return Optional.empty();
  }
}
