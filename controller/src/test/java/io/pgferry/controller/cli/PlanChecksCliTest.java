package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.common.UsageException;
import io.pgferry.controller.plan.PlanException;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `pgferry plan` on plans the agents would refuse, with unsafe failover timing, or with values the binder once
 * turned into Java exceptions: each is an error at file:line:column and exit 2, and no exception text reaches the
 * user. The rows of docs/operations.md's bad-input table are these cases.
 */
class PlanChecksCliTest {
  private static final Path SAMPLE = Path.of("src/test/resources/plan/sample-plan.yaml");
  private static final Path HEROKU = Path.of("src/test/resources/plan/heroku-plan.yaml");

  @TempDir
  Path dir;

  record Run(int code, String err) {}

  /** Whole messages the tests saw: each must be a row of docs/operations.md's bad-input table, word for word. */
  private static final List<String> SEEN = new CopyOnWriteArrayList<>();
  /** Starts of lines the tests saw ({@link #refusedWith}): a row may show such a message with another value. */
  private static final List<String> SEEN_STARTS = new CopyOnWriteArrayList<>();

  /** Each message seen is a row of the plan's table, and each row of it is a message some test saw. */
  @AfterAll
  static void theBadInputTableInTheDocsShowsWhatTheCliPrints() throws Exception {
    String doc = Files.readString(Path.of("../docs/operations.md"));
    String table = doc.substring(doc.indexOf("## Bad input"), doc.indexOf("| goal carries |"));
    for (String m : SEEN) {
      assertTrue(table.contains("| 2 | `" + m + "` |"), "docs/operations.md, Bad input: no row with exit 2 and `" + m + "`");
    }
    Matcher row = Pattern.compile("(?m)^\\|.* \\| 2 \\| `(.+)` \\|$").matcher(table);
    while (row.find()) {
      String m = row.group(1);
      assertTrue(SEEN.contains(m) || SEEN_STARTS.stream().anyMatch(m::startsWith),
          "docs/operations.md, Bad input: no test sees `" + m + "`");
    }
  }

