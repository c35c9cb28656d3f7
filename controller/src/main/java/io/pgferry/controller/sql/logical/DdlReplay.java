package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs on T each statement {@link DdlCapture} recorded on A, inside the apply worker, when its pgferry.ddl_log row
 * arrives: an ALWAYS trigger (the apply worker runs with session_replication_role = replica) on T's copy of the
 * table. So a statement runs exactly between the rows committed before and after it on A, with no hold. It runs under
 * the recorded search_path and, where T has that role and the subscription owner may take it, the recorded role (so
 * new objects get the same owner); CONCURRENTLY is dropped from CREATE/DROP INDEX and REINDEX (not allowed in a
 * transaction block; on T only the apply worker writes, so the plain form blocks nobody else). Each outcome goes
 * to pgferry.ddl_applied; a row already there (an operator's {@code pgferry ddl skip}) is not run. A statement that
 * fails raises: the apply worker stops and retries until it runs or is skipped ({@link DdlLedger} reports it).
 */
public final class DdlReplay implements SqlAction<Boolean> {
  static final String TRIGGER = "pgferry_apply_ddl";

  static final String FUNCTION = """
      CREATE OR REPLACE FUNCTION pgferry.apply_ddl() RETURNS trigger LANGUAGE plpgsql AS $f$
      DECLARE
        stmt text := NEW.ddl;
        old_path text := current_setting('search_path');
        as_role boolean;
      BEGIN
        IF EXISTS (SELECT 1 FROM pgferry.ddl_applied WHERE id = NEW.id) THEN
          RETURN NULL;
        END IF;
        IF NEW.tag IN ('CREATE INDEX', 'DROP INDEX', 'REINDEX') THEN
          stmt := regexp_replace(stmt, '\\mCONCURRENTLY\\M', '', 'gi');
        END IF;
        as_role := NEW.role <> current_user AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = NEW.role)
          AND pg_has_role(NEW.role, 'MEMBER');
        PERFORM set_config('search_path', NEW.search_path, true);
        IF as_role THEN
          PERFORM set_config('role', NEW.role, true);
        END IF;
        EXECUTE stmt;
        IF as_role THEN
          PERFORM set_config('role', 'none', true);
        END IF;
        PERFORM set_config('search_path', old_path, true);
        INSERT INTO pgferry.ddl_applied (id, outcome, ran)
          VALUES (NEW.id, CASE WHEN stmt = NEW.ddl THEN 'applied' ELSE 'rewritten' END, stmt);
        RETURN NULL;
      END
      $f$""";

  private final PgEndpoint subscriber;

  public DdlReplay(PgEndpoint subscriber) {
    this.subscriber = subscriber;
  }

  static List<String> setupSql() {
    return List.of("CREATE SCHEMA IF NOT EXISTS pgferry", DdlCapture.LOG_TABLE, DdlCapture.APPLIED_TABLE, FUNCTION);
  }

  static List<String> triggerSql() {
    return List.of("CREATE TRIGGER " + TRIGGER + " AFTER INSERT ON pgferry.ddl_log FOR EACH ROW EXECUTE FUNCTION pgferry.apply_ddl()",
        "ALTER TABLE pgferry.ddl_log ENABLE ALWAYS TRIGGER " + TRIGGER);
  }

  @Override
  public List<String> describe() {
    List<String> out = new ArrayList<>();
    out.add("on " + subscriber + ": CREATE SCHEMA IF NOT EXISTS pgferry; CREATE TABLE IF NOT EXISTS pgferry.ddl_log (as on A) and "
        + "pgferry.ddl_applied (id, outcome, ran, applied_at)");
    out.add("on " + subscriber + ": CREATE OR REPLACE FUNCTION pgferry.apply_ddl(): unless the id is in pgferry.ddl_applied (done or "
        + "skipped), set_config('search_path', <recorded>, true), set_config('role', <recorded role>, true) when T has it, EXECUTE the "
        + "statement (CONCURRENTLY dropped from CREATE/DROP INDEX, REINDEX), INSERT INTO pgferry.ddl_applied; an error stops apply");
    triggerSql().forEach(s -> out.add("on " + subscriber + ": " + s + "  -- unless the trigger exists"));
    return out;
  }

  /** True when it created the trigger. */
  @Override
  public Boolean run() throws Exception {
    try (Connection c = subscriber.connect(Purpose.SCHEMA)) {
      for (String s : setupSql()) {
        Sql.execute(c, s);
      }
      if (Sql.exists(c, "SELECT 1 FROM pg_trigger WHERE tgname = ? AND tgrelid = 'pgferry.ddl_log'::regclass", TRIGGER)) {
        return false;
      }
      for (String s : triggerSql()) {
        Sql.execute(c, s);
      }
      return true;
    }
  }
}
