package io.pgferry.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The seed's app schema (seed/seed-app.sql: hstore, serial/bigserial/identity ids, another schema, free-standing
 * sequences, a table without a primary key, a materialized view) with its rows, in one size or another: the e2e
 * journey seeds {@link #small()}, the controller's verifier and logical tests {@link #medium()} (their chunk and row
 * counts are asserted).
 */
public record SeedApp(int users, int events, int invoices, int auditRows) {
  private static final String RESOURCE = "/seed/seed-app.sql";
  private static final Pattern VARIABLE = Pattern.compile(":(users|events|invoices|audit_rows)\\b");

  /** 200 users, 1000 events, 300 invoices (3 line items each), 100 audit_log rows. */
  public static SeedApp small() {
    return new SeedApp(200, 1000, 300, 100);
  }

  /** 500 users, 3000 events, 800 invoices (2400 line items), 300 audit_log rows. */
  public static SeedApp medium() {
    return new SeedApp(500, 3000, 800, 300);
  }

  /** The schema and its rows, one SQL text for a single JDBC execute. */
  public String sql() {
    Map<String, Integer> values = Map.of("users", users, "events", events, "invoices", invoices, "audit_rows", auditRows);
    return raw().lines().map(line -> line.startsWith("--") ? line : fill(line, values))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  /** The DDL without its rows: what an operator copies to T with a pg_dump --schema-only. */
  public static String schemaDdl() {
    String all = raw();
    return all.substring(0, all.indexOf("\nINSERT INTO")).replaceFirst("(?s)(CREATE MATERIALIZED VIEW[^;]*);", "$1 WITH NO DATA;");
  }

  private static String fill(String line, Map<String, Integer> values) {
    Matcher m = VARIABLE.matcher(line);
    return m.replaceAll(r -> String.valueOf(values.get(r.group(1))));
  }

  private static String raw() {
    try (InputStream in = SeedApp.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
