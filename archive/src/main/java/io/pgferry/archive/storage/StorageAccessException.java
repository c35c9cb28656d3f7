package io.pgferry.archive.storage;

import io.pgferry.common.UsageException;
import java.io.IOException;

/**
 * The store refused us for a reason retrying cannot fix: wrong or expired credentials, no permission, no such
 * bucket. Its cause is a {@link UsageException} with the same message, so a CLI exits 2 with that one line.
 */
public class StorageAccessException extends IOException {
  public StorageAccessException(String message) {
    super(message, new UsageException(message));
  }
}
