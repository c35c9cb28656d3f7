package io.pgferry.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A PostgreSQL that cannot start: the agent's error names the cause from the server log, not only pg_ctl's exit. */
class PgCtlStartFailureTest {
  @Test
  void aFailedStartCarriesTheServerLogsCause() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("pgctl-start-failure")) {
      PgCluster c = PgCluster.init(ws, "broken", bin, Map.of("shared_buffers", "'lots'"));
      PgCtl pgCtl = new PgCtl(bin.binDir(), c.dataDir(), Workspace.PG_USER, c.port());
      IllegalStateException e = assertThrows(IllegalStateException.class, pgCtl::start);
      assertTrue(e.getMessage().contains("pg_ctl start exited 1"), e.getMessage());
      assertTrue(e.getMessage().contains("shared_buffers"), "the server log's cause: " + e.getMessage());
    }
  }
}
