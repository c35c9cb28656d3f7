package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.pgferry.controller.plan.PlanException;
import io.pgferry.controller.plan.PlanLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Writes a complete plan (one `pgferry plan` accepts: it runs the journey to DONE) from flags, asking"
        + " on a terminal for each value no flag gave (without a terminal a missing one is an error). Always needed:"
        + " --archive-url, --a-host, --b-host, --target-address, --dbname, --app-user, --switch; with --switch heroku"
        + " also --heroku-app, with --switch command --block, --repoint and --unblock. Secrets are written as references"
        + " (env:NAME), never as values; it then lists the variables to set in the controller's environment. Refuses to"
        + " overwrite an existing file. Contacts nothing: no agent, controller or database.")
public final class InitCommand implements Callable<Integer> {
  @Option(names = "--plan", paramLabel = "FILE", defaultValue = "plan.yaml", description = "the plan to write (default: ${DEFAULT-VALUE})")
  Path plan;

  @Option(names = "--archive-url", paramLabel = "URL", description = "the WAL archive: s3://bucket/prefix (Heroku's ticket: the bucket and prefix of the archive's config vars) or file:///path")
  String archiveUrl;

  @Option(names = "--source-url", paramLabel = "REF", defaultValue = "env:HEROKU_DATABASE_URL",
      description = "the source database as a reference (env:NAME or file:PATH), lets pgferry fence it at cutover 1; 'none' when the controller cannot reach it (default: ${DEFAULT-VALUE})")
  String sourceUrl;

  @Option(names = "--pg-major", paramLabel = "N", description = "the source's PostgreSQL major (e.g. 15); unset: taken from the backup; 16 and later also set logical.client_bin_dir to that major's pg_dump")
  Integer pgMajor;

  @Option(names = "--node-a", paramLabel = "ID", defaultValue = "a", description = "A's agent node id (default: ${DEFAULT-VALUE})")
  String nodeA;

  @Option(names = "--node-b", paramLabel = "ID", defaultValue = "b", description = "B's agent node id (default: ${DEFAULT-VALUE})")
  String nodeB;

  @Option(names = "--a-host", paramLabel = "HOST", description = "A's address as the target reaches it (the plan's logical.source_host)")
  String aHost;

  @Option(names = "--controller-address", paramLabel = "IP", description = "the controller's address as A and B see it (their pg_hba admit it from there only, hostssl)")
  String controllerAddress;

  @Option(names = "--b-host", paramLabel = "HOST", description = "B's address (not in the plan: named in the next steps, for B's agent and certificate)")
  String bHost;

  @Option(names = "--target-url", paramLabel = "REF", defaultValue = "env:TARGET_DATABASE_URL",
      description = "the target as a reference (env:NAME or file:PATH) to postgres://user:password@host:port/dbname (default: ${DEFAULT-VALUE})")
  String targetUrl;

  @Option(names = "--target-address", paramLabel = "IP", description = "the target's address as A sees it (an IP or a CIDR, e.g. 10.0.3.7/32): A's pg_hba admits the target's subscription from there only")
  String targetAddress;

  @Option(names = "--dbname", paramLabel = "NAME", description = "the app's database (the path of Heroku's DATABASE_URL)")
  String dbname;

  @Option(names = "--app-user", paramLabel = "ROLE", description = "the app's role (the user of Heroku's DATABASE_URL)")
  String appUser;

  @Option(names = "--switch", paramLabel = "KIND", description = "how the app is moved: heroku (a config var, then a dyno restart), pgbouncer (the controller rewrites pgbouncer.ini and reloads) or command (your scripts)")
  String switchKind;

  @Option(names = "--heroku-app", paramLabel = "NAME", description = "switch heroku: the Heroku app")
  String herokuApp;

  @Option(names = "--config-var", paramLabel = "NAME", defaultValue = "PGFERRY_DATABASE_URL",
      description = "switch heroku: the config var the app reads its database URL from (default: ${DEFAULT-VALUE})")
  String configVar;

