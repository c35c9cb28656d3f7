package io.pgferry.controller.sql.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.pg.ControllerRole;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The controller's least-privilege role on real PostgreSQL 11, 15 and 17: created once (a second run changes
 * nothing), never a superuser (a role of that name found with SUPERUSER and a password is brought down), and routed
 * by purpose: a probe session is the role and reads what pg_monitor allows (WAL directory, replication and slot
 * views, other roles' sessions), a replication progress session reads the DDL ledger and writes the catch-up message,
 * a superuser-only statement is refused to it, an admin session stays the superuser.
 */
class ControllerRoleSetupTest {
  @ParameterizedTest
  @ValueSource(ints = {11, 15, 17})
  void createdOnceNeverSuperuserAndProbesRunAsIt(int major) throws Exception {
    try (Workspace ws = Workspace.create("controller-role-" + major);
         PgCluster pg = PgCluster.init(ws, "a", PgBinaries.forMajor(major), Map.of("wal_level", "logical")).start()) {
      pg.execute("CREATE DATABASE appdb");
      try (Connection c = pg.connect("appdb"); Statement st = c.createStatement()) { // the DDL ledger ddl_capture made
        st.execute("CREATE SCHEMA pgferry");
        st.execute("CREATE TABLE pgferry.ddl_log (id bigserial PRIMARY KEY, ddl text)");
      }
      if (major == 15) { // a leftover of that name with more than it needs
        pg.execute("CREATE ROLE " + ControllerRole.NAME + " SUPERUSER REPLICATION NOLOGIN PASSWORD 'leftover'");
      }
      PgEndpoint superuser = new PgEndpoint("127.0.0.1", pg.port(), "appdb", "postgres", null);
      ControllerRoleSetup setup = new ControllerRoleSetup(superuser, ControllerRole.NAME, ControllerRole.GRANTED,
          List.of("appdb", "postgres", "no_such_db"));

      ControllerRoleSetup.Result first = setup.run();
      assertEquals(major != 15, first.created(), first.toString());
      assertEquals(major == 15, first.corrected(), first.toString());
      assertTrue(first.granted().contains("pg_monitor"), first.toString());
      assertTrue(first.granted().contains("SELECT on pgferry.ddl_log"), first.toString());
      ControllerRoleSetup.Result second = setup.run();
      assertFalse(second.created() || second.corrected(), "the second run changes nothing: " + second);
      assertEquals(List.of(), second.granted());
      assertEquals("false|false|false|false|true|false", pg.queryValue("SELECT rolsuper || '|' || rolreplication || '|'"
          + " || rolcreaterole || '|' || rolcreatedb || '|' || rolcanlogin || '|' || (rolpassword IS NOT NULL)"
          + " FROM pg_authid WHERE rolname = '" + ControllerRole.NAME + "'"));

      PgEndpoint routed = superuser.withRoles(ControllerRole.routes());
      try (Connection probe = routed.connect(Purpose.PROBE)) {
        assertEquals(ControllerRole.NAME, value(probe, "SELECT current_user"));
        assertEquals("t", value(probe, "SELECT count(*) >= 1 FROM pg_ls_waldir()"), "pg_monitor: the WAL directory");
        value(probe, "SELECT count(*) FROM pg_stat_replication");
        value(probe, "SELECT count(*) FROM pg_replication_slots");
        value(probe, "SELECT pg_database_size(current_database())");
        assertEquals(ControllerRole.NAME, pg.queryValue("SELECT usename FROM pg_stat_activity WHERE application_name = '"
            + Purpose.PROBE.applicationName() + "'"), "pg_stat_activity names the role of the probe session");
        assertEquals("42501", sqlState(probe, "ALTER SYSTEM SET work_mem = '8MB'"), "ALTER SYSTEM is refused to it");
        assertEquals("42501", sqlState(probe, "CREATE ROLE someone"), "CREATE ROLE is refused to it");
        assertEquals("42501", sqlState(probe, "ALTER DATABASE appdb SET default_transaction_read_only = on"),
            "the fence's ALTER DATABASE is refused to it (the fence keeps the superuser)");
      }
      try (Connection lag = routed.connect(Purpose.CATCH_UP)) {
        assertEquals(ControllerRole.NAME, value(lag, "SELECT current_user"));
        assertEquals("0", value(lag, "SELECT count(*) FROM pgferry.ddl_log"), "the replication progress reads the ledger");
        value(lag, "SELECT pg_logical_emit_message(true, 'pgferry', 'catch-up')"); // cutover 2's catch-up target
        value(lag, "SELECT count(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)) FROM pg_replication_slots");
        assertEquals("42501", sqlState(lag, "INSERT INTO pgferry.ddl_log (ddl) VALUES ('x')"), "the ledger is read-only to it");
      }
      try (Connection admin = routed.connect(Purpose.ADMIN)) {
        assertEquals("postgres", value(admin, "SELECT current_user"), "admin work keeps the superuser");
      }
    }
  }

  private static String value(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String sqlState(Connection c, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> {
      try (Statement st = c.createStatement()) {
        st.execute(sql);
      }
    });
    return e.getSQLState();
  }
}
