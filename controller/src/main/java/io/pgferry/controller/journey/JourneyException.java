package io.pgferry.controller.journey;

/** A step could not do its work; the message says what, against what, and in what state things are left. */
public class JourneyException extends Exception {
  public JourneyException(String message) {
    super(message);
  }

  public JourneyException(String message, Throwable cause) {
    super(message, cause);
  }
}
