package io.pgferry.controller.sql.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.verify.KeyRange;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pieces that need no database: names, ranges, drift, what describe() shows. */
class LogicalSqlUnitTest {
  @Test
  void endpointFromUrlKeepsThePasswordOutOfToString() {
    PgEndpoint e = PgEndpoint.fromUrl("postgres://app%40x:p%40ss%20word@db.example:6543/appdb");
    assertEquals(new PgEndpoint("db.example", 6543, "appdb", "app@x", "p@ss word"), e);
    assertEquals("app@x@db.example:6543/appdb", e.toString());
    assertEquals("host='db.example' port='6543' dbname='appdb' user='app@x' password='it\\'s'", e.withUser("app@x", "it's").conninfo(true));
    assertFalse(e.conninfo(false).contains("password"));
    PgEndpoint tls = PgEndpoint.fromUrl("postgresql://u:pw@aurora.example/app?sslmode=verify-full&sslrootcert=/etc/rds-ca.pem");
    assertEquals("host='aurora.example' port='5432' dbname='app' user='u' sslmode='verify-full' sslrootcert='/etc/rds-ca.pem'", tls.conninfo(false));
  }

  @Test
  void tableNames() {
    assertEquals(new TableRef("public", "users"), TableRef.parse("users"));
    assertEquals(new TableRef("billing", "line_items"), TableRef.parse("billing.line_items"));
    assertEquals(new TableRef("we.ird", "Na\"me"), TableRef.parse("\"we.ird\".\"Na\"\"me\""));
    assertEquals("\"we.ird\".\"Na\"\"me\"", new TableRef("we.ird", "Na\"me").sql());
  }

  @Test
  void keyRangesReadLikeIntervals() {
    List<String> pk = List.of("id");
    assertEquals("id <= 100", new KeyRange(pk, null, List.of("100")).toString());
    assertEquals("id in (100, 200]", new KeyRange(pk, List.of("100"), List.of("200")).toString());
    assertEquals("id > 900", new KeyRange(pk, List.of("900"), null).toString());
    assertEquals("(a, b) in ((1, 2), (3, 4)]", new KeyRange(List.of("a", "b"), List.of("1", "2"), List.of("3", "4")).toString());
    assertEquals("whole table", KeyRange.wholeTable().toString());
  }

  @Test
  void driftListsWhatChanged() {
    SchemaFingerprint setup = SchemaFingerprint.parse("public.t column id integer not null\npublic.t table p");
    SchemaFingerprint now = SchemaFingerprint.parse("public.t column id bigint not null\npublic.t table p\npublic.u table p");
    SchemaDrift drift = SchemaDrift.between(setup, now);
    assertEquals(List.of("public.t column id bigint not null", "public.u table p"), drift.added());
    assertEquals(List.of("public.t column id integer not null"), drift.removed());
    assertTrue(drift.blocksCutover());
    assertTrue(SchemaDrift.between(setup, SchemaFingerprint.parse(setup.text())).none());
    assertEquals(setup.sha256(), SchemaFingerprint.parse(setup.text()).sha256());
  }

  @Test
  void subscriptionDescribeHidesThePassword() {
    PgEndpoint t = new PgEndpoint("10.0.0.9", 5432, "app", "postgres", "admin-secret");
    PgEndpoint a = new PgEndpoint("10.0.0.5", 5432, "app", "pgferry_repl", "it's a 'secret' pw");
    String shown = String.join("\n", new Subscription(t, a, "pgferry_sub", "pgferry_sub", "pgferry_pub", true, true).describe());
    assertFalse(shown.contains("secret"), shown);
    assertTrue(shown.contains("CREATE SUBSCRIPTION \"pgferry_sub\" CONNECTION 'host=''10.0.0.5'' port=''5432'' dbname=''app'' user=''pgferry_repl'' "
        + "password=''***''' PUBLICATION \"pgferry_pub\" WITH (copy_data = true, create_slot = true, slot_name = 'pgferry_sub', failover = true)"), shown);
  }

  @Test
  void hbaRuleIsScopedToOneHost() {
    ReplicationRole role = new ReplicationRole(new PgEndpoint("10.0.0.5", 5432, "app", "postgres", null), "pgferry_repl", "x");
    assertEquals("10.0.0.7/32", role.hbaRule("10.0.0.7", null).getAddress());
    assertEquals("fd00::7/128", role.hbaRule("fd00::7", "scram-sha-256").getAddress());
    assertThrows(IllegalArgumentException.class, () -> role.hbaRule("0.0.0.0/0", null));
    assertThrows(IllegalArgumentException.class, () -> role.hbaRule("", null));
  }
}
