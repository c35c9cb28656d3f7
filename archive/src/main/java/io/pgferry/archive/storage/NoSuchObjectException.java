package io.pgferry.archive.storage;

import java.io.IOException;

/** The key is not in the store. For restore_command this is the normal "not in the archive" answer. */
public class NoSuchObjectException extends IOException {
  public NoSuchObjectException(String key) {
    super("no such object: " + key);
  }
}
