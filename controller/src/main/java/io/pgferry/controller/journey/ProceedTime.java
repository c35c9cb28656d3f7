package io.pgferry.controller.journey;

import io.pgferry.common.UsageException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;

/**
 * The TIME of `pgferry proceed --at TIME`: an ISO-8601 date-time with its offset ({@code 2026-12-05T03:00:00Z},
 * {@code 2026-12-05T04:00+01:00}), or {@code HH:MM[:SS]} on the clock of the machine running the CLI (its time zone),
 * the next time that comes (today, or tomorrow when it has passed). A time in the past is refused.
 */
public final class ProceedTime {
  public static final String FORMATS = "an ISO-8601 date-time with offset (2026-12-05T03:00:00Z) or HH:MM[:SS] in this"
      + " machine's time zone (the next time it comes)";

  private ProceedTime() {}

  public static Instant parse(String text, Clock clock) {
    String t = text == null ? "" : text.strip();
    Instant now = clock.instant();
    if (t.matches("\\d{1,2}:\\d{2}(:\\d{2})?")) {
      LocalTime time;
      try {
        time = LocalTime.parse(t.length() == 4 || t.length() == 7 ? "0" + t : t);
      } catch (DateTimeParseException e) {
        throw new UsageException("--at " + text + ": not a time of day (" + FORMATS + ")");
      }
      ZonedDateTime today = ZonedDateTime.now(clock).with(time).withNano(0);
      return (today.toInstant().isAfter(now) ? today : today.plusDays(1)).toInstant();
    }
    Instant at;
    try {
      at = OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      throw new UsageException("--at " + text + ": expected " + FORMATS);
    }
    if (!at.isAfter(now)) {
      throw new UsageException("--at " + text + " is in the past (now " + now + "); `pgferry proceed` without --at starts"
          + " the cutover now");
    }
    return at;
  }

  /** The API's form: an ISO-8601 instant with offset (the CLI resolves HH:MM before sending). */
  public static Instant instant(String text) {
    try {
      return OffsetDateTime.parse(text.strip()).toInstant();
    } catch (DateTimeParseException e) {
      throw new UsageException("at=" + text + ": expected an ISO-8601 date-time with offset, e.g. 2026-12-05T03:00:00Z");
    }
  }
}
