package io.pgferry.controller.web;

import static io.pgferry.controller.web.JourneyApiTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.certs.CertificateAuthority;
import io.pgferry.controller.certs.PemFiles;
import io.pgferry.controller.cli.ApiCredentials;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control API as an attacker on the network meets it (issue #13 item 1): a real controller daemon with
 * controller.yaml's tls, spoken to over real HTTPS. Each test is one attack, refused, or one credential, accepted.
 */
class ControlApiSecurityTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";
  private static final String GOAL = "{\"state\":\"PRIMARY\"}";

  @TempDir
  static Path tmp;
  static Path certs;
  static Path otherCerts;
  static Path tokenFile;
  static Vertx vertx;
  static ControllerDaemon controller;
  static String api;

  @BeforeAll
  static void start() throws Exception {
    certs = tmp.resolve("certs");
    new CertificateAuthority(certs, Duration.ofDays(1), Duration.ofDays(1)).init(List.of(), List.of("a"), List.of("alice"), false);
    otherCerts = tmp.resolve("other");
    new CertificateAuthority(otherCerts, Duration.ofDays(1), Duration.ofDays(1)).init(List.of(), List.of(), List.of("alice"), false);
    tokenFile = Files.writeString(tmp.resolve("api-token"), TOKEN + "\n");
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    vertx = Vertx.vertx();
    controller = await(ControllerDaemon.start(vertx, ControllerConfig.parse("c.yaml", tlsYaml()
        + "http: {host: 127.0.0.1, port: 0, token_file: " + tokenFile + "}\n")));
    api = "https://127.0.0.1:" + controller.httpPort();
  }

  @AfterAll
  static void stop() throws Exception {
    if (controller != null) {
      await(controller.close());
    }
    await(vertx.close());
  }

  @Test
  void withoutCredentialsEveryControlRequestIsRefusedWithJsonSayingWhatIsExpected() throws Exception {
    HttpClient anonymous = credentials(null, certs.resolve("ca.pem"), null).httpClient();
    for (HttpResponse<String> r : List.of(send(anonymous, get("/api/nodes")), send(anonymous, get("/")),
        send(anonymous, get("/api/journey")), send(anonymous, postJson("/api/nodes/z/goal", GOAL)),
        send(anonymous, postJson("/api/journey/abort", "{}")), send(anonymous, postJson("/api/some-route-added-later", "{}")))) {
      assertEquals(401, r.statusCode(), r.uri() + " " + r.body());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
      String error = new JsonObject(r.body()).getString("error");
      assertTrue(error.contains("operator-NAME") && error.contains("http.token_file"), error);
    }
    assertTrue(controller.directory().node("z").isEmpty(), "the refused goal changed nothing");
  }

  @Test
  void healthAndMetricsNeedNoCredential() throws Exception {
    HttpClient anonymous = credentials(null, certs.resolve("ca.pem"), null).httpClient();
    assertEquals(200, send(anonymous, get("/health")).statusCode());
    assertEquals(200, send(anonymous, get("/metrics")).statusCode());
  }

  @Test
  void theMetricsListenerServesMetricsAndHealthWithoutCredentialsAndNothingElse() throws Exception {
    HttpClient plain = HttpClient.newHttpClient();
    String metrics = "http://127.0.0.1:" + controller.metricsPort();
    HttpResponse<String> scrape = plain.send(HttpRequest.newBuilder(URI.create(metrics + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, scrape.statusCode());
    assertTrue(scrape.body().contains("pgferry_"), scrape.body());
    assertEquals(200, plain.send(HttpRequest.newBuilder(URI.create(metrics + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(404, plain.send(HttpRequest.newBuilder(URI.create(metrics + "/api/nodes")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(404, plain.send(HttpRequest.newBuilder(URI.create(metrics + "/api/nodes/a/goal")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(GOAL)).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void anOperatorCertificateIsLetIn() throws Exception {
    HttpClient operator = operator().httpClient();
    assertEquals(200, send(operator, get("/api/nodes")).statusCode());
    HttpResponse<String> page = send(operator, get("/"));
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<script"), "the status page works for a browser with a client certificate");
    HttpResponse<String> goal = send(operator, postJson("/api/nodes/a/goal", GOAL));
    assertEquals(200, goal.statusCode(), goal.body());
  }

  @Test
  void anAgentCertificateFromTheSameCaIsNotAnOperators() throws Exception {
    HttpClient agent = credentials(certs.resolve("agent-a.pem"), certs.resolve("ca.pem"), null).httpClient();
    for (HttpResponse<String> r : List.of(send(agent, get("/api/nodes")), send(agent, postJson("/api/nodes/a/goal", GOAL)))) {
      assertEquals(403, r.statusCode(), r.body());
      String error = new JsonObject(r.body()).getString("error");
      assertTrue(error.contains("CN=agent-a") && error.contains("operator-NAME"), error);
    }
  }

  @Test
  void anOperatorCertificateFromAnotherCaIsRefused() {
    HttpClient foreign = new ApiCredentials(otherCerts.resolve("operator-alice.pem"), otherCerts.resolve("operator-alice.key"),
        certs.resolve("ca.pem"), null).httpClient();
    int status;
    try {
      status = send(foreign, get("/api/nodes")).statusCode();
    } catch (IOException e) {
      status = -1; // the handshake failed: the certificate does not chain to the controller's CA
    }
    assertNotEquals(200, status);
    assertTrue(status == -1 || status == 401 || status == 403, "status " + status);
  }

  @Test
  void theBearerTokenIsLetInAndAWrongOneIsNot() throws Exception {
    HttpClient anonymous = credentials(null, certs.resolve("ca.pem"), null).httpClient();
    HttpResponse<String> right = send(anonymous, get("/api/nodes").header("Authorization", "Bearer " + TOKEN));
    assertEquals(200, right.statusCode(), right.body());
    HttpResponse<String> wrong = send(anonymous, postJson("/api/nodes/a/goal", GOAL).header("Authorization", "Bearer " + TOKEN + "x"));
    assertEquals(401, wrong.statusCode());
    assertTrue(new JsonObject(wrong.body()).getString("error").contains("not the one in the controller's http.token_file"), wrong.body());
    // the CLI's --token-file
    HttpResponse<String> viaFile = send(anonymous, credentials(null, certs.resolve("ca.pem"), tokenFile).authorize(get("/api/nodes")));
    assertEquals(200, viaFile.statusCode());
  }

  @Test
  void aPostThatIsNotJsonIsRefusedWith415() throws Exception {
    HttpClient operator = operator().httpClient();
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
      HttpResponse<String> r = send(operator, post("/api/nodes/a/goal", GOAL, type));
      assertEquals(415, r.statusCode(), type + ": " + r.body());
      assertTrue(new JsonObject(r.body()).getString("error").contains("application/json"), r.body());
    }
    HttpResponse<String> none = send(operator, HttpRequest.newBuilder(URI.create(api + "/api/journey/abort"))
        .POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(415, none.statusCode(), none.body());
  }

  @Test
  void aCrossSitePostIsRefusedEvenWithAnOperatorCertificate() throws Exception {
    HttpClient operator = operator().httpClient();
    HttpResponse<String> foreign = send(operator, postJson("/api/nodes/a/goal", GOAL).header("Origin", "https://evil.example"));
    assertEquals(403, foreign.statusCode(), foreign.body());
    assertTrue(new JsonObject(foreign.body()).getString("error").contains("cross-site"), foreign.body());
    HttpResponse<String> own = send(operator, postJson("/api/nodes/a/goal", GOAL).header("Origin", api));
    assertEquals(200, own.statusCode(), own.body());
  }

  @Test
  void theCliPresentsTheOperatorCertificateOrToken() {
    JourneyApiTest.Result without = cli("nodes", "--controller", api, "--cacert", certs.resolve("ca.pem").toString());
    assertEquals(2, without.code(), without.err());
    assertTrue(without.err().contains("authentication required"), without.err());
    JourneyApiTest.Result withCert = cli("nodes", "--controller", api, "--cacert", certs.resolve("ca.pem").toString(),
        "--cert", certs.resolve("operator-alice.pem").toString());
    assertEquals(0, withCert.code(), withCert.err());
    JourneyApiTest.Result withToken = cli("status", "--controller", api, "--cacert", certs.resolve("ca.pem").toString(),
        "--token-file", tokenFile.toString());
    assertEquals(0, withToken.code(), withToken.err());
    JourneyApiTest.Result wrongCa = cli("nodes", "--controller", api, "--cert", otherCerts.resolve("operator-alice.pem").toString(),
        "--cacert", otherCerts.resolve("ca.pem").toString());
    assertEquals(2, wrongCa.code(), wrongCa.err());
    assertTrue(wrongCa.err().contains("TLS failed"), wrongCa.err());
    assertTrue(cli("status", "--help").out().contains("PGFERRY_CERT"));
  }

  @Test
  void insecureOnANonLoopbackAddressIsAConfigurationError() throws Exception {
    Path file = Files.writeString(tmp.resolve("insecure.yaml"), "insecure: true\nhttp: {host: 0.0.0.0, port: 0}\nstate_dir: " + tmp.resolve("s1") + "\n");
    JourneyApiTest.Result r = cli("controller", "run", "--config", file.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("http.host 0.0.0.0 is not a loopback address"), r.err());
    for (String loopback : List.of("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2")) {
      ControllerConfig.parse("c.yaml", "insecure: true\nhttp: {host: \"" + loopback + "\"}\nstate_dir: /x\n");
    }
  }

  @Test
  void aTokenFileOthersCanReadStopsTheStart() throws Exception {
    Path open = Files.writeString(tmp.resolve("open-token"), TOKEN);
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r-----"));
    Path file = Files.writeString(tmp.resolve("open.yaml"), tlsYaml().replace(tmp.resolve("state").toString(), tmp.resolve("s2").toString())
        + "http: {host: 127.0.0.1, port: 0, token_file: " + open + "}\n");
    JourneyApiTest.Result r = cli("controller", "run", "--config", file.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("http.token_file") && r.err().contains("chmod 600"), r.err());
    assertTrue(!r.err().contains(TOKEN), "the message never shows the token");
  }

  @Test
  void certsInitRunAgainAddsAnOperatorAndKeepsTheCa() throws Exception {
    Path dir = tmp.resolve("again");
    assertEquals(0, cli("certs", "init", dir.toString(), "--agent", "a").code());
    String ca = Files.readString(dir.resolve("ca.pem"));
    String agent = Files.readString(dir.resolve("agent-a.pem"));
    JourneyApiTest.Result again = cli("certs", "init", dir.toString(), "--agent", "a", "--operator", "bob");
    assertEquals(0, again.code(), again.err());
    assertEquals(ca, Files.readString(dir.resolve("ca.pem")));
    assertEquals(agent, Files.readString(dir.resolve("agent-a.pem")));
    assertTrue(again.out().contains("wrote " + dir.resolve("operator-bob.pem")), again.out());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("operator-bob.key"))));
    var operator = PemFiles.certificate(dir.resolve("operator-bob.pem"));
    assertEquals("CN=operator-bob", operator.getSubjectX500Principal().getName());
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), operator.getExtendedKeyUsage());
    operator.verify(PemFiles.certificate(dir.resolve("ca.pem")).getPublicKey());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static String tlsYaml() {
    return "listen: {host: 127.0.0.1, port: 0}\ntls: {ca: " + certs.resolve("ca.pem") + ", cert: " + certs.resolve("controller.pem")
        + ", key: " + certs.resolve("controller.key") + "}\nmetrics: {host: 127.0.0.1, port: 0}\nstate_dir: " + tmp.resolve("state") + "\n";
  }

  private static ApiCredentials operator() {
    return credentials(certs.resolve("operator-alice.pem"), certs.resolve("ca.pem"), null);
  }

  private static ApiCredentials credentials(Path cert, Path ca, Path token) {
    return new ApiCredentials(cert, cert == null ? null : Path.of(cert.toString().replace(".pem", ".key")), ca, token);
  }

  private static HttpRequest.Builder get(String path) {
    return HttpRequest.newBuilder(URI.create(api + path)).GET();
  }

  private static HttpRequest.Builder postJson(String path, String body) {
    return post(path, body, "application/json");
  }

  private static HttpRequest.Builder post(String path, String body, String type) {
    return HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder request) throws IOException {
    try {
      return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
