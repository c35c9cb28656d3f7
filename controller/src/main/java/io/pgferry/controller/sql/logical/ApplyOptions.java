package io.pgferry.controller.sql.logical;

import io.pgferry.controller.sql.BinaryIo;
import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The subscription options that make T's apply keep up (issue 15, item 5), where PostgreSQL allows them:
 * {@code streaming = parallel} when the subscriber runs 16+ (a large transaction is applied by a parallel worker while
 * it arrives instead of spooled until its commit; a 14/15 publisher streams it and the subscriber applies it as
 * {@code on}), and {@code binary = true} when both sides run 16+ (16 also copies the initial data in binary) and every
 * column type of the subscriber's tables has binary send and receive functions ({@link BinaryIo}: arrays by their
 * element type, domains by their base type).
 * The subscriber's schema is the publisher's (the schema copy), so its columns stand for the publisher's.
 */
public final class ApplyOptions {
  private ApplyOptions() {}

  /** The WITH options for a subscriber of {@code subscriberMajor}; publisherMajor 0: unknown (no binary). */
  static List<String> choose(Connection subscriber, int publisherMajor) throws SQLException {
    int subscriberMajor = Sql.serverMajor(subscriber);
    List<String> with = new ArrayList<>();
    if (subscriberMajor >= 16) {
      with.add("streaming = parallel");
    }
    if (subscriberMajor >= 16 && publisherMajor >= 16 && BinaryIo.typesWithoutInUserTables(subscriber).isEmpty()) {
      with.add("binary = true");
    }
    return with;
  }

  /** For `pgferry plan`: the rule (the versions are read when the step runs). */
  static String describe() {
    return "streaming = parallel when T runs PostgreSQL 16+; binary = true when A and T both run 16+ and every column type of the"
        + " app's tables has binary send/receive (else neither: text format, large transactions spooled until their commit)";
  }
}
