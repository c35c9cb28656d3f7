package io.pgferry.common.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class PgConnectionsTest {
  @Test
  void aPurposeNamesAndBoundsTheSession() {
    PgEndpoint e = new PgEndpoint("db.example", 5433, "appdb", "admin", "pw", Map.of("sslmode", "require"));
    Properties p = PgConnections.properties(e, Purpose.CATCH_UP, e.limits().of(Purpose.CATCH_UP));
    assertEquals("pgferry-catch_up", p.getProperty("ApplicationName"));
    assertEquals("5", p.getProperty("connectTimeout"));
    assertEquals("30", p.getProperty("socketTimeout"));
    assertEquals("require", p.getProperty("sslmode"), "sslmode comes from the endpoint");
    assertEquals("-c default_transaction_read_only=off -c statement_timeout=20000 -c lock_timeout=5000", p.getProperty("options"));
    assertEquals("jdbc:postgresql://db.example:5433/appdb", PgConnections.jdbcUrl(e));
    assertEquals("jdbc:postgresql://[::1]:5432/x", PgConnections.jdbcUrl(new PgEndpoint("::1", 5432, "x", "u", null)));
  }

  @Test
  void everyBoundBelowTheSocketTimeoutSoTheServerSpeaksFirst() {
    for (Purpose purpose : Purpose.values()) {
      Timeouts t = purpose.defaults();
      assertTrue(t.connect().compareTo(Duration.ZERO) > 0, purpose + " waits for a connection at most " + t.connect());
      if (!t.socket().isZero()) {
        assertTrue(t.statement().compareTo(t.socket()) < 0 && t.lock().compareTo(t.socket()) < 0, purpose + ": " + t);
      }
    }
  }

  @Test
  void limitsOverrideOnePurposeAndKeepTheOthers() {
    Timeouts fast = Purpose.CATCH_UP.defaults().with(null, Duration.ofMillis(1500), Duration.ofSeconds(1), null);
    PgEndpoint e = new PgEndpoint("h", 1, "d", "u", null).withLimits(ConnectionLimits.of(Map.of(Purpose.CATCH_UP, fast)));
    Properties p = PgConnections.properties(e, Purpose.CATCH_UP, e.limits().of(Purpose.CATCH_UP));
    assertEquals("2", p.getProperty("socketTimeout"), "pgjdbc counts whole seconds, rounded up");
    assertEquals("5", p.getProperty("connectTimeout"));
    assertTrue(p.getProperty("options").contains("statement_timeout=1000"));
    assertEquals(Purpose.FENCE.defaults(), e.limits().of(Purpose.FENCE));
    assertEquals(e.limits(), e.withUser("x", null).withDatabase("y").withAddress("z", 2).limits(), "derived endpoints keep the limits");
    assertNull(p.getProperty("password"));
  }

  @Test
  void unboundedSessionsKeepTcpKeepalive() {
    Properties p = PgConnections.properties(new PgEndpoint("h", 1, "d", "u", null), Purpose.COPY, Purpose.COPY.defaults());
    assertEquals("0", p.getProperty("socketTimeout"));
    assertEquals("true", p.getProperty("tcpKeepAlive"));
    assertTrue(p.getProperty("options").contains("statement_timeout=0"));
  }

  @Test
  void parsesUrlsAndKeyValueStrings() {
    PgEndpoint u = PgEndpoint.parse("postgres://app:s%40cret@db:6543/shop?sslmode=verify-full");
    assertEquals(new PgEndpoint("db", 6543, "shop", "app", "s@cret", Map.of("sslmode", "verify-full")), u);
    PgEndpoint kv = PgEndpoint.parse("host=db port=6543 dbname=shop user=app password=pw sslmode=require");
    assertEquals(new PgEndpoint("db", 6543, "shop", "app", "pw", Map.of("sslmode", "require")), kv);
    assertNull(PgEndpoint.fromUrl("postgres://db/shop", null).user());
  }

  @Test
  void aSocketTimeoutIsNamed() {
    SQLException timedOut = new SQLException("An I/O error occurred while sending to the backend.", "08006",
        new IOException(new SocketTimeoutException("Read timed out")));
    assertTrue(PgConnections.timeoutCause(timedOut).contains("socket timeout"));
    assertEquals("", PgConnections.timeoutCause(new SQLException("syntax error")));
  }

  @Test
  void quoting() {
    assertEquals("\"a\"\"b\"", SqlQuote.ident("a\"b"));
    assertEquals("'it''s'", SqlQuote.literal("it's"));
  }
}
