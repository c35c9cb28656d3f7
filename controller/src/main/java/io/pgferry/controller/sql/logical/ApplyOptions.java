package io.pgferry.controller.sql.logical;

import io.pgferry.controller.sql.BinaryIo;
import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
  /**
   * The options a subscription was created with.
   *
   * @param streaming parallel, on or off
   * @param why what kept an option off, or "" when none was
   */
  public record Choice(String streaming, boolean binary, String why) {
    List<String> with() {
      List<String> with = new ArrayList<>();
      if (!"off".equals(streaming)) {
        with.add("streaming = " + streaming);
      }
      if (binary) {
        with.add("binary = true");
      }
      return with;
    }

    /** "streaming=parallel binary=true", "streaming=off binary=false (T runs 15)". */
    public String sentence() {
      return "streaming=" + streaming + " binary=" + binary + (why.isEmpty() ? "" : " (" + why + ")");
    }
  }

  private static final Map<String, String> STREAMING = Map.of("p", "parallel", "t", "on", "true", "on", "f", "off", "false", "off");

  private ApplyOptions() {}

  /** The options for a subscriber given its publisher's major version (0: unknown, so no binary). */
  static Choice choose(Connection subscriber, int publisherMajor) throws SQLException {
    int subscriberMajor = Sql.serverMajor(subscriber);
    if (subscriberMajor < 16) {
      return new Choice("off", false, "T runs " + subscriberMajor);
    }
    if (publisherMajor < 16) {
      return new Choice("parallel", false, publisherMajor == 0 ? "the publisher's version unknown" : "the publisher runs " + publisherMajor);
    }
    List<String> without = BinaryIo.typesWithoutInUserTables(subscriber);
    return new Choice("parallel", without.isEmpty(), without.isEmpty() ? "" : "no binary send/receive: " + String.join(", ", without));
  }

  /** The options of existing subscription {@code name} (pg_subscription; 14+, off before). */
  static Choice read(Connection subscriber, String name) throws SQLException {
    int major = Sql.serverMajor(subscriber);
    if (major < 14) {
      return new Choice("off", false, "T runs " + major);
    }
    Map<String, String> r = Sql.rows(subscriber, "SELECT substream::text AS streaming, subbinary::text AS binary FROM pg_subscription "
        + "WHERE subname = ? AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())", name).get(0);
    return new Choice(STREAMING.getOrDefault(r.get("streaming"), r.get("streaming")), "true".equals(r.get("binary")),
        "as found on the existing subscription");
  }

  /** For `pgferry plan`: which options go with which versions (read when the step runs). */
  static String describe() {
    return "apply options by the versions the step finds (the journal records those used): T on PostgreSQL 16+: streaming = parallel,"
        + " and binary = true when the publisher runs 16+ too and every column type of the app's tables has binary send/receive;"
        + " T on 15 or older: neither (text format; a large transaction spooled on T until its commit)";
  }
}
