package io.pgferry.agent.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.cluster.LocalPostgres;
import io.pgferry.agent.cluster.Observation;
import io.pgferry.agent.recovery.RecoveryConfig;
import io.pgferry.common.pg.Purpose;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.UnknownPasswords;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cluster like a restored Heroku one: its bootstrap superuser is not called postgres (renamed, so the catalog file
 * also holds the old version of its row), it and an app role have passwords nobody tells pgferry, and pg_hba asks
 * every connection for a password. The agent still observes it, over the local socket with peer authentication
 * through the ident map it writes; with the map naming another OS user it cannot.
 */
class PasswordlessLocalAccessTest {
  private static final String SUPERUSER = "Heroku Owner";

  @ParameterizedTest
  @ValueSource(ints = {11, 15, 17})
  void theAgentObservesAClusterWhosePasswordsItIsNeverTold(int major) throws Exception {
    try (Workspace ws = Workspace.create("passwordless-" + major);
         PgCluster pg = PgCluster.init(ws, "a", PgBinaries.forMajor(major), Map.of()).start()) {
      UnknownPasswords.apply(pg, SUPERUSER);

      assertEquals(SUPERUSER, BootstrapSuperuser.read(pg.dataDir()).orElseThrow(), "read from global/1260");
      LocalAccess access = LocalAccess.of(pg.dataDir(), pg.socketDir(), pg.port());
      Observation before = observe(access);
      assertFalse(before.reachable(), "no password, no map: refused");

      assertTrue(new RecoveryConfig(pg.dataDir(), null, access).applyHba(List.of()), "pg_hba and pg_ident written");
      pg.reload();
      Observation after = observe(access);
      assertTrue(after.reachable(), "peer through the map: " + after.error());
      assertEquals(major, after.serverVersionNum() / 10000);
      try (Connection c = access.endpoint("postgres").connect(Purpose.PROBE);
           Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("select current_user, (select oid from pg_roles where rolname = current_user)")) {
        rs.next();
        assertEquals(SUPERUSER, rs.getString(1));
        assertEquals(10, rs.getInt(2), "the bootstrap superuser");
      }

      LocalAccess someoneElse = new LocalAccess(pg.dataDir(), pg.socketDir(), pg.port(), "nobody");
      assertTrue(new RecoveryConfig(pg.dataDir(), null, someoneElse).applyHba(List.of()));
      pg.reload();
      assertFalse(observe(access).reachable(), "the map, not anything else, lets the agent's OS user in");
    }
  }

  private static Observation observe(LocalAccess access) {
    try (LocalPostgres local = new LocalPostgres(access)) {
      return local.observe(System.nanoTime(), true);
    }
  }
}
