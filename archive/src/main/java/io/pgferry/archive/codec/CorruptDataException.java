package io.pgferry.archive.codec;

import java.io.IOException;

/** Checksum mismatch or malformed framing: the data must never be used. */
public class CorruptDataException extends IOException {
  public CorruptDataException(String message) {
    super(message);
  }

  public CorruptDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
