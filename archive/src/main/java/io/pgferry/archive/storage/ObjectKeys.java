package io.pgferry.archive.storage;

import java.util.regex.Pattern;

/** Rules every backend applies to keys, so a key that works on one works on all. */
final class ObjectKeys {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._+=@,~-]+");

  private ObjectKeys() {}

  /** A key is '/'-separated, relative, with no empty, "." or ".." segments. */
  static String check(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
      throw new IllegalArgumentException("bad object key '" + key + "': must be a relative path like wal_005/NAME.lzo");
    }
    for (String segment : key.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
        throw new IllegalArgumentException("bad object key '" + key + "': segment '" + segment + "' not allowed");
      }
    }
    return key;
  }
}
