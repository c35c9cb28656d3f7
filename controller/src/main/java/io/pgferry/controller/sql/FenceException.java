package io.pgferry.controller.sql;

/** The database fence could not be put in place, confirmed, or lifted; the message says what state it left. */
public class FenceException extends Exception {
  public FenceException(String message) {
    super(message);
  }

  public FenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
