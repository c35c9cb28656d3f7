package io.pgferry.testkit;

import java.nio.file.Files;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * Makes a test cluster look like a restored Heroku one to whoever logs in: the bootstrap superuser renamed to
 * {@code superuser} (so the catalog file also holds the old version of its row), it and an app role given random
 * passwords nobody keeps, and pg_hba asking every connection for a password. What pgferry may then use is only what
 * needs no password (docs/security.md, "Access without passwords"). The cluster must run and trust loopback (as
 * {@link PgCluster#init} makes it); it is reloaded at the end.
 */
public final class UnknownPasswords {
  private static final SecureRandom RANDOM = new SecureRandom();

  private UnknownPasswords() {}

  public static void apply(PgCluster pg, String superuser) {
    String quoted = "\"" + superuser.replace("\"", "\"\"") + "\"";
    try {
      pg.execute("create role pgferry_tmp_admin superuser login");
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), "pgferry_tmp_admin", "");
           Statement st = c.createStatement()) {
        st.execute("alter role postgres rename to " + quoted);
        st.execute("alter role " + quoted + " password '" + secret() + "'");
        st.execute("create role app login password '" + secret() + "'");
      }
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), superuser, "");
           Statement st = c.createStatement()) {
        st.execute("drop role pgferry_tmp_admin");
        st.execute("checkpoint"); // the catalog file on disk holds the rename, as a restored backup's files do
      }
      // every connection needs a password (md5 also takes SCRAM verifiers)
      Files.writeString(pg.dataDir().resolve("pg_hba.conf"), """
          local all all md5
          host all all 127.0.0.1/32 md5
          host replication all 127.0.0.1/32 md5
          """);
    } catch (SQLException e) {
      throw new IllegalStateException(pg.name() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    pg.reload();
  }

  private static String secret() {
    byte[] b = new byte[18];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
