package io.pgferry.controller.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.Cli;
import io.pgferry.controller.cli.PgferryMain;
import io.pgferry.controller.journey.JourneyJson;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.JourneyTestKit;
import io.pgferry.testkit.plan.PlanBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI commands against /api/journey served by Vert.x: apply, status (text and JSON), abort, resume. */
class JourneyApiTest {
  static Workspace ws;
  static PgCluster target;

  @TempDir
  Path dir;

  @BeforeAll
  static void startTarget() {
    ws = Workspace.create("journey-api");
    target = PgCluster.start(ws, "target", 15);
  }

  @AfterAll
  static void stopTarget() {
    target.close();
    ws.close();
  }

  Vertx vertx;
  HttpServer server;
  JourneyTestKit kit;
  JourneyService service;
  String url;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    kit = new JourneyTestKit(dir);
    service = kit.service();
    Router router = Router.router(vertx);
    new JourneyApi(vertx, service).mount(router);
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage()
        .toCompletableFuture().get();
    url = "http://127.0.0.1:" + server.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    service.close();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  @Test
  void applyFollowsTheJourneyAndStatusShowsIt() throws Exception {
    Path plan = kit.writePlan("postgres://app@127.0.0.1:1/appdb", PlanBuilder.PhaseTimeout.PREFLIGHT, Duration.ofMinutes(2));
    Result apply = cli("apply", "--plan", plan.toString(), "--controller", url);
    // the target is unreachable: PREFLIGHT fails, and says so
    assertEquals(1, apply.code, apply.out + apply.err);
    assertTrue(apply.out.contains("target: cannot connect"), apply.out);

    Result status = cli("status", "--output", "json", "--controller", url);
    JsonNode json = JourneyJson.MAPPER.readTree(status.out);
    assertEquals("FAILED", json.path("state").asText(), status.out);
    assertEquals("PREFLIGHT", json.path("phase").asText());
    assertEquals("failed", json.path("phases").get(0).path("status").asText());
    assertEquals(2, json.path("nodes").size());
    assertTrue(json.path("recent").size() > 0);

    Result text = cli("status", "--controller", url);
    assertTrue(text.out.startsWith("journey: FAILED in PREFLIGHT"), text.out);
    assertTrue(text.out.contains("node a "), text.out);
  }

  @Test
  void abortStopsAWaitAndResumeContinues() throws Exception {
    kit.nodes.failArchiveReplicaWith = "backup-fetch: no backup";
    Path plan = kit.writePlan(target.url("postgres"), PlanBuilder.PhaseTimeout.ARCHIVE_REPLICA, Duration.ofMinutes(10));
    Result apply = cli("apply", "--plan", plan.toString(), "--detach", "--controller", url);
    assertEquals(0, apply.code, apply.err);
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!cli("status", "--controller", url).out.contains("archive_replica.wait_caught_up")) {
      assertTrue(System.nanoTime() < deadline, "never reached the wait");
      Thread.sleep(50);
    }
    Result again = cli("apply", "--plan", plan.toString(), "--detach", "--controller", url);
    assertEquals(2, again.code);
    assertTrue(again.err.contains("the journey is running"), again.err);

    Result abort = cli("abort", "--controller", url);
    assertEquals(0, abort.code, abort.out + abort.err);
    assertTrue(abort.out.contains("journey: STOPPED in ARCHIVE_REPLICA"), abort.out);
    assertTrue(abort.out.contains("aborted in ARCHIVE_REPLICA"), abort.out);

    kit.nodes.failArchiveReplicaWith = null;
    Result resume = cli("resume", "--controller", url);
    assertEquals(0, resume.code, resume.out + resume.err);
    // apply held by default: the journey stops before cutover 1, says what it will do, and proceed lets it go
    assertTrue(resume.out.contains("journey: HELD in CUTOVER_1"), resume.out);
    assertTrue(resume.out.contains("held before CUTOVER_1 since"), resume.out);
    assertTrue(resume.out.contains("cutover_1.block_app"), "the cutover's steps are shown: " + resume.out);
    JsonNode held = JourneyJson.MAPPER.readTree(cli("status", "--output", "json", "--controller", url).out);
    assertEquals("CUTOVER_1", held.path("hold").path("phase").asText(), held.toString());
    assertTrue(held.path("phases").findValues("status").stream().anyMatch(v -> v.asText().equals("held")), held.toString());

