package io.pgferry.common;

/**
 * Bad input from the person running pgferry: a config file, an argument, a directory that is not what it should
 * be. The message says what was wrong, where, and what to do; CLIs print it on one line and exit with code 2.
 */
public class UsageException extends RuntimeException {
  public static final int EXIT_CODE = 2;

  public UsageException(String message) {
    super(message);
  }

  public UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
