package io.pgferry.controller.switching;

import io.pgferry.common.Command;
import io.pgferry.common.Secrets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Switches the app with the user's own hooks (shell commands). The hooks must be idempotent like every step.
 * Each runs with {@code /bin/sh -c}, a timeout, and its exit code checked; the target travels in the environment
 * (PGFERRY_TARGET_URL with the password, and its parts), never on the command line where {@code ps} would show it.
 */
public final class CommandSwitcher implements AppSwitcher {
  private static final Logger LOG = Logger.getLogger(CommandSwitcher.class.getName());

  /** The steps, as passed in PGFERRY_STEP. */
  enum Step { BLOCK, REPOINT, UNBLOCK, CURRENT }

  private final SwitchSettings.Command settings;

  public CommandSwitcher(SwitchSettings.Command settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "command";
  }

  @Override
  public void blockWrites() throws SwitchException {
    try {
      run(Step.BLOCK, settings.block(), null);
    } catch (SwitchException e) {
      try {
        run(Step.UNBLOCK, settings.unblock(), null);
      } catch (SwitchException undo) {
        throw new SwitchException(e.getMessage() + "; the unblock hook then failed too: " + undo.getMessage()
            + " - writes may still be blocked", e);
      }
      throw new SwitchException(e.getMessage() + "; the unblock hook ran: writes are not blocked", e);
    }
  }

  @Override
  public void repoint(DatabaseEndpoint target) throws SwitchException {
    run(Step.REPOINT, settings.repoint(), target);
  }

  @Override
  public void unblock() throws SwitchException {
    run(Step.UNBLOCK, settings.unblock(), null);
  }

  @Override
  public DatabaseEndpoint current() throws SwitchException {
    if (blank(settings.current())) {
      throw new SwitchException("command switcher: no 'current' hook configured, so the app's database cannot be read back");
    }
    String out = run(Step.CURRENT, settings.current(), null).strip();
    String url = out.lines().reduce((a, b) -> b).orElse("");
    try {
      return DatabaseEndpoint.fromUrl(url);
    } catch (IllegalArgumentException e) {
      throw new SwitchException("command switcher: the 'current' hook printed " + Secrets.redact(url)
          + ", not a postgres://user@host:port/dbname URL");
    }
  }

  /** Runs one hook; returns its stdout. A blank hook is a no-op. */
  private String run(Step step, String hook, DatabaseEndpoint target) throws SwitchException {
    if (blank(hook)) {
      LOG.info("command switcher: no " + step.name().toLowerCase() + " hook, skipped");
      return "";
    }
    Command cmd = Command.of("/bin/sh", "-c", hook).timeout(settings.timeout()).env("PGFERRY_STEP", step.name().toLowerCase());
    settings.env().forEach(cmd::env);
    if (target != null) {
      cmd.env("PGFERRY_TARGET_URL", target.url(Secrets.resolve(target.passwordRef(), "target password")))
          .env("PGFERRY_TARGET_HOST", target.host())
          .env("PGFERRY_TARGET_PORT", String.valueOf(target.port()))
          .env("PGFERRY_TARGET_DBNAME", target.dbname())
          .env("PGFERRY_TARGET_USER", target.user() == null ? "" : target.user());
    }
    Command.Result r;
    try {
      r = cmd.run();
    } catch (RuntimeException e) {
      throw new SwitchException("command switcher: " + step.name().toLowerCase() + " hook could not start: " + e.getMessage(), e);
    }
    if (!r.ok()) {
      String why = r.exitCode() == -1 ? "timed out after " + settings.timeout().toSeconds() + " s" : "exited " + r.exitCode();
      String tail = tail(r.stderr().isBlank() ? r.stdout() : r.stderr());
      throw new SwitchException("command switcher: " + step.name().toLowerCase() + " hook `" + Secrets.redact(hook) + "` " + why
          + (tail.isEmpty() ? "" : ": " + Secrets.redact(tail)));
    }
    LOG.info("command switcher: " + step.name().toLowerCase() + " hook done");
    return r.stdout();
  }

  @Override
  public List<String> describeBlock() {
    return List.of("sh -c " + show(settings.block()) + " (on failure: sh -c " + show(settings.unblock()) + ")");
  }

  @Override
  public List<String> describeRepoint(DatabaseEndpoint target) {
    return List.of("sh -c " + show(settings.repoint()) + " with PGFERRY_TARGET_URL=" + target.redactedUrl()
        + " (password from " + (target.passwordRef() == null ? "nowhere" : target.passwordRef()) + "), PGFERRY_TARGET_HOST/PORT/DBNAME/USER",
        "check: sh -c " + show(settings.current()) + " must print " + target.redactedUrl());
  }

  @Override
  public List<String> describeUnblock() {
    return List.of("sh -c " + show(settings.unblock()));
  }

  private static String show(String hook) {
    return blank(hook) ? "(none)" : "'" + Secrets.redact(hook) + "'";
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String tail(String text) {
    String t = text.strip();
    return t.length() > 500 ? "..." + t.substring(t.length() - 500) : t;
  }
}