  private Run plan(Path base, String from, String to) throws Exception {
    String text = Files.readString(base);
    assertTrue(text.contains(from), "the sample holds " + from);
    Path file = dir.resolve("plan.yaml");
    Files.writeString(file, text.replace(from, to));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      return new Run(Cli.execute(new PgferryMain(), "plan", "--without-secrets", "--plan", file.toString()), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
  }

  private Run refused(Path base, String from, String to, String where, String message) throws Exception {
    Run r = refusedAt(base, from, to, where, message);
    assertTrue(r.err().contains(message + "\n"), "the whole message: " + r.err());
    SEEN.add(message);
    return r;
  }

  /** {@code message} is the start of the line (cases the table shows with another value). */
  private Run refusedWith(Path base, String from, String to, String where, String message) throws Exception {
    Run r = refusedAt(base, from, to, where, message);
    SEEN_STARTS.add(message);
    return r;
  }

  private Run refusedAt(Path base, String from, String to, String where, String message) throws Exception {
    Run r = plan(base, from, to);
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("plan.yaml:" + where + ": error: " + message), "want plan.yaml:" + where + ": error: "
        + message + "\ngot: " + r.err());
    assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), "no Java exception text: " + r.err());
    return r;
  }

  private static final String REPL_USER = "  replication_user: replicator\n";

  @Test
  void hbaMethodTrustPasswordAndMd5OnNewerPostgres() throws Exception {
    refused(SAMPLE, REPL_USER, REPL_USER + "  hba_method: trust\n", "13:15",
        "nodes.hba_method: method trust lets anyone in without a password; use scram-sha-256, cert, or md5 on PostgreSQL 13"
            + " and older (nodes.allow_trust: true for tests whose clusters have no passwords)");
    refused(SAMPLE, REPL_USER, REPL_USER + "  hba_method: password\n", "13:15",
        "nodes.hba_method: method 'password' is not accepted; use scram-sha-256, cert, or md5 on PostgreSQL 13 and older");
    refused(SAMPLE, REPL_USER, REPL_USER + "  hba_method: md5\n", "13:15",
        "nodes.hba_method: method md5 is accepted only on PostgreSQL 13 and older (this is 15); use scram-sha-256");
    assertEquals(0, plan(SAMPLE, REPL_USER, REPL_USER + "  hba_method: trust\n  allow_trust: true\n").code());
    assertEquals(0, plan(HEROKU, "  standby: ec2-b\n", "  standby: ec2-b\n  hba_method: md5\n").code(), "md5 on PG 11");
    // the test plans (PlanBuilder.hbaMethod("trust"), the e2e rig's) say allow_trust with it
    assertTrue(PlanLoader.parse("plan.yaml",
        PlanBuilder.plan().hbaMethod("trust").yaml(), null).plan().nodes().allowTrust());
  }

  @Test
  void targetAddressOneHostUnlessWideAddressesAreAllowed() throws Exception {
    String line = "target_address: 10.0.3.7/32";
    refused(SAMPLE, line, "target_address: 0.0.0.0/0", "55:19",
        "logical.target_address: address '0.0.0.0/0' admits every address; give the hosts that need access (e.g. 10.0.0.7/32)");
    refusedWith(SAMPLE, line, "target_address: \"::/0\"", "55:19", "logical.target_address: address '::/0' admits every address");
    refused(SAMPLE, line, "target_address: 10.0.0.0/8", "55:19",
        "logical.target_address: address '10.0.0.0/8' is wider than /16; give the hosts that need access (e.g. a /32),"
            + " or allow wide addresses explicitly (logical.allow_wide_address: true)");
    refused(SAMPLE, line, "target_address: aurora.example.com", "55:19",
        "logical.target_address: 'aurora.example.com' is not an IP address or CIDR (e.g. 10.0.3.7/32)");
    assertEquals(0, plan(SAMPLE, line, "target_address: 10.0.0.0/8\n  allow_wide_address: true").code());
    assertEquals(0, plan(SAMPLE, line, "target_address: 10.0.3.7").code(), "a bare IP is one host");
  }

  @Test
  void failoverTiming() throws Exception {
    Run r = refused(SAMPLE, "durability: sync", "durability: sync\nfailover:\n  detect_after: 0s\n  lease_margin: 0ms\n  max_lease: 500ms",
        "50:17", "failover.detect_after: must be more than 0: a node is declared failed only after this much silence");
    String margin = "failover.lease_margin: must be more than 0: B is promoted only this long after A's lease expired,"
        + " for the clocks' drift";
    String lease = "failover.max_lease: 500ms is shorter than any lease a controller grants (lease_ms is at least 1s);"
        + " set it to the controller's lease_ms or more";
    assertTrue(r.err().contains("plan.yaml:51:17: error: " + margin + "\n"), r.err());
    assertTrue(r.err().contains("plan.yaml:52:14: error: " + lease + "\n") || r.err().endsWith("plan.yaml:52:14: error: " + lease), r.err());
    SEEN.add(margin);
    SEEN.add(lease);
  }

  @Test
  void herokuApiOverHttpsOnly() throws Exception {
    refused(HEROKU, "    token: env:HEROKU_API_KEY\n", "    token: env:HEROKU_API_KEY\n    api_url: http://api.heroku.com\n", "22:14",
        "switch.heroku.api_url: 'http://api.heroku.com' is plain http: the API token would cross the network in the clear; use https://");
    assertEquals(0, plan(HEROKU, "    token: env:HEROKU_API_KEY\n", "    token: env:HEROKU_API_KEY\n    api_url: http://127.0.0.1:8080\n").code(),
        "a local stand-in (tests)");
  }

  @Test
  void nodeIdsFollowTheLinksRule() throws Exception {
    refused(SAMPLE, "archive_replica: a ", "archive_replica: -a ", "10:20",
        "nodes.archive_replica: '-a' is not a node id (1-63 lowercase letters, digits and '-', not starting with '-';"
            + " the agent's certificate CN is agent-<node id>)");
    refusedWith(SAMPLE, "standby: b ", "standby: " + "b".repeat(64) + " ", "11:12", "nodes.standby: '" + "b".repeat(64) + "' is not a node id");
  }

  @Test
  void numbersAndDurationsThatOnceThrew() throws Exception {
    refused(SAMPLE, "archive_timeout: 60s", "archive_timeout: 99999999999999999h", "5:20",
        "source.archive_timeout: '99999999999999999h' is too long a duration (the longest is 2562047788015h)");
    refusedWith(SAMPLE, "archive_timeout: 60s", "archive_timeout: 99999999999999999999999s", "5:20",
        "source.archive_timeout: '99999999999999999999999s' is too long a duration");
    refused(SAMPLE, "verify: counts", "verify: counts\n  verify_chunk_rows: 0", "59:22",
        "logical.verify_chunk_rows: 0 must be 1 or more (rows per checksummed chunk)");
    refused(SAMPLE, "admin_port: 6432", "admin_port: 99999999999", "23:17",
        "switch.pgbouncer.admin_port: '99999999999' is out of range (at most 2147483647)");
    refused(SAMPLE, "verify: counts", "verify: everything", "58:11",
        "logical.verify: 'everything' is not one of counts, full");
  }

  private static final Path EXAMPLE = Path.of("../examples/plan.yaml");
  private static final String LOGICAL = "logical:\n  replication_password: env:PGFERRY_REPL_PASSWORD\n  target_address: 10.0.3.7/32\n";

  /** A plan the journey could not run to DONE is refused by `pgferry plan`, with what to add. */
  @Test
  void anIncompletePlanSaysWhatToAdd() throws Exception {
    refused(HEROKU, LOGICAL, "", "2:1",
        "logical: missing: without it the journey stops for good after cutover 1 (the app on A, nothing copied to the"
            + " target); add a logical: block with replication_password (env:NAME or file:PATH) and target_address (the"
            + " target's address as A sees it, e.g. 10.0.3.7/32)");
    refused(HEROKU, "  replication_password: env:PGFERRY_REPL_PASSWORD\n", "", "25:3",
        "logical.replication_password: missing: the target's subscription logs in to A as logical.replication_role with"
            + " it; add replication_password: env:PGFERRY_REPL_PASSWORD (or file:PATH)");
    refused(HEROKU, "  target_address: 10.0.3.7/32\n", "", "25:3",
        "logical.target_address: missing: A's pg_hba (written by pgferry) admits only the hosts the plan names, so the"
            + " target's subscription could not connect; add target_address: the target's address as A sees it (e.g."
            + " 10.0.3.7/32; Aurora: the egress addresses of its subnets)");
    refused(SAMPLE, "pg_major: 15", "pg_major: 16", "51:3",
        "logical: client_bin_dir /usr/lib/postgresql/15/bin holds pg_dump 15, which cannot dump PostgreSQL 16"
            + " (source.pg_major): the schema copy would fail; add client_bin_dir: /usr/lib/postgresql/16/bin (installed"
            + " on the controller's host)");
    Path newer = dir.resolve("newer.yaml");
    Files.writeString(newer, Files.readString(SAMPLE).replace("pg_major: 15", "pg_major: 16"));
    Run r = plan(newer, "verify: counts", "verify: counts\n  client_bin_dir: /usr/lib/postgresql/16/bin");
    assertEquals(0, r.code(), "pg_dump 16 dumps 16: " + r.err());
    // apply takes a plan that stops after cutover 1 (it can be completed later with `pgferry apply --amend`)
    PlanLoader.parse("plan.yaml", Files.readString(HEROKU).replace(LOGICAL, ""), null);
  }

  /** examples/plan.yaml works as written: `pgferry plan --without-secrets` takes it whole. */
  @Test
  void theExamplePlanIsComplete() throws Exception {
    Run r = plan(EXAMPLE, "source:", "source:");
    assertEquals(0, r.code(), r.err());
  }

  /** At apply the controller knows its lease_ms (JourneyService passes the link directory's lease). */
  @Test
  void maxLeaseCoversTheControllersLease() throws Exception {
    String text = Files.readString(SAMPLE).replace("durability: sync", "durability: sync\nfailover:\n  max_lease: 10s");
    PlanException e = org.junit.jupiter.api.Assertions.assertThrows(
        PlanException.class,
        () -> PlanLoader.parse("plan.yaml", text, null, Duration.ofMillis(15000)));
    String message = "failover.max_lease: 10s is shorter than this controller's lease_ms (15000): after a controller"
        + " restart B could be promoted while A still holds its lease; set max_lease to 15s or more";
    assertTrue(e.getMessage().lines().anyMatch(("plan.yaml:50:14: error: " + message)::equals), e.getMessage());
    SEEN.add(message);
    assertTrue(e instanceof UsageException, "exit 2 through the CLI");
    PlanLoader.parse("plan.yaml", text, null, Duration.ofMillis(10000));
  }
}
