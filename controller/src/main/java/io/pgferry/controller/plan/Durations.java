package io.pgferry.controller.plan;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written in config files: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}. */
public final class Durations {
  private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

  private Durations() {}

  public static Duration parse(String text) {
    Matcher m = FORM.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 500ms, 30s, 5m or 2h");
    }
    try {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
      d.toMillis(); // every user of a duration counts in ms: refuse what does not fit
      return d;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("'" + text.trim() + "' is too long a duration (the longest is "
          + Long.MAX_VALUE / 3_600_000 + "h)");
    }
  }

  /** The shortest exact form: 90s stays 90s, 120s becomes 2m. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
