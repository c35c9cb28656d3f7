package io.pgferry.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reading secrets from env vars or files, and keeping them out of logs and errors: a message about a secret names
 * its reference ({@code env:NAME}, {@code file:PATH}), never its value or the content of its file.
 */
public final class Secrets {
  /** scheme://user:password@host — the password may hold '@' (the host follows the last one). */
  private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@\\s]*:)(\\S*)(@[^@\\s/?#]*)");
  /** user:password@host or :password@host without a scheme; as in a URL, the host follows the last '@'. */
  private static final Pattern BARE_PASSWORD = Pattern.compile("(^|[\\s'\"=(,<])([^\\s:/@'\"=(,<]*:)([^\\s'\"/]+)(@[\\w.\\-\\[\\]]+)");
  /**
   * password=... in libpq key/value strings (also PGPASSWORD=, sslpassword=), quoted or not. An unquoted value ends
   * at a '"' followed by what follows a JSON string (, } ] space or the end), so a connection string inside a JSON
   * string leaves the JSON valid; a '"' elsewhere, or escaped as \", is part of the password.
   */
  private static final Pattern KV_PASSWORD =
      Pattern.compile("(?i)(password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|(?:\\\\.|[^\\s\"\\\\]|\"(?![,}\\]\\s]|$))+)");
  /** "password": "..." (and "secret...", "...token") in JSON. */
  private static final Pattern JSON_PASSWORD =
      Pattern.compile("(?i)(\"[^\"]*(?:password|secret|token)[^\"]*\"\\s*:\\s*\")((?:[^\"\\\\]|\\\\.)*)(\")");
  private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)([^\\s\"',]+)");
  private static final Pattern PEM_KEY =
      Pattern.compile("-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", Pattern.DOTALL);
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private Secrets() {}

  /**
   * Replaces passwords with ***: in URLs ({@code postgres://u:p@ss@h}, {@code u:p@h}, {@code :p@h}), in key/value
   * strings ({@code password=p}), in JSON ({@code "password": "p"}), bearer tokens; a private key in PEM goes whole.
   */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String s = PEM_KEY.matcher(text).replaceAll("[a $1private key, redacted]");
    s = URL_PASSWORD.matcher(s).replaceAll("$1***$3");
    s = BARE_PASSWORD.matcher(s).replaceAll("$1$2***$4");
    s = KV_PASSWORD.matcher(s).replaceAll("$1***");
    s = JSON_PASSWORD.matcher(s).replaceAll("$1***$3");
    return BEARER.matcher(s).replaceAll("$1***");
  }

  /** {@link #redact} on every value (null stays null). */
  public static Map<String, String> redact(Map<String, String> values) {
    if (values == null) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach((k, v) -> out.put(k, redact(v)));
    return out;
  }

  /**
   * A secret given as {@code env:NAME}, {@code file:/path} or a literal (discouraged: plans may be shared). An unset
   * or empty variable, a missing or unreadable file, or one that group or others may read (anything but 0600 or 0400)
   * is a {@link UsageException} that starts with {@code what} and names the reference, never what it holds.
   */
  public static String resolve(String ref, String what) {
    if (ref == null || ref.isEmpty()) {
      return null;
    }
    if (ref.startsWith("env:")) {
      String name = ref.substring(4);
      String v = System.getenv(name);
      if (v == null) {
        throw new UsageException(what + ": " + ref + " is not set");
      }
      if (v.isEmpty()) {
        throw new UsageException(what + ": " + ref + " is empty");
      }
      return v;
    }
    if (ref.startsWith("file:")) {
      return readFile(Path.of(ref.substring(5)), what + ": " + ref);
    }
    return ref;
  }

  /**
   * The content of a secret file, stripped; refused (a {@link UsageException} starting with {@code what}) when it is
   * missing, not a regular file, readable by group or others, unreadable or empty. The message never holds content.
   */
  public static String readFile(Path file, String what) {
    try {
      checkOwnerOnly(file, what);
      String v = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
      if (v.isEmpty()) {
        throw new UsageException(what + ": the file is empty");
      }
      return v;
    } catch (NoSuchFileException e) {
      throw new UsageException(what + ": no such file");
    } catch (IOException e) {
      throw new UsageException(what + ": cannot read the file (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Refuses a file (a secret, a pgpass) that group or others may read or write: the way libpq treats a pgpass. */
  public static void checkOwnerOnly(Path file, String what) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      throw new UsageException(what + ": not a regular file");
    }
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return; // not a POSIX file system: nothing to check
    }
    Set<PosixFilePermission> loose = EnumSet.copyOf(GROUP_OR_OTHERS);
    loose.retainAll(perms);
    if (!loose.isEmpty()) {
      throw new UsageException(what + ": the file may be read by group or others (" + PosixFilePermissions.toString(perms)
          + "); make it the owner's only: chmod 600 " + file);
    }
  }
}
