package io.pgferry.controller.sql.logical;

import io.pgferry.common.Command;
import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copies the first part of A's schema to T, what the initial copy needs: the extensions A uses are created on T first,
 * then {@code pg_dump --section=pre-data} of A (tables, types, sequences, functions, views; a client at least as new as
 * A: pg_dump refuses newer servers) and, from {@code --section=post-data}, each table's primary key and replica identity
 * index (apply needs them for the UPDATEs and DELETEs arriving during the copy) and the default privileges are applied to T with psql in one
 * transaction, stopping at the first error. Every other index, constraint, foreign key and trigger is built after the
 * copy ({@link PostDataBuild}): a table copied into bare heap is written once, not once per index. Owners, grants and default privileges come along (the roles are on T already: {@link
 * TargetRoles}); what A's superusers own goes to T's admin, grants to roles T does not get are left out ({@link RoleMap}). Done already when T has every
 * table of A; refused when T has only some of them.
 */
public final class SchemaCopy implements SqlAction<SchemaCopy.Result> {
  public record Result(boolean applied, int tables, int extensions, String pgDumpVersion) {}

  public static final Path DEFAULT_CLIENT_BIN = Path.of("/usr/lib/postgresql/15/bin");
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final Path clientBinDir;
  private final boolean keysBeforeCopy;

  public SchemaCopy(PgEndpoint source, PgEndpoint target, Path clientBinDir) {
    this(source, target, clientBinDir, true);
  }

  /**
   * @param keysBeforeCopy the primary keys and replica identity indexes come with the tables (the subscription's own
   *                       copy: its table sync applies changes while it copies); false for the snapshot copy, which builds
   *                       them after each table's rows are in ({@code sql.copy.TableIndexBuild}), before apply starts
   */
  public SchemaCopy(PgEndpoint source, PgEndpoint target, Path clientBinDir, boolean keysBeforeCopy) {
    this.source = source;
    this.target = target;
    this.clientBinDir = clientBinDir == null ? DEFAULT_CLIENT_BIN : clientBinDir;
    this.keysBeforeCopy = keysBeforeCopy;
  }

  List<String> dumpArgv(Path file, String section) {
    return dumpArgv(clientBinDir, source, file, section);
  }

  static List<String> dumpArgv(Path clientBinDir, PgEndpoint source, Path file, String section) {
    return List.of(clientBinDir.resolve("pg_dump").toString(), "--section=" + section, "--no-publications",
        "--no-subscriptions", "--file=" + file, "--dbname=" + source.conninfo(false));
  }

  List<String> psqlArgv(Path file) {
    return List.of(clientBinDir.resolve("psql").toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", file.toString(),
        "--dbname=" + target.conninfo(false));
  }

  @Override
  public List<String> describe() {
    Path f = Path.of("<tmp>/schema.sql");
    return List.of(
        "on " + target + ": CREATE EXTENSION IF NOT EXISTS <each extension of A> WITH SCHEMA <its schema on A>  -- extensions first",
        "run: " + String.join(" ", dumpArgv(f, "pre-data")) + "  -- password in PGPASSWORD; refused if A is newer than this pg_dump",
        "run: " + String.join(" ", dumpArgv(Path.of("<tmp>/post-data.sql"), "post-data")) + "  -- its " + (keysBeforeCopy
            ? "PRIMARY KEY, REPLICA IDENTITY and DEFAULT ACL entries are appended to " + f + "; the rest is built after the copy ("
            + PostDataBuild.class.getSimpleName() + ")"
            : "DEFAULT ACL entries are appended to " + f + "; primary keys and replica identity indexes are built after each table's copy, "
            + "the rest after the copy (" + PostDataBuild.class.getSimpleName() + ")"),
        "in " + f + ": OWNER TO / GRANT ... TO / REVOKE ... FROM / FOR ROLE <a superuser of A> -> " + target.user()
            + " (a managed target has no superuser to own them); GRANT/REVOKE lines naming a role T does not get (a replication"
            + " role) left out",
        "run: " + String.join(" ", psqlArgv(f)) + "  -- skipped when T already has every table of A");
  }

