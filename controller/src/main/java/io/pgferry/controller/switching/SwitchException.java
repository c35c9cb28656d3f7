package io.pgferry.controller.switching;

/** A switch step failed; the message says which step, against what, and what state the app is left in. */
public class SwitchException extends Exception {
  public SwitchException(String message) {
    super(message);
  }

  public SwitchException(String message, Throwable cause) {
    super(message, cause);
  }
}
