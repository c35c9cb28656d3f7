package io.pgferry.e2e.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.controller.cli.ApiCredentials;
import io.pgferry.e2e.browser.BrowserCertificate;
import io.pgferry.e2e.browser.HeadlessChromium;
import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The controller's status page in a real headless Chromium (Debian's), during a running journey, with real agents:
 * b is a streaming standby of a real PostgreSQL (its lag is charted), a is the journey's archive replica. The page
 * is loaded once and never reloaded: it must show no journey, then the journey running ARCHIVE_REPLICA after a
 * PREFLIGHT done, then the journey failed when A never catches up (the archive holds only a backup sentinel, no
 * backup), each as the controller's API changes. Screenshots: e2e/target/status-page*.png.
 */
class StatusPageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SNAPSHOT = """
      (() => {
        const $ = (s) => document.querySelector(s);
        return {
          state: $('#journey-state').dataset.state || '',
          stateText: $('#journey-state').textContent,
          summary: $('#journey-summary').textContent,
          phases: [...document.querySelectorAll('#phases li')].map(l => l.dataset.phase + ':' + l.dataset.status),
          phaseText: [...document.querySelectorAll('#phases li')].map(l => l.textContent).join(' | '),
          nodes: [...document.querySelectorAll('#nodes tr[data-node]')].map(r => r.dataset.node + ':' + r.dataset.state),
          journal: [...document.querySelectorAll('#journal tr[data-event]')].map(r => r.dataset.event),
          lines: [...document.querySelectorAll('#lag-chart path[data-node]')].map(p => p.dataset.node),
          controlStore: $('#control-store').textContent,
          controlSummary: $('#control-summary').textContent,
          updates: Number(document.body.dataset.updates || 0),
          connection: $('#connection').textContent
        };
      })()""";

  @Test
  void thePageFollowsARunningJourneyLive() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    Path shots = Launchers.repo().resolve("e2e/target");
    try (Workspace ws = Workspace.create("status-page"); Rig rig = new Rig(ws, List.of("a", "b"));
         PgCluster upstream = PgCluster.init(ws, "upstream", bin, Map.of()).start()) {
      rig.initCerts().startController();
      upstream.execute("create table t(id bigserial primary key, note text)");
      rig.startAgent("a", bin, ws.root().resolve("a"), FreePorts.next(), null);
      rig.startAgent("b", bin, ws.root().resolve("b"), FreePorts.next(), null);
      rig.api().assign("b", "{\"state\":\"STREAMING_STANDBY\",\"upstream\":{\"host\":\"127.0.0.1\",\"port\":"
          + upstream.port() + ",\"user\":\"postgres\"}}");
      rig.awaitState("b", "STREAMING_STANDBY", Duration.ofMinutes(3));

      String page = rig.controllerUrl() + "/";
      try (HeadlessChromium stranger = HeadlessChromium.open("about:blank", ws.root().resolve("chromium-stranger"),
          rig.logs().resolve("chromium-stranger.log"), 1280, 1000)) {
        // a browser without pgferry's CA or an operator certificate: told it needs one
        stranger.call("Security.setIgnoreCertificateErrors", JSON.createObjectNode().put("ignore", true));
        navigate(stranger, page);
        Await.until("the page to answer 401 without a credential", Duration.ofSeconds(30),
            () -> stranger.eval("document.body ? document.body.innerText : ''").asText().contains("authentication required"),
            () -> stranger.eval("document.body ? document.body.innerText : ''").asText());
      }
      // the operator's browser: the certificate `pgferry certs init --operator rig` issued, pgferry's CA trusted (no
      // certificate error to ignore), auto-selected for the controller's address; no token anywhere
      ApiCredentials operator = rig.operatorCredentials();
      String origin = page.substring(0, page.length() - 1);
      try (BrowserCertificate home = BrowserCertificate.install(ws.root().resolve("operator-home"), operator.cert(),
          operator.key(), operator.cacert(), origin);
           HeadlessChromium chromium = HeadlessChromium.open("about:blank", ws.root().resolve("chromium-profile"), home,
               rig.logs().resolve("chromium.log"), 1280, 1000)) {
        navigate(chromium, page);
        JsonNode before = awaitPage(chromium, "the page to show no journey and both nodes, b streaming",
            s -> s.path("state").asText().equals("IDLE") && s.path("nodes").toString().contains("b:STREAMING_STANDBY")
                && s.path("nodes").toString().contains("a:"));
        assertTrue(before.path("summary").asText().contains("No journey yet"), before.toString());
        assertEquals("live", before.path("connection").asText(), before.toString());
        assertEquals("embedded", before.path("controlStore").asText(), "the control plane card: " + before);
        assertEquals("one controller (embedded store)", before.path("controlSummary").asText(), before.toString());

        // WAL for the chart: b's line exists while a journey runs beside it
        upstream.execute("insert into t(note) select repeat('x', 200) from generate_series(1, 20000)");
        String answer = rig.api().post("/api/journey/apply", Map.of("name", "plan.yaml", "plan", plan(ws, upstream), "hold", "none"));
        assertTrue(answer.startsWith("202 "), answer);
        assertTrue(answer.contains("started"), answer);

        JsonNode running = awaitPage(chromium, "the page to show ARCHIVE_REPLICA running after PREFLIGHT done",
            s -> s.path("state").asText().equals("RUNNING")
                && s.path("phases").toString().contains("PREFLIGHT:done")
                && s.path("phases").toString().contains("ARCHIVE_REPLICA:running")
                && s.path("summary").asText().contains("ARCHIVE_REPLICA")
                && s.path("journal").toString().contains("PHASE_STARTED")
                && s.path("lines").toString().contains("b"));
        assertTrue(running.path("phaseText").asText().contains("STANDBY"), "the next phases are listed: " + running);
        assertTrue(running.path("phaseText").asText().contains("next"), "the next phase is marked: " + running);
        assertTrue(running.path("updates").asInt() > before.path("updates").asInt(), "updated without a reload");
        upstream.execute("insert into t(note) select repeat('y', 200) from generate_series(1, 100000)");
        int updates = running.path("updates").asInt();
        awaitPage(chromium, "three more updates (a few more seconds on the chart)", s -> s.path("updates").asInt() >= updates + 3);
        chromium.screenshot(shots.resolve("status-page.png"));

        JsonNode failed = awaitPage(chromium, "the page to show the journey failed in ARCHIVE_REPLICA",
            s -> s.path("state").asText().equals("FAILED") && s.path("phases").toString().contains("ARCHIVE_REPLICA:failed")
                && s.path("journal").toString().contains("STEP_FAILED"));
        assertTrue(failed.path("phases").toString().contains("PREFLIGHT:done"), failed.toString());
        assertTrue(failed.path("stateText").asText().contains("FAILED"), failed.toString());
        chromium.screenshot(shots.resolve("status-page-failed.png"));
      }
      assertTrue(Files.size(shots.resolve("status-page.png")) > 10_000, "a real picture");
    }
  }

  /** A journey that passes PREFLIGHT and then waits for A in ARCHIVE_REPLICA until its timeout. */
  private static String plan(Workspace ws, PgCluster target) {
    return PlanBuilder.plan().archiveTimeout(Duration.ofSeconds(1))
        .archiveDir(FakeArchive.withBackup(ws.root().resolve("archive"), "{\"expanded_size_bytes\": 1000}"))
        .target(target.url("postgres")).pollInterval(Duration.ofMillis(200))
        .timeout(PlanBuilder.PhaseTimeout.ARCHIVE_REPLICA, Duration.ofSeconds(30))
        .timeout(PlanBuilder.PhaseTimeout.CUTOVER_1, Duration.ofSeconds(5)).yaml();
  }

  private static void navigate(HeadlessChromium chromium, String url) {
    chromium.call("Page.navigate", JSON.createObjectNode().put("url", url));
  }

  private static JsonNode awaitPage(HeadlessChromium chromium, String what, Predicate<JsonNode> ok) {
    List<JsonNode> seen = new ArrayList<>();
    Await.until(what, Duration.ofSeconds(90), () -> {
      JsonNode s = chromium.eval(SNAPSHOT);
      seen.add(s);
      return ok.test(s);
    }, () -> seen.isEmpty() ? "(nothing)" : seen.get(seen.size() - 1).toString());
    return seen.get(seen.size() - 1);
  }
}