    Result badTime = cli("proceed", "--at", "tonight", "--controller", url);
    assertEquals(2, badTime.code, badTime.out + badTime.err);
    assertTrue(badTime.err.contains("ISO-8601"), badTime.err);

    Result proceed = cli("proceed", "--controller", url);
    assertEquals(0, proceed.code, proceed.out + proceed.err);
    assertTrue(proceed.out.contains("CUTOVER_1 starts now"), proceed.out);
    assertTrue(proceed.out.contains("journey: WAITING in LOGICAL_SETUP"), proceed.out);

    // given in advance, a proceed is for the next held cutover; once let go, that one is not held any more
    Result early = cli("proceed", "--detach", "--controller", url);
    assertTrue(early.out.contains("CUTOVER_2 starts now (once the journey gets there; it stands at LOGICAL_SETUP)"), early.out);
    Result twice = cli("proceed", "--detach", "--controller", url);
    assertEquals(2, twice.code, twice.out);
    assertTrue(twice.err.contains("CUTOVER_2 is not held any more"), twice.err);
  }

  @Test
  void noHoldRunsStraightThroughTheCutover() throws Exception {
    Path plan = kit.writePlan(target.url("postgres"), PlanBuilder.PhaseTimeout.ARCHIVE_REPLICA, Duration.ofMinutes(1));
    Result apply = cli("apply", "--plan", plan.toString(), "--no-hold", "--controller", url);
    assertEquals(0, apply.code, apply.out + apply.err);
    assertTrue(apply.out.contains("journey: WAITING in LOGICAL_SETUP"), apply.out);
    assertFalse(apply.out.contains("held before"), apply.out);
  }

  /** `pgferry apply --amend`: refused with the key and the step that used it (exit 2), else the difference (exit 0). */
  @Test
  void amendShowsTheDifferenceOrTheRefusedKeys() throws Exception {
    Path plan = kit.writePlan(target.url("postgres"), PlanBuilder.PhaseTimeout.ARCHIVE_REPLICA, Duration.ofMinutes(1));
    assertEquals(0, cli("apply", "--plan", plan.toString(), "--no-hold", "--controller", url).code);
    String text = Files.readString(plan);

    Path changed = Files.writeString(dir.resolve("changed.yaml"), text + "durability: async\n");
    Result refused = cli("apply", "--amend", changed.toString(), "--controller", url);
    assertEquals(2, refused.code, refused.out + refused.err);
    assertTrue(refused.err.contains("refused: durability: used by cutover_1.promote_a (done)"), refused.err);

    Path completed = Files.writeString(dir.resolve("completed.yaml"), text
        + "logical:\n  replication_password: env:PATH\n  target_address: 10.0.3.7/32\n");
    Result amended = cli("apply", "--amend", completed.toString(), "--controller", url);
    assertEquals(0, amended.code, amended.out + amended.err);
    assertTrue(amended.out.contains("+ logical.target_address: 10.0.3.7/32"), amended.out);
    assertTrue(amended.out.contains("`pgferry resume` continues the journey with it"), amended.out);

    Result neither = cli("apply", "--controller", url);
    assertEquals(2, neither.code);
    assertTrue(neither.err.contains("give the plan with --plan FILE, or the amended plan"), neither.err);
  }

  @Test
  void aBadPlanIsRefusedBeforeReachingTheController() throws Exception {
    Path plan = Files.writeString(dir.resolve("bad.yaml"), "nodes: {archive_replica: a}\n");
    Result r = cli("apply", "--plan", plan.toString(), "--controller", url);
    assertEquals(2, r.code);
    assertTrue(r.err.contains("bad.yaml:1:8: error: nodes: missing key 'standby'"), r.err);
  }

  record Result(int code, String out, String err) {}

  static synchronized Result cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = System.out;
    PrintStream e = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Cli.execute(new PgferryMain(), args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(o);
      System.setErr(e);
    }
  }
}