  @Option(names = "--pgbouncer-host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "switch pgbouncer: its admin console's host (default: ${DEFAULT-VALUE})")
  String pgbouncerHost;

  @Option(names = "--pgbouncer-ini", paramLabel = "PATH", defaultValue = "/etc/pgbouncer/pgbouncer.ini", description = "switch pgbouncer: pgbouncer.ini on the controller's host (default: ${DEFAULT-VALUE})")
  String pgbouncerIni;

  @Option(names = "--block", paramLabel = "CMD", description = "switch command: blocks the app's writes")
  String block;

  @Option(names = "--repoint", paramLabel = "CMD", description = "switch command: points the app at PGFERRY_TARGET_HOST/PORT/DBNAME/USER")
  String repoint;

  @Option(names = "--unblock", paramLabel = "CMD", description = "switch command: lets the app write again")
  String unblock;

  @Option(names = "--app-restart", paramLabel = "CMD", description = "switch pgbouncer|command: restarts the app after cutover 2 (apps that cache type OIDs need it)")
  String appRestart;

  @Spec
  CommandSpec spec;

  private final BufferedReader answers;

  public InitCommand() {
    this(System.console() == null ? null : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
  }

  /** @param answers the terminal to ask for what no flag gave; null: no questions (a missing flag is an error) */
  InitCommand(BufferedReader answers) {
    this.answers = answers;
  }

  @Override
  public Integer call() throws IOException {
    if (Files.exists(plan)) {
      throw new UsageException(plan + " exists; pgferry init never overwrites a plan (move it away or give another --plan)");
    }
    PrintWriter out = spec.commandLine().getOut();
    archiveUrl = ask(out, archiveUrl, "--archive-url", "WAL archive URL (s3://bucket/prefix)");
    aHost = ask(out, aHost, "--a-host", "A's address as the target reaches it");
    bHost = ask(out, bHost, "--b-host", "B's address");
    targetAddress = ask(out, targetAddress, "--target-address", "the target's address as A sees it (IP or CIDR)");
    dbname = ask(out, dbname, "--dbname", "the app's database name");
    appUser = ask(out, appUser, "--app-user", "the app's role");
    switchKind = ask(out, switchKind, "--switch", "switch kind (heroku, pgbouncer, command)");
    switch (switchKind) {
      case "heroku" -> herokuApp = ask(out, herokuApp, "--heroku-app", "the Heroku app's name");
      case "pgbouncer" -> { }
      case "command" -> {
        block = ask(out, block, "--block", "the command that blocks the app's writes");
        repoint = ask(out, repoint, "--repoint", "the command that points the app at the new database");
        unblock = ask(out, unblock, "--unblock", "the command that lets the app write again");
      }
      default -> throw new UsageException("--switch '" + switchKind + "' is not heroku, pgbouncer or command");
    }
    if (targetUrl.contains("://") && targetUrl.contains("@")) {
      throw new UsageException("--target-url: give the URL as a reference (env:NAME or file:PATH), not inline: the plan"
          + " is no place for the target's password");
    }
    String text = new InitPlan(this).yaml();
    try {
      PlanLoader.parseComplete(plan.getFileName().toString(), text);
    } catch (PlanException e) {
      throw new UsageException("the answers do not make a complete plan (nothing written):\n"
          + e.getMessage().substring(e.getMessage().indexOf('\n') + 1));
    }
    try {
      Files.writeString(plan, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new UsageException(plan + " exists; pgferry init never overwrites a plan");
    }
    out.println("wrote " + plan);
    new InitPlan(this).nextSteps().forEach(out::println);
    out.flush();
    return 0;
  }

  private String ask(PrintWriter out, String given, String flag, String question) throws IOException {
    if (given != null && !given.isBlank()) {
      return given.trim();
    }
    if (answers == null) {
      throw new UsageException("missing " + flag + " (" + question + "); give it, or run pgferry init on a terminal to be asked");
    }
    out.print(question + ": ");
    out.flush();
    String line = answers.readLine();
    if (line == null || line.isBlank()) {
      throw new UsageException("no answer for " + flag + " (" + question + ")");
    }
    return line.trim();
  }

  /** The plan text and the operator's next steps, from the command's values. */
  private record InitPlan(InitCommand c) {
    String yaml() {
      StringBuilder y = new StringBuilder();
      y.append("# Written by `pgferry init`; check it with `pgferry plan --plan ").append(c.plan.getFileName()).append("`.\n");
      y.append("# Secrets are references: env:NAME (the controller's environment) or file:/path (0600).\n");
      y.append("source:\n");
      if (!c.sourceUrl.equals("none")) {
        y.append("  url: ").append(q(c.sourceUrl)).append("   # lets pgferry fence the source at cutover 1\n");
        y.append("  sslmode: require                  # Heroku serves TLS\n");
      }
      y.append("  archive_timeout: 60s                # the source's archive_timeout (Heroku: 60s)\n");
      if (c.pgMajor != null) {
        y.append("  pg_major: ").append(c.pgMajor).append('\n');
      }
      y.append("archive:\n  url: ").append(q(c.archiveUrl)).append('\n');
      y.append("  # s3: {region: us-east-1, access_key_id: env:ARCHIVE_ACCESS_KEY_ID, secret_access_key: env:ARCHIVE_SECRET_ACCESS_KEY}\n");
      y.append("nodes:\n  archive_replica: ").append(q(c.nodeA)).append("   # at ").append(c.aHost).append('\n');
      y.append("  standby: ").append(q(c.nodeB)).append("   # at ").append(c.bHost).append('\n');
      // no password of the source anywhere (docs/security.md): B and the controller log in to A and B with the
      // certificates `pgferry certs init` issued, mapped to the restored cluster's bootstrap superuser
      y.append("  hba_method: cert                    # B and the controller log in with pgferry's certificates\n");
      y.append("  sslcert: /etc/pgferry/tls/controller.pem   # the controller's (pgferry certs init)\n");
      y.append("  sslkey: /etc/pgferry/tls/controller.key\n");
      if (c.controllerAddress != null && !c.controllerAddress.isBlank()) {
        y.append("  controller_address: ").append(q(c.controllerAddress)).append("   # A's and B's pg_hba admit the controller from here\n");
      }
      y.append("target:\n  url: ").append(q(c.targetUrl)).append('\n');
      y.append("app:\n  dbname: ").append(q(c.dbname)).append("\n  user: ").append(q(c.appUser))
          .append("\n  password: env:APP_DB_PASSWORD\n");
      y.append("switch:\n  type: ").append(c.switchKind).append('\n');
      switch (c.switchKind) {
        case "heroku" -> y.append("  heroku:\n    app: ").append(q(c.herokuApp)).append("\n    config_var: ")
            .append(q(c.configVar)).append("\n    token: env:HEROKU_API_TOKEN\n");
        case "pgbouncer" -> y.append("  pgbouncer:\n    admin_host: ").append(q(c.pgbouncerHost))
            .append("\n    admin_password: env:PGBOUNCER_ADMIN_PASSWORD\n    database: ").append(q(c.dbname))
            .append("\n    ini_path: ").append(q(c.pgbouncerIni)).append('\n');
        default -> y.append("  command:\n    block: ").append(q(c.block)).append("\n    repoint: ").append(q(c.repoint))
            .append("\n    unblock: ").append(q(c.unblock)).append('\n');
      }
      if (c.appRestart != null && !c.switchKind.equals("heroku")) {
        y.append("  app_restart: ").append(q(c.appRestart)).append('\n');
      }
      y.append("hold: [cutover_1, cutover_2]        # apply waits before each cutover until `pgferry proceed`\n");
      y.append("logical:\n  replication_password: env:PGFERRY_REPL_PASSWORD\n  target_address: ")
          .append(q(c.targetAddress)).append("\n  source_host: ").append(q(c.aHost)).append('\n');
      if (c.pgMajor != null && c.pgMajor > 15) {
        y.append("  client_bin_dir: /usr/lib/postgresql/").append(c.pgMajor).append("/bin\n");
      }
      return y.toString();
    }

    List<String> nextSteps() {
      List<String> lines = new ArrayList<>();
      lines.add("Fill in before `pgferry apply` (the controller's environment, e.g. its unit's EnvironmentFile):");
      if (!c.sourceUrl.equals("none")) {
        lines.add("  " + c.sourceUrl + "  the source's URL (Heroku: the app's DATABASE_URL)");
      }
      lines.add("  " + c.targetUrl + "  postgres://USER:PASSWORD@HOST:5432/DBNAME of the target");
      lines.add("  env:APP_DB_PASSWORD  the password of " + c.appUser + " (the same on the target)");
      lines.add("  env:PGFERRY_REPL_PASSWORD  a new password, for the role pgferry creates on A for the subscription");
      switch (c.switchKind) {
        case "heroku" -> lines.add("  env:HEROKU_API_TOKEN  a Heroku API token that may change " + c.herokuApp + "'s config vars");
        case "pgbouncer" -> lines.add("  env:PGBOUNCER_ADMIN_PASSWORD  the password of PgBouncer's admin user (pgbouncer)");
        default -> { }
      }
      lines.add("Then: the agents on " + c.aHost + " (node " + c.nodeA + ") and " + c.bHost + " (node " + c.nodeB
          + "), with certificates from `pgferry certs init DIR --agent " + c.nodeA + " --agent " + c.nodeB
          + " --controller-host HOST --operator NAME`;");
      lines.add("  check the plan with `pgferry plan --plan " + c.plan + "` where those variables are set.");
      return lines;
    }

    /** A YAML scalar: plain when it is safely plain, else double-quoted. */
    private static String q(String v) {
      if (v.matches("[A-Za-z0-9_][A-Za-z0-9_./:@=+-]*") && !v.contains(": ")) {
        return v;
      }
      return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
  }
}
