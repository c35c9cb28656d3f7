package io.pgferry.common;

import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per event on stderr, as text or JSON (journald-friendly). Secrets never reach a log: callers log
 * {@link Secrets#redact} forms of connection strings, and every line is redacted again here.
 */
public final class Logging {
  private Logging() {}

  public static void configure(boolean json, Level level) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    // Not ConsoleHandler + setOutputStream: that closes the handler's previous stream, which is System.err itself.
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (isLoggable(r)) {
          System.err.print(getFormatter().format(r));
          System.err.flush();
        }
      }

      @Override
      public void flush() {
        System.err.flush();
      }

      @Override
      public void close() {
        flush();
      }
    };
    handler.setLevel(level);
    handler.setFormatter(json ? new JsonLine() : new TextLine());
    root.addHandler(handler);
    root.setLevel(level);
    // third-party chatter stays at WARNING
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
    Logger.getLogger("io.vertx").setLevel(Level.WARNING);
    Logger.getLogger("software.amazon").setLevel(Level.WARNING);
    Logger.getLogger("org.postgresql").setLevel(Level.WARNING);
  }

  static final class TextLine extends Formatter {
    @Override
    public String format(LogRecord r) {
      String msg = Secrets.redact(formatMessage(r)).replace('\n', ' ');
      String err = r.getThrown() == null ? "" : " (" + Secrets.redact(r.getThrown().toString()) + ")";
      return Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel().getName() + " " + shortName(r.getLoggerName()) + ": " + msg + err + "\n";
    }
  }

  static final class JsonLine extends Formatter {
    @Override
    public String format(LogRecord r) {
      StringBuilder sb = new StringBuilder("{\"ts\":\"").append(Instant.ofEpochMilli(r.getMillis())).append("\",\"level\":\"")
          .append(r.getLevel().getName()).append("\",\"logger\":\"").append(escape(shortName(r.getLoggerName())))
          .append("\",\"msg\":\"").append(escape(Secrets.redact(formatMessage(r)))).append('"');
      if (r.getThrown() != null) {
        sb.append(",\"error\":\"").append(escape(Secrets.redact(r.getThrown().toString()))).append('"');
      }
      return sb.append("}\n").toString();
    }
  }

  private static String shortName(String logger) {
    if (logger == null) {
      return "";
    }
    int dot = logger.lastIndexOf('.');
    return dot < 0 ? logger : logger.substring(dot + 1);
  }

  public static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 8);
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}