  @Override
  public Result run() throws Exception {
    int clientMajor = clientMajor();
    List<TableRef> tables;
    List<Map<String, String>> extensions;
    int sourceMajor;
    int targetMajor;
    RoleMap roles;
    try (Connection a = source.connect(Purpose.SCHEMA); Connection t = target.connect(Purpose.SCHEMA)) {
      roles = RoleMap.read(a, Sql.value(t, "SELECT current_user"));
      sourceMajor = Sql.serverMajor(a);
      targetMajor = Sql.serverMajor(t);
      tables = PublishedTables.facts(a).stream().map(PublishedTables.TableFacts::table).toList();
      extensions = Sql.rows(a, "SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
          + "WHERE e.extname <> 'plpgsql' ORDER BY 1");
      List<TableRef> present = new ArrayList<>();
      for (TableRef table : tables) {
        if (PublishedTables.exists(t, table)) {
          present.add(table);
        }
      }
      if (!tables.isEmpty() && present.size() == tables.size()) {
        return new Result(false, tables.size(), extensions.size(), "not run");
      }
      if (!present.isEmpty()) {
        List<TableRef> missing = tables.stream().filter(x -> !present.contains(x)).toList();
        throw new IllegalStateException("schema copy: T already has " + present.size() + " of A's " + tables.size()
            + " tables but not " + missing + "; drop the partial schema on T or create the missing tables yourself");
      }
      if (sourceMajor > clientMajor) {
        throw new UsageException("schema copy: A runs PostgreSQL " + sourceMajor + " but the pg_dump in " + clientBinDir + " is "
            + clientMajor + " and refuses newer servers (unsupported on this host: Debian 12 ships pg_dump 15 only); install the "
            + "PostgreSQL " + sourceMajor + " client and set client_bin_dir, or copy the schema to T yourself (pgferry then finds it in place)");
      }
      for (Map<String, String> e : extensions) {
        Sql.execute(t, "CREATE EXTENSION IF NOT EXISTS " + Sql.ident(e.get("extname")) + " WITH SCHEMA " + Sql.ident(e.get("nspname")));
      }
    }
    Path dir = Files.createTempDirectory("pgferry-schema-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path file = dir.resolve("schema.sql");
    Path post = dir.resolve("post-data.sql");
    try {
      String text = dump(clientBinDir, source, file, "pre-data", roles, targetMajor);
      DumpScript keys = DumpScript.parse(dump(clientBinDir, source, post, "post-data", roles, targetMajor)).withoutPgferryObjects();
      Files.writeString(file, text + "\n\n" + DumpScript.script(keys.preamble(), keys.beforeCopy(keysBeforeCopy)));
      run(psqlArgv(file), target, "applying A's schema to T");
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(post);
      Files.deleteIfExists(dir);
    }
    return new Result(true, tables.size(), extensions.size(), String.valueOf(clientMajor));
  }

  /** One section of A's schema as T takes it: owners and grants mapped ({@link RoleMap}), settings T's major knows. */
  static String dump(Path clientBinDir, PgEndpoint source, Path file, String section, RoleMap roles, int targetMajor) throws IOException {
    run(dumpArgv(clientBinDir, source, file, section), source, "pg_dump --section=" + section + " of A");
    String text = roles.apply(Files.readString(file));
    if (targetMajor < 12) {
      // pg_dump 12+ sets default_table_access_method, which an 11 server does not know
      text = text.replaceAll("(?m)^SET default_table_access_method = .*$", "");
    }
    return text;
  }

  private int clientMajor() {
    return clientMajor(clientBinDir);
  }

  static int clientMajor(Path clientBinDir) {
    Path pgDump = clientBinDir.resolve("pg_dump");
    if (!Files.isExecutable(pgDump)) {
      throw new UsageException("schema copy: no pg_dump in " + clientBinDir + "; install postgresql-client or set client_bin_dir");
    }
    String out = Command.of(pgDump.toString(), "--version").timeout(Duration.ofSeconds(30)).runChecked().stdout();
    Matcher m = VERSION.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("schema copy: cannot read the version of " + pgDump + ": " + out.strip());
    }
    return Integer.parseInt(m.group(1));
  }

  private static void run(List<String> argv, PgEndpoint endpoint, String what) {
    Command cmd = Command.of(argv).timeout(Duration.ofHours(1));
    endpoint.libpqEnv().forEach(cmd::env);
    Command.Result r = cmd.run();
    if (!r.ok()) {
      String err = r.stderr().isBlank() ? r.stdout() : r.stderr();
      throw new IllegalStateException(what + " failed (exit " + r.exitCode() + "): " + Secrets.redact(err.strip()));
    }
  }
}
