package io.pgferry.controller.plan;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;

/** A database URL given as a secret reference: resolved and parsed, and an error never quotes the value. */
public final class SecretUrl {
  private SecretUrl() {}

  public static PgEndpoint parse(String ref, String what) {
    String resolved = Secrets.resolve(ref, what);
    try {
      return PgEndpoint.parse(resolved);
    } catch (RuntimeException e) { // UsageException, NumberFormatException: their messages may quote the value
      throw new UsageException(what + ": " + (ref.startsWith("env:") || ref.startsWith("file:") ? "the value of " + ref
          : "the value") + " is not a postgres://user@host:port/dbname URL or a key=value connection string");
    }
  }
}
