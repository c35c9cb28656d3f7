package io.pgferry.agent.cluster;

import io.pgferry.agent.recovery.UpstreamTls;
import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Command;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Upstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * pg_basebackup from the goal's upstream. Never with -R: the recovery config is written by pgferry (Debian's
 * pg_basebackup 15 writes conninfo options PG 11 rejects).
 */
public final class PgBaseBackup implements BaseBackupProvider {
  private final ClientTools tools;
  private final String osUser;
  private final UpstreamTls tls;
  private final Path defaultPasswordFile;
  private final AtomicInteger runs = new AtomicInteger();

  public PgBaseBackup(ClientTools tools, String osUser, Path defaultPasswordFile) {
    this(tools, osUser, defaultPasswordFile, UpstreamTls.NONE);
  }

  /**
   * {@code tls}: the CA file (readable by {@code osUser}) for an upstream sslmode of verify-ca/verify-full, and the
   * agent's certificate and key for an upstream that wants a client certificate.
   */
  public PgBaseBackup(ClientTools tools, String osUser, Path defaultPasswordFile, UpstreamTls tls) {
    this.tls = tls;
    this.tools = tools;
    this.osUser = osUser;
    this.defaultPasswordFile = defaultPasswordFile;
  }

  @Override
  public BaseBackupMethod method() {
    return BaseBackupMethod.PG_BASEBACKUP;
  }

  @Override
  public boolean supports(Goal goal, int upstreamMajor) {
    return tools.find("pg_basebackup").map(ClientTools.Tool::major).filter(m -> m >= upstreamMajor).isPresent();
  }

  @Override
  public String describe(Goal goal) {
    return "pg_basebackup from " + goal.getUpstream().getHost() + ":" + goal.getUpstream().getPort();
  }

  /** How many times pg_basebackup ran in this process (tests prove a resumed agent does not run it twice). */
  public int runs() {
    return runs.get();
  }

  @Override
  public void fetchInto(Path target, Goal goal) {
    Upstream u = goal.getUpstream();
    ClientTools.Tool tool = tools.find("pg_basebackup").orElseThrow(() ->
        new IllegalStateException("no pg_basebackup found (looked in " + tools.searchPath() + ")"));
    List<String> argv = new ArrayList<>(List.of(tool.path().toString(), "-D", target.toString(), "-h", u.getHost(),
        "-p", String.valueOf(u.getPort()), "-U", u.getUser(), "-X", "stream", "-c", "fast", "-w"));
    if (!u.getSlotName().isEmpty()) {
      argv.addAll(List.of("-S", u.getSlotName()));
    }
    Command cmd = Command.of(argv).as(osUser).timeout(Duration.ofHours(24)).env("PGAPPNAME", "pgferry-basebackup");
    passwordFile(u).ifPresent(f -> cmd.env("PGPASSFILE", f.toString()));
    List<Path> copies = new ArrayList<>();
    try {
      Map<String, String> params = new LinkedHashMap<>(tls.params(u));
      // pg_basebackup runs as the OS user, and the agent's TLS files may be root's only (libpq also takes a key only
      // from a file its user owns, 0600): it gets copies of its own beside the target, removed afterwards
      for (String file : List.of("sslkey", "sslcert", "sslrootcert")) {
        if (params.containsKey(file)) {
          Path copy = target.resolveSibling("." + target.getFileName() + "." + file);
          copies.add(copy);
          AtomicFiles.write(copy, Files.readAllBytes(Path.of(params.get(file))), AtomicFiles.OWNER_ONLY);
          Command.of("chown", osUser, copy.toString()).runChecked();
          params.put(file, copy.toString());
        }
      }
      params.forEach((k, v) -> cmd.env("PG" + k.toUpperCase(Locale.ROOT), v));
      runs.incrementAndGet();
      cmd.runChecked();
    } catch (IOException e) {
      throw new UncheckedIOException("copying the TLS files for pg_basebackup: " + e.getMessage(), e);
    } finally {
      for (Path copy : copies) {
        try {
          Files.deleteIfExists(copy);
        } catch (IOException ignored) {
          // a copy left behind is 0600 and the OS user's; the next run overwrites it
        }
      }
    }
  }

  private Optional<Path> passwordFile(Upstream u) {
    if (!u.getPasswordFile().isEmpty()) {
      return Optional.of(Path.of(u.getPasswordFile()));
    }
    return Optional.ofNullable(defaultPasswordFile).filter(Files::exists);
  }
}
