package io.pgferry.e2e.scenario;

import io.pgferry.controller.sql.logical.SchemaCopy;
import io.pgferry.testkit.PgCluster;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * pg_dump --schema-only of the app's database on the last source-side primary and on T, ownership included (issue 16:
 * the app's releases carried to T leave the same schema). pgferry's own objects (schema pgferry, its event triggers,
 * the replication role's grants, the publication and subscription) are left out, and so are privileges: the rig
 * grants the app's role on T (and default privileges there) as T's operator would, which the source never had. Only
 * where this host's pg_dump (15) can dump both servers.
 */
final class SchemaDumps {
  private SchemaDumps() {}

  /** The lines only one side has ("a: ..." / "T: ..."); empty when equal. */
  static List<String> differences(PgCluster source, String sourcePassword, PgCluster target, String database) throws Exception {
    List<String> a = dump(source, sourcePassword, database);
    List<String> t = dump(target, null, database);
    List<String> out = new ArrayList<>();
    a.stream().filter(l -> !t.contains(l)).forEach(l -> out.add("source: " + l));
    t.stream().filter(l -> !a.contains(l)).forEach(l -> out.add("T: " + l));
    return out;
  }

  private static List<String> dump(PgCluster c, String password, String database) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(SchemaCopy.DEFAULT_CLIENT_BIN.resolve("pg_dump").toString(), "--schema-only",
        "--no-publications", "--no-subscriptions", "--no-privileges", "--exclude-schema=pgferry", "--dbname=" + c.conninfo(database))
        .redirectErrorStream(true);
    if (password != null) {
      pb.environment().put("PGPASSWORD", password);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("pg_dump of " + c.conninfo(database) + ": " + out);
    }
    return out.lines().filter(l -> !l.startsWith("--") && !l.isBlank() && !l.contains("pgferry_repl") && !l.contains("pgferry_ddl_")
            && !l.contains("pgferry.note_ddl_context") && !l.contains("pgferry.record_ddl") && !l.startsWith("\\restrict")
            && !l.startsWith("\\unrestrict"))
        .collect(Collectors.toList());
  }
}
