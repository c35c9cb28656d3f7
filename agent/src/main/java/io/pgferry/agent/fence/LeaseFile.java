package io.pgferry.agent.fence;

import io.pgferry.common.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PRIMARY's lease and failsafe evidence in the state dir (lease.state: two wall-clock instants), so a restarted
 * agent goes on with what the one before it held instead of fencing at once for holding nothing. Written on every
 * renewal and every change of the evidence; read once at start. The wall clock is used only to carry an instant
 * across the restart (System.nanoTime() does not survive one); a clock stepped forward shortens what is carried.
 */
public final class LeaseFile {
  public static final String NAME = "lease.state";
  private static final Logger LOG = Logger.getLogger(LeaseFile.class.getName());
  private static final Pattern LINE = Pattern.compile("(?m)^(lease_expires_at_unix_ms|standby_evidence_until_unix_ms)=(-?\\d+)$");

  /** What the file held, as System.nanoTime() instants (null: none or already past). */
  public record Held(Long leaseExpiresAtNanos, Long standbyUntilNanos) {
    public static final Held NONE = new Held(null, null);
  }

  private final Path file;

  public LeaseFile(Path stateDir) {
    this.file = stateDir.resolve(NAME);
  }

  public void write(Long leaseExpiresAtNanos, Long standbyUntilNanos, long nowNanos, long nowUnixMs) {
    String text = "lease_expires_at_unix_ms=" + toUnixMs(leaseExpiresAtNanos, nowNanos, nowUnixMs) + "\n"
        + "standby_evidence_until_unix_ms=" + toUnixMs(standbyUntilNanos, nowNanos, nowUnixMs) + "\n";
    try {
      AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      LOG.warning("cannot write " + file + " (a restart of this agent would fence at once): " + e.getMessage());
    }
  }

  public Held read(long nowNanos, long nowUnixMs) {
    if (!Files.exists(file)) {
      return Held.NONE;
    }
    try {
      Matcher m = LINE.matcher(Files.readString(file));
      Long lease = null;
      Long standby = null;
      while (m.find()) {
        Long at = toNanos(Long.parseLong(m.group(2)), nowNanos, nowUnixMs);
        if (m.group(1).startsWith("lease")) {
          lease = at;
        } else {
          standby = at;
        }
      }
      return new Held(lease, standby);
    } catch (IOException | RuntimeException e) {
      LOG.warning("cannot read " + file + ": " + e.getMessage());
      return Held.NONE;
    }
  }

  private static long toUnixMs(Long nanos, long nowNanos, long nowUnixMs) {
    return nanos == null ? -1 : nowUnixMs + (nanos - nowNanos) / 1_000_000;
  }

  private static Long toNanos(long unixMs, long nowNanos, long nowUnixMs) {
    return unixMs < 0 || unixMs <= nowUnixMs ? null : nowNanos + (unixMs - nowUnixMs) * 1_000_000;
  }
}
