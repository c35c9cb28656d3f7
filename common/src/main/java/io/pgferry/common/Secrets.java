package io.pgferry.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Reading secrets from env vars or files, and keeping them out of logs and errors. */
public final class Secrets {
  private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@\\s]+:)([^@\\s]+)(@)");
  private static final Pattern KV_PASSWORD = Pattern.compile("(?i)(password\\s*=\\s*)('[^']*'|\\S+)");

  private Secrets() {}

  /** Replaces passwords in URLs ({@code postgres://u:p@h}) and conninfo strings ({@code password=p}) with ***. */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String once = URL_PASSWORD.matcher(text).replaceAll("$1***$3");
    return KV_PASSWORD.matcher(once).replaceAll("$1***");
  }

  /** A secret given as {@code env:NAME}, {@code file:/path} or a literal (discouraged: plans may be shared). */
  public static String resolve(String ref, String what) {
    if (ref == null || ref.isEmpty()) {
      return null;
    }
    if (ref.startsWith("env:")) {
      String name = ref.substring(4);
      String v = System.getenv(name);
      if (v == null) {
        throw new UsageException(what + ": environment variable " + name + " is not set");
      }
      return v;
    }
    if (ref.startsWith("file:")) {
      Path p = Path.of(ref.substring(5));
      try {
        return Files.readString(p).strip();
      } catch (IOException e) {
        throw new UsageException(what + ": cannot read secret file " + p + ": " + e.getMessage());
      }
    }
    return ref;
  }
}
