package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.roles.ControllerRoleSetup;
import java.sql.Connection;
import java.util.List;

/**
 * Records the app's DDL on the publisher (A, or B after a failover: B is a physical copy, so it has the same trigger)
 * in {@code pgferry.ddl_log}, a table of the FOR ALL TABLES publication: each statement travels to T in commit order
 * with the rows around it, where {@link DdlReplay} runs it. An event trigger at ddl_command_end stores the statement
 * text ({@code current_query()}), the role and search_path it ran under; it skips pgferry's own sessions
 * (application_name pgferry-*), pgferry's schema, temporary objects and REFRESH MATERIALIZED VIEW (cutover 2
 * refreshes them). A query string holding several DDL statements is stored once (one row per transaction and text).
 * A permanent table created without a primary key gets REPLICA IDENTITY FULL in the same transaction (as
 * {@link ReplicaIdentityFull} does at setup: the publication would refuse its UPDATE/DELETE on A otherwise), recorded
 * as its own statement so T's copy has it too (reverse replication publishes from T).
 * Needs a superuser (event triggers); every statement is CREATE ... IF NOT EXISTS / OR REPLACE or guarded.
 */
public final class DdlCapture implements SqlAction<Boolean> {
  public static final String SCHEMA = "pgferry";
  static final String NOTE_TRIGGER = "pgferry_ddl_1_note";
  static final String TRIGGER = "pgferry_ddl_2_record";

  static final String LOG_TABLE = """
      CREATE TABLE IF NOT EXISTS pgferry.ddl_log (id bigserial PRIMARY KEY, ddl text NOT NULL, role name NOT NULL, \
      search_path text NOT NULL, tag text NOT NULL, xid bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())""";
  /** T's record of what it ran; created on A too, so reverse replication (T -> A, FOR ALL TABLES) finds it there. */
  static final String APPLIED_TABLE = """
      CREATE TABLE IF NOT EXISTS pgferry.ddl_applied (id bigint PRIMARY KEY, outcome text NOT NULL, ran text, \
      applied_at timestamptz NOT NULL DEFAULT now())""";

  /**
   * First (triggers fire by name): as the session's own role, notes that role and search_path in transaction-local
   * settings. No privilege on schema pgferry is needed for that.
   */
  static final String NOTE_FUNCTION = """
      CREATE OR REPLACE FUNCTION pgferry.note_ddl_context() RETURNS event_trigger LANGUAGE plpgsql AS $f$
      BEGIN
        PERFORM pg_catalog.set_config('pgferry.ddl_role', current_user, true);
        PERFORM pg_catalog.set_config('pgferry.ddl_search_path', pg_catalog.current_setting('search_path'), true);
      END
      $f$""";

  /** Second: as its owner (a superuser; the app's roles have no right on pgferry.ddl_log), with a fixed search_path. */
  static final String RECORD_FUNCTION = """
      CREATE OR REPLACE FUNCTION pgferry.record_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, pg_temp AS $f$
      DECLARE
        q text := current_query();
        who name;
        keyless regclass;
        ri text;
      BEGIN
        IF current_setting('application_name', true) LIKE 'pgferry-%' OR TG_TAG = 'REFRESH MATERIALIZED VIEW' THEN
          RETURN;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands()) AND NOT EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c
            WHERE c.schema_name IS DISTINCT FROM 'pgferry' AND c.schema_name NOT LIKE 'pg\\_temp%'
              AND NOT (c.object_type = 'schema' AND c.object_identity = 'pgferry')) THEN
          RETURN;
        END IF;
        who := coalesce(nullif(current_setting('pgferry.ddl_role', true), ''), session_user);
        IF NOT EXISTS (SELECT 1 FROM pgferry.ddl_log WHERE xid = txid_current() AND ddl = q) THEN
          INSERT INTO pgferry.ddl_log (ddl, role, search_path, tag, xid)
            VALUES (q, who, coalesce(current_setting('pgferry.ddl_search_path', true), ''), TG_TAG, txid_current());
        END IF;
        FOR keyless IN SELECT k.oid::regclass FROM pg_event_trigger_ddl_commands() c JOIN pg_class k ON k.oid = c.objid
            WHERE c.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') AND c.object_type = 'table'
              AND k.relkind = 'r' AND k.relpersistence = 'p' AND k.relreplident = 'd'
              AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.oid AND i.indisprimary) LOOP
          ri := format('ALTER TABLE %s REPLICA IDENTITY FULL', keyless);
          EXECUTE ri;
          INSERT INTO pgferry.ddl_log (ddl, role, search_path, tag, xid) VALUES (ri, who, '', 'ALTER TABLE', txid_current());
        END LOOP;
      END
      $f$""";

