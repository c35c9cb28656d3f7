package io.pgferry.agent.cluster;

import io.pgferry.common.Command;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * pg_basebackup from the goal's upstream. Never with -R: the recovery config is written by pgferry (Debian's
 * pg_basebackup 15 writes conninfo options PG 11 rejects).
 */
public final class PgBaseBackup implements BaseBackupProvider {
  private final ClientTools tools;
  private final String osUser;
  private final Path rootCert;
  private final Path defaultPasswordFile;
  private final AtomicInteger runs = new AtomicInteger();

  public PgBaseBackup(ClientTools tools, String osUser, Path defaultPasswordFile) {
    this(tools, osUser, defaultPasswordFile, null);
  }

  /** {@code rootCert}: the CA file (readable by {@code osUser}) for an upstream sslmode of verify-ca/verify-full. */
  public PgBaseBackup(ClientTools tools, String osUser, Path defaultPasswordFile, Path rootCert) {
    this.rootCert = rootCert;
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
    io.pgferry.agent.recovery.ServerTls.clientParams(u.getSslmode(), rootCert)
        .forEach((k, v) -> cmd.env(k.equals("sslmode") ? "PGSSLMODE" : "PGSSLROOTCERT", v));
    runs.incrementAndGet();
    cmd.runChecked();
  }

  private Optional<Path> passwordFile(Upstream u) {
    if (!u.getPasswordFile().isEmpty()) {
      return Optional.of(Path.of(u.getPasswordFile()));
    }
    return Optional.ofNullable(defaultPasswordFile).filter(Files::exists);
  }
}
