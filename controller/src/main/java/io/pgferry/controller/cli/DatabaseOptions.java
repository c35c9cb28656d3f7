package io.pgferry.controller.cli;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import picocli.CommandLine.Option;

/** --source / --target as postgres URLs, or secret references to them (env:NAME, file:PATH). */
public final class DatabaseOptions {
  @Option(names = "--source", required = true, description = "A (pgferry's primary): postgres://user:pw@host:port/db, env:NAME or file:PATH")
  String source;

  @Option(names = "--target", required = true, description = "T (the target): postgres://user:pw@host:port/db, env:NAME or file:PATH")
  String target;

  PgEndpoint source() {
    return endpoint(source, "--source");
  }

  PgEndpoint target() {
    return endpoint(target, "--target");
  }

  private static PgEndpoint endpoint(String ref, String option) {
    String url = Secrets.resolve(ref, option);
    try {
      return PgEndpoint.fromUrl(url);
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + ": " + e.getMessage() + "; give postgres://user:password@host:port/dbname");
    }
  }
}
