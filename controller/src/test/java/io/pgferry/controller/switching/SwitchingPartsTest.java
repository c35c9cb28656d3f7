package io.pgferry.controller.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure pieces: the pgbouncer.ini edit and postgres:// URLs. */
class SwitchingPartsTest {

  @Test
  void pgbouncerIniEditTouchesOnlyOneLine() {
    String ini = "; top comment\n[databases]\nother = host=a port=1 dbname=o\n  app =host=old port=5432 dbname=shop pool_size=7 password='x y'\n"
        + "\n[pgbouncer]\nlisten_port = 6432\napp = not-a-database\n";
    String out = PgBouncerIni.withEntry(ini, "app", new LinkedHashMap<>(Map.of("host", "new", "port", "5433")));
    assertEquals(ini.replace("  app =host=old port=5432 dbname=shop pool_size=7 password='x y'",
        "  app = host=new port=5433 dbname=shop pool_size=7 password='x y'"), out);
    assertEquals("new", PgBouncerIni.entry(out, "app").orElseThrow().get("host"));
    assertEquals("x y", PgBouncerIni.entry(out, "app").orElseThrow().get("password"));
    assertThrows(IllegalArgumentException.class, () -> PgBouncerIni.withEntry(ini, "missing", Map.of("host", "h")));
    assertFalse(PgBouncerIni.entry(ini, "listen_port").isPresent(), "only [databases] counts");
  }

  @Test
  void postgresUrlsRoundTrip() {
    DatabaseEndpoint e = new DatabaseEndpoint("db.example.com", 6543, "my db", "u:1", null);
    String url = e.url("p/w@:");
    assertEquals(e, DatabaseEndpoint.fromUrl(url));
    assertThrows(IllegalArgumentException.class, () -> DatabaseEndpoint.fromUrl("mysql://x/y"));
  }
}
