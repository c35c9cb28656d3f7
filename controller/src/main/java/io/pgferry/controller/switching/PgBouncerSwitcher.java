package io.pgferry.controller.switching;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.Secrets;
import io.pgferry.common.pg.SqlQuote;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Switches the app through PgBouncer (transaction pool mode): per-database PAUSE (clients queue, they do not fail)
 * -> rewrite that alias's [databases] line -> RELOAD -> RESUME. PgBouncer 1.18 traps handled here:
 * <ul>
 *   <li>A PAUSE waits for every transaction holding a server connection. It is bounded by {@code pauseTimeout}: on
 *       timeout the waiting admin connection is closed first and PgBouncer is seen to have dropped it, only then
 *       RESUME is sent (a RESUME while a PAUSE still waits makes that PAUSE hang forever, pgbouncer#715; closing
 *       the waiting client does not lift the pause, so the RESUME is still needed). It never stays paused.</li>
 *   <li>A global PAUSE does not show in SHOW DATABASES.paused (#557) and SHOW STATE is 1.19+: only per-database
 *       PAUSE is used, and read back there.</li>
 *   <li>A repeated PAUSE says nothing about the drain: when the database is already paused (a resumed run), the
 *       drain is checked in SHOW POOLS (no server connection in use).</li>
 *   <li>The admin console speaks only the simple protocol and refuses pgjdbc's login (see {@link ConsoleConnection}).</li>
 * </ul>
 * An interrupt ends every wait; the RESUME that undoes a PAUSE still runs (bounded), then the interrupt is restored
 * and the call fails with a {@link SwitchException}.
 */
public final class PgBouncerSwitcher implements AppSwitcher {
  private static final Logger LOG = Logger.getLogger(PgBouncerSwitcher.class.getName());
  private static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration DROP_WAIT = Duration.ofSeconds(5);
  private static final String PAUSE_TAG = "pgferry-pause-";

  private final SwitchSettings.PgBouncer settings;

  public PgBouncerSwitcher(SwitchSettings.PgBouncer settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "pgbouncer";
  }

  @Override
  public Optional<AppSwitcher> queueingClients(Duration bound) {
    return Optional.of(new PgBouncerSwitcher(settings.withPauseTimeout(bound)));
  }

  private String db() {
    return settings.database();
  }

  private String where() {
    return "pgbouncer " + settings.adminHost() + ":" + settings.adminPort() + " database " + db();
  }

  private PgBouncerConsole console(String applicationName) throws IOException {
    return PgBouncerConsole.connect(settings.adminHost(), settings.adminPort(), settings.adminUser(),
        Secrets.resolve(settings.adminPasswordRef(), "pgbouncer admin password"), applicationName, CONSOLE_TIMEOUT);
  }

  @Override
  public void blockWrites() throws SwitchException {
    try (PgBouncerConsole control = console("pgferry-control")) {
      if (control.paused(db())) {
        awaitDrainedOrResume(control);
        LOG.info(where() + ": already paused and drained");
        return;
      }
      pause(control);
      LOG.info(where() + ": paused, no server connection in use");
    } catch (IOException e) {
      throw new SwitchException(where() + ": blocking writes failed: " + e.getMessage() + "; " + stateAfterFailure(), e);
    }
  }

  /** PAUSE on its own connection, bounded; on timeout: drop that connection, see it gone, RESUME, throw. */
  private void pause(PgBouncerConsole control) throws IOException, SwitchException {
    String tag = PAUSE_TAG + UUID.randomUUID().toString().substring(0, 8);
    PgBouncerConsole pauser = console(tag);
    pauser.noReadTimeout();
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, tag));
    try {
      Future<Void> pending = executor.submit(() -> {
        pauser.pause(db());
        return null;
      });
      try {
        pending.get(settings.pauseTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        String holders = holders(control);
        cancelPause(pauser, executor, pending, control, tag);
        throw new SwitchException(where() + ": PAUSE did not finish within " + settings.pauseTimeout().toMillis() + " ms ("
            + holders + "); the PAUSE was cancelled and the database RESUMEd: the app was not switched and keeps writing"
            + " to " + current(control).redactedUrl() + ". End long transactions (or raise the pause timeout) and retry.");
      } catch (ExecutionException e) {
        pauser.close();
        resume(control);
        throw new SwitchException(where() + ": PAUSE failed: " + e.getCause().getMessage() + "; RESUMEd, nothing switched", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancelPause(pauser, executor, pending, control, tag);
        throw new SwitchException(where() + ": interrupted during PAUSE; RESUMEd, nothing switched", e);
      }
      pauser.close(); // the pause holds without it
      if (!control.paused(db())) {
        resume(control);
        throw new SwitchException(where() + ": PAUSE returned but SHOW DATABASES does not show it paused; RESUMEd");
      }
    } finally {
      pauser.close();
      executor.shutdownNow();
    }
  }

  /**
   * Drops the waiting PAUSE, sees PgBouncer no longer list it, then RESUMEs. A pending interrupt is held back until
   * this is done (bounded by twice DROP_WAIT), or the database would stay paused.
   */
  private void cancelPause(PgBouncerConsole pauser, ExecutorService executor, Future<?> pending, PgBouncerConsole control, String tag)
      throws IOException {
    boolean interrupted = Thread.interrupted();
    pauser.abort();
    try {
      awaitGone(executor, pending, control, tag);
      resume(control);
    } catch (InterruptedException e) {
      interrupted = true;
      throw new IOException("interrupted while cancelling the PAUSE (" + tag + "); RESUME " + PgBouncerConsole.quoteIdent(db())
          + " by hand once it is gone from SHOW CLIENTS", e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** After abort(): the PAUSE thread has returned and PgBouncer no longer lists the pausing admin client. */
  private void awaitGone(ExecutorService executor, Future<?> pending, PgBouncerConsole control, String tag)
      throws IOException, InterruptedException {
    try {
      pending.get(DROP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | CancellationException e) {
      // expected: the socket was closed under it
    }
    executor.shutdownNow();
    try {
      Poll.untilTrue(Deadline.in(DROP_WAIT), Duration.ofMillis(20), "the cancelled PAUSE connection to leave SHOW CLIENTS",
          () -> !control.clientConnected(tag, false));
    } catch (Poll.Timeout e) {
      throw new IOException("the cancelled PAUSE connection (" + tag + ") is still listed in SHOW CLIENTS after "
          + DROP_WAIT.toSeconds() + " s; not sending RESUME while a PAUSE may still wait (pgbouncer#715): send RESUME "
          + PgBouncerConsole.quoteIdent(db()) + " by hand once it is gone");
    }
  }

  /** Already paused (a resumed run): wait until no server connection is in use, else RESUME and fail. */
  private void awaitDrainedOrResume(PgBouncerConsole control) throws IOException, SwitchException {
    try {
      Poll.untilTrue(Deadline.in(settings.pauseTimeout()), Duration.ofMillis(50), "the paused database to drain",
          () -> control.serversInUse(db()) == 0);
    } catch (Poll.Timeout e) {
      String holders = holders(control);
      resume(control);
      throw new SwitchException(where() + ": was paused but not drained within " + settings.pauseTimeout().toMillis() + " ms ("
          + holders + "); RESUMEd, nothing switched");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      resume(control);
      throw new SwitchException(where() + ": interrupted while waiting for the paused database to drain; RESUMEd, nothing switched", e);
    }
  }

  private String holders(PgBouncerConsole control) {
    try {
      return control.activeServers(db()) + " server connection(s) still held by open transactions";
    } catch (IOException e) {
      return "could not read SHOW SERVERS: " + e.getMessage();
    }
  }

  @Override
  public void repoint(DatabaseEndpoint target) throws SwitchException {
    Path ini = settings.iniFile();
    try (PgBouncerConsole control = console("pgferry-control")) {
      String before = Files.readString(ini, StandardCharsets.UTF_8);
      Map<String, String> changes = new LinkedHashMap<>();
      changes.put("host", target.host());
      changes.put("port", String.valueOf(target.port()));
      changes.put("dbname", target.dbname());
      if (target.user() != null) {
        changes.put("user", target.user());
      }
      String password = Secrets.resolve(target.passwordRef(), "target password");
      if (password != null) {
        changes.put("password", password);
      }
      String after;
      try {
        after = PgBouncerIni.withEntry(before, db(), changes);
      } catch (IllegalArgumentException e) {
        throw new SwitchException(where() + ": " + ini + ": " + e.getMessage() + "; nothing changed");
      }
      if (after.equals(before)) {
        LOG.info(where() + ": " + ini + " already points at " + target.redactedUrl());
      } else {
        writeKeepingOwnerAndMode(ini, after);
        LOG.info(where() + ": " + ini + " now points at " + target.redactedUrl());
      }
      control.reload();
      DatabaseEndpoint now = current(control);
      if (!sameTarget(now, target)) {
        throw new SwitchException(where() + ": after RELOAD PgBouncer still points at " + now.redactedUrl() + ", not "
            + target.redactedUrl() + " (is " + ini + " the file it was started with? see its log)");
      }
    } catch (IOException e) {
      throw new SwitchException(where() + ": repoint to " + target.redactedUrl() + " failed: " + Secrets.redact(e.getMessage())
          + "; " + stateAfterFailure(), e);
    }
  }

  private static boolean sameTarget(DatabaseEndpoint now, DatabaseEndpoint target) {
    return now.host().equals(target.host()) && now.port() == target.port() && now.dbname().equals(target.dbname())
        && (target.user() == null || target.user().equals(now.user()));
  }

  /**
   * Atomic replace (temp, fsync, rename) with the old file's mode and owner: PgBouncer re-reads the ini as its
   * own (dropped-privilege) user on RELOAD, and the file may hold passwords.
   */
  private static void writeKeepingOwnerAndMode(Path ini, String text) throws IOException {
    PosixFileAttributes attrs = Files.readAttributes(ini, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Path real = ini.toRealPath();
    AtomicFiles.write(real, text.getBytes(StandardCharsets.UTF_8), attrs.permissions());
    PosixFileAttributeView view = Files.getFileAttributeView(real, PosixFileAttributeView.class);
    PosixFileAttributes now = view.readAttributes();
    if (!now.owner().equals(attrs.owner())) {
      view.setOwner(attrs.owner());
    }
    if (!now.group().equals(attrs.group())) {
      view.setGroup(attrs.group());
    }
  }

  @Override
  public void unblock() throws SwitchException {
    try (PgBouncerConsole control = console("pgferry-control")) {
      resume(control);
    } catch (IOException e) {
      throw new SwitchException(where() + ": RESUME failed: " + e.getMessage() + "; the database may still be paused (clients"
          + " queue until query_wait_timeout): run RESUME " + PgBouncerConsole.quoteIdent(db()) + " on the admin console", e);
    }
  }

  /**
   * RESUME this database; "not paused" counts as done. Verified in SHOW DATABASES. Never while a pgferry PAUSE
   * is still connected (it may be waiting: pgbouncer#715). An undo: a pending interrupt is held back until it is
   * done (bounded by DROP_WAIT).
   */
  private void resume(PgBouncerConsole control) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      Poll.untilTrue(Deadline.in(DROP_WAIT), Duration.ofMillis(20), "pgferry's PAUSE connections to leave SHOW CLIENTS",
          () -> !control.clientConnected(PAUSE_TAG, true));
      control.resume(db());
      if (control.paused(db())) {
        throw new IOException("RESUME returned but SHOW DATABASES still shows " + db() + " paused");
      }
    } catch (Poll.Timeout e) {
      throw new IOException("a pgferry PAUSE connection (" + PAUSE_TAG + "*) is still open on the admin console; not sending"
          + " RESUME while a PAUSE may wait (pgbouncer#715). Is another pgferry switching this PgBouncer?");
    } catch (InterruptedException e) {
      interrupted = true;
      throw new IOException("interrupted before RESUME " + PgBouncerConsole.quoteIdent(db()), e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public DatabaseEndpoint current() throws SwitchException {
    try (PgBouncerConsole control = console("pgferry-control")) {
      return current(control);
    } catch (IOException e) {
      throw new SwitchException(where() + ": SHOW DATABASES failed: " + e.getMessage(), e);
    }
  }

  private DatabaseEndpoint current(PgBouncerConsole control) throws IOException {
    Map<String, String> row = control.database(db());
    return new DatabaseEndpoint(row.get("host"), (int) PgBouncerConsole.parseLong(row.get("port")), row.get("database"),
        row.get("force_user"), null);
  }

  /** Is the database paused right now (SHOW DATABASES)? */
  public boolean paused() throws SwitchException {
    try (PgBouncerConsole control = console("pgferry-control")) {
      return control.paused(db());
    } catch (IOException e) {
      throw new SwitchException(where() + ": SHOW DATABASES failed: " + e.getMessage(), e);
    }
  }

  private String stateAfterFailure() {
    try {
      return paused() ? "the database is still PAUSED (clients queue): call unblock or RESUME " + db() : "the database is not paused";
    } catch (SwitchException e) {
      return "its pause state is unknown (" + e.getMessage() + ")";
    }
  }

  @Override
  public List<String> describeBlock() {
    String admin = settings.adminUser() + "@" + settings.adminHost() + ":" + settings.adminPort() + "/pgbouncer";
    return List.of("on " + admin + ": PAUSE " + db() + " (clients queue; bounded by " + settings.pauseTimeout().toMillis()
        + " ms, then the PAUSE is cancelled and RESUME " + db() + " is sent)");
  }

  @Override
  public List<String> describeRepoint(DatabaseEndpoint target) {
    return List.of("in " + settings.iniFile() + " [databases], set " + db() + " = host=" + target.host() + " port=" + target.port()
        + " dbname=" + target.dbname() + (target.user() == null ? "" : " user=" + target.user())
        + (target.passwordRef() == null ? "" : " password=<" + target.passwordRef() + ">")
        + " (atomic write, other lines untouched); RELOAD; check SHOW DATABASES");
  }

  @Override
  public List<String> describeUnblock() {
    return List.of("RESUME " + db() + "; check SHOW DATABASES.paused = 0");
  }
}