  private final PgEndpoint publisher;
  private final String replicationRole;

  /** @param replicationRole the subscription's role: it reads the two tables (initial copy) */
  public DdlCapture(PgEndpoint publisher, String replicationRole) {
    this.publisher = publisher;
    this.replicationRole = replicationRole;
  }

  List<String> setupSql() {
    return List.of("CREATE SCHEMA IF NOT EXISTS pgferry", LOG_TABLE, APPLIED_TABLE, NOTE_FUNCTION, RECORD_FUNCTION,
        "REVOKE ALL ON FUNCTION pgferry.record_ddl() FROM PUBLIC",
        "GRANT USAGE ON SCHEMA pgferry TO " + Sql.ident(replicationRole),
        "GRANT SELECT ON pgferry.ddl_log, pgferry.ddl_applied TO " + Sql.ident(replicationRole));
  }

  static String triggerSql(String name, String function) {
    return "CREATE EVENT TRIGGER " + name + " ON ddl_command_end EXECUTE FUNCTION " + function + "()";
  }

  @Override
  public List<String> describe() {
    return List.of("on " + publisher + ": CREATE SCHEMA IF NOT EXISTS pgferry; CREATE TABLE IF NOT EXISTS pgferry.ddl_log (id, ddl, role, "
            + "search_path, tag, xid, recorded_at) and pgferry.ddl_applied; GRANT USAGE, SELECT on them TO " + replicationRole
            + " (and on ddl_log to " + ControllerRoleSetup.ROLE + " when it exists)"
            + "  -- ddl_log is published (FOR ALL TABLES): it reaches T in commit order",
        "on " + publisher + ": CREATE OR REPLACE FUNCTION pgferry.note_ddl_context() (as the session's role: set_config('pgferry.ddl_role', "
            + "current_user, true), the same for search_path) and pgferry.record_ddl() (SECURITY DEFINER, search_path pg_catalog: INSERT "
            + "current_query(), the noted role and search_path into pgferry.ddl_log, except from sessions named pgferry-*, on schema "
            + "pgferry, on temporary objects, REFRESH MATERIALIZED VIEW); a table created without a primary key gets ALTER TABLE ... REPLICA "
            + "IDENTITY FULL at once (recorded too), so its UPDATE/DELETE replicate",
        "on " + publisher + ": " + triggerSql(NOTE_TRIGGER, "pgferry.note_ddl_context") + "; " + triggerSql(TRIGGER, "pgferry.record_ddl")
            + "  -- each unless it exists (needs a superuser); event triggers fire by name, so noting comes first");
  }

  /** True when it created an event trigger. */
  @Override
  public Boolean run() throws Exception {
    try (Connection c = publisher.connect(Purpose.SCHEMA)) {
      for (String s : setupSql()) {
        Sql.execute(c, s);
      }
      // the controller's own role reads the ledger for the replication progress (when the certificate shape made it)
      ControllerRoleSetup.grantLedger(c, ControllerRoleSetup.ROLE);
      boolean created = false;
      for (String[] t : new String[][] {{NOTE_TRIGGER, "pgferry.note_ddl_context"}, {TRIGGER, "pgferry.record_ddl"}}) {
        if (!Sql.exists(c, "SELECT 1 FROM pg_event_trigger WHERE evtname = ?", t[0])) {
          Sql.execute(c, triggerSql(t[0], t[1]));
          created = true;
        }
      }
      return created;
    }
  }
}
