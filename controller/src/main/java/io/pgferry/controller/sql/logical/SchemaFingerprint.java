package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;

/**
 * What logical replication depends on in a schema, as sorted text lines: every user table, its columns with
 * types and NOT NULL, its constraints. Taken on A at setup and stored (see {@link #text()}), compared later by
 * {@link SchemaDrift}.
 */
public record SchemaFingerprint(List<String> lines) {
  private static final String SQL = """
      SELECT line FROM (
        SELECT format('%%I.%%I table %%s', n.nspname, c.relname, c.relpersistence) AS line
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND %1$s
        UNION ALL
        SELECT format('%%I.%%I column %%I %%s%%s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                      CASE WHEN a.attnotnull THEN ' not null' ELSE '' END)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND %1$s
        UNION ALL
        SELECT format('%%I.%%I constraint %%I %%s', n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid))
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND con.contype <> 'n' AND %1$s
      ) s ORDER BY line COLLATE "C\"""".formatted(Sql.USER_SCHEMAS);

  public static SchemaFingerprint of(PgEndpoint endpoint) throws SQLException {
    try (Connection c = endpoint.connect(Purpose.PROBE)) {
      c.setReadOnly(true);
      return of(c);
    }
  }

  public static SchemaFingerprint of(Connection c) throws SQLException {
    return new SchemaFingerprint(Sql.rows(c, SQL).stream().map(r -> r.get("line")).toList());
  }

  public static SchemaFingerprint parse(String text) {
    return new SchemaFingerprint(text.isEmpty() ? List.of() : List.of(text.split("\n")));
  }

  public SchemaFingerprint {
    lines = List.copyOf(lines);
  }

  public String text() {
    return String.join("\n", lines);
  }

  public String sha256() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
