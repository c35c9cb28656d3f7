package io.pgferry.agent;

import io.pgferry.common.Command;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A streaming standby "b" of {@code a} made from a copy of a's stopped data dir (no slots copied), started. */
public final class CopiedStandby {
  private CopiedStandby() {}

  /** {@code settings} are added to b's configuration (quoted as needed) beside port, primary_conninfo and slot b_phys. */
  public static PgCluster of(Workspace ws, PgCluster a, String conninfoExtra, Map<String, String> settings) {
    a.stop();
    Path dir = ws.root().resolve("b");
    Command.of("cp", "-a", a.dataDir().toString(), dir.toString()).as(Workspace.PG_USER).runChecked();
    Command.of("sh", "-c", "rm -rf " + dir + "/pg_replslot/* " + dir + "/postmaster.pid " + dir + "/postmaster.opts")
        .as(Workspace.PG_USER).runChecked();
    a.start();
    int port = FreePorts.next();
    PgCluster b = PgCluster.adopt("b", a.binaries(), dir, port);
    Map<String, String> s = new LinkedHashMap<>();
    s.put("port", String.valueOf(port));
    s.put("primary_conninfo", "'host=127.0.0.1 port=" + a.port() + " user=postgres application_name=b" + conninfoExtra + "'");
    s.put("primary_slot_name", "'b_phys'");
    s.putAll(settings);
    b.appendConf(s);
    Command.of("touch", dir.resolve("standby.signal").toString()).as(Workspace.PG_USER).runChecked();
    return b.start();
  }
}
