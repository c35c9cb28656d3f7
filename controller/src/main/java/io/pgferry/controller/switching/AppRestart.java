package io.pgferry.controller.switching;

import io.pgferry.common.Command;
import io.pgferry.common.Secrets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The plan's {@code switch.app_restart}: a command ({@code /bin/sh -c}) that restarts or reconnects the app right
 * after cutover 2's repoint, so clients that cache type OIDs look up the target's. It runs while writes are still
 * blocked; its time adds to the write gap. Past the point of no return nothing undoes the cutover, so a failed
 * restart is reported (result, journal) and the cutover goes on: the writes belong on the target either way.
 */
public final class AppRestart {
  public record Result(boolean ok, int exitCode, double seconds, String output) {
    public String sentence() {
      String took = String.format(Locale.ROOT, "%.2f s", seconds);
      return ok ? "the app restarted (switch.app_restart, " + took + ")"
          : "switch.app_restart FAILED (exit " + exitCode + " after " + took + "): " + output
              + "; the app may misread types until it is restarted by hand";
    }
  }

  private final String command;
  private final Duration timeout;

  public AppRestart(String command, Duration timeout) {
    this.command = command;
    this.timeout = timeout;
  }

  public List<String> describe() {
    return List.of("sh -c " + command + "  -- switch.app_restart, timeout " + timeout.toSeconds() + " s, PGFERRY_STEP="
        + "app_restart; a failure is reported and the cutover goes on");
  }

  public Result run() {
    long start = System.nanoTime();
    Command.Result r = Command.of("/bin/sh", "-c", command).timeout(timeout).env("PGFERRY_STEP", "app_restart").run();
    double seconds = (System.nanoTime() - start) / 1e9;
    String out = (r.stderr().isBlank() ? r.stdout() : r.stderr()).strip();
    if (out.length() > 400) {
      out = out.substring(out.length() - 400);
    }
    return new Result(r.ok(), r.exitCode(), seconds, Secrets.redact(out));
  }
}
