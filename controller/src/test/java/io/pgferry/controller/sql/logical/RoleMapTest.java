package io.pgferry.controller.sql.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleMapTest {
  private final RoleMap map = new RoleMap(Map.of("postgres", "tadmin"), List.of("pgferry_repl"));

  @Test
  void renamesOwnersAndGranteesAndDropsGrantsToRolesTheTargetDoesNotGet() {
    String dump = """
        CREATE TABLE public.audit (id integer);
        ALTER TABLE public.audit OWNER TO postgres;
        CREATE VIEW public.v AS SELECT 'GRANT x TO postgres;' AS s;
        ALTER TABLE public.postgres_things OWNER TO app;
        GRANT SELECT ON TABLE public.audit TO pgferry_repl;
        GRANT ALL ON TABLE public.audit TO postgres;
        REVOKE ALL ON TABLE public.audit FROM postgres;
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO app;
        GRANT SELECT ON TABLE public.audit TO "pgferry_repl";
        """;
    assertEquals("""
        CREATE TABLE public.audit (id integer);
        ALTER TABLE public.audit OWNER TO "tadmin";
        CREATE VIEW public.v AS SELECT 'GRANT x TO postgres;' AS s;
        ALTER TABLE public.postgres_things OWNER TO app;
        GRANT ALL ON TABLE public.audit TO "tadmin";
        REVOKE ALL ON TABLE public.audit FROM "tadmin";
        ALTER DEFAULT PRIVILEGES FOR ROLE "tadmin" IN SCHEMA public GRANT SELECT ON TABLES TO app;
        """, map.apply(dump));
  }
}
