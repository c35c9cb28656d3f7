package io.pgferry.controller.switching;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Secrets;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Switches a Heroku app through the Platform API v3 (reference/cutover-mechanics.md §1):
 * <ul>
 *   <li>block: {@code PATCH /apps/{app} {"maintenance":true}} (stops HTTP only: workers, scheduler and one-off
 *       dynos keep writing, which is why the cutover also fences the database), then optionally
 *       {@code PATCH /apps/{app}/formation/{type} {"quantity":0}} for each listed process type, remembering the
 *       old quantities in a state file so a resumed run restores the right numbers;</li>
 *   <li>repoint: {@code PATCH /apps/{app}/config-vars {VAR: url}} (a config change makes a release and restarts
 *       the dynos by itself) - skipped when the value is already there, since every PATCH restarts the app;</li>
 *   <li>unblock: restore the quantities, then maintenance off.</li>
 * </ul>
 * Every change is read back. RateLimit-Remaining is honoured (slow down when low); 429 and 5xx are retried with
 * backoff; 401/403/404 become errors that say what to fix. The token is never logged.
 */
public final class HerokuSwitcher implements AppSwitcher {
  private static final Logger LOG = Logger.getLogger(HerokuSwitcher.class.getName());
  static final String ACCEPT = "application/vnd.heroku+json; version=3";
  private static final int LOW_RATE_LIMIT = 20;
  private static final Duration MAX_DELAY = Duration.ofSeconds(60);

  private final SwitchSettings.Heroku settings;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final ObjectMapper json = new ObjectMapper();
  private volatile long rateLimitRemaining = -1;

  public HerokuSwitcher(SwitchSettings.Heroku settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "heroku";
  }

  private String appPath() {
    return "/apps/" + enc(settings.app());
  }

  @Override
  public void blockWrites() throws SwitchException {
    setMaintenance(true);
    try {
      stopProcessTypes();
    } catch (SwitchException e) {
      try {
        unblock();
      } catch (SwitchException undo) {
        throw new SwitchException(e.getMessage() + "; undoing failed too: " + undo.getMessage(), e);
      }
      throw new SwitchException(e.getMessage() + "; maintenance was turned off again and quantities restored", e);
    }
  }

  private void setMaintenance(boolean on) throws SwitchException {
    JsonNode app = call("GET", appPath(), null);
    if (app.path("maintenance").asBoolean() != on) {
      ObjectNode body = json.createObjectNode().put("maintenance", on);
      call("PATCH", appPath(), body);
      app = call("GET", appPath(), null);
      if (app.path("maintenance").asBoolean() != on) {
        throw new SwitchException("heroku app " + settings.app() + ": maintenance still " + !on + " after PATCH");
      }
    }
    LOG.info("heroku app " + settings.app() + ": maintenance " + (on ? "on" : "off"));
  }

  private void stopProcessTypes() throws SwitchException {
    if (settings.stopProcessTypes().isEmpty()) {
      return;
    }
    Map<String, Integer> current = formation();
    Path state = stateFile();
    if (!Files.exists(state)) {
      Map<String, Integer> original = new LinkedHashMap<>();
      for (String type : settings.stopProcessTypes()) {
        if (!current.containsKey(type)) {
          throw new SwitchException("heroku app " + settings.app() + ": no process type '" + type + "' in its formation (has "
              + current.keySet() + "); fix heroku.stop_process_types");
        }
        original.put(type, current.get(type));
      }
      try {
        AtomicFiles.write(state, json.writeValueAsBytes(original));
      } catch (IOException e) {
        throw new SwitchException("cannot write " + state + ": " + e.getMessage(), e);
      }
    }
    for (String type : settings.stopProcessTypes()) {
      setQuantity(type, 0, current.getOrDefault(type, 0));
    }
  }

  private void setQuantity(String type, int quantity, int now) throws SwitchException {
    if (now != quantity) {
      call("PATCH", appPath() + "/formation/" + enc(type), json.createObjectNode().put("quantity", quantity));
    }
    int after = formation().getOrDefault(type, -1);
    if (after != quantity) {
      throw new SwitchException("heroku app " + settings.app() + ": process type " + type + " has quantity " + after + ", wanted " + quantity);
    }
    LOG.info("heroku app " + settings.app() + ": " + type + "=" + quantity);
  }

  private Map<String, Integer> formation() throws SwitchException {
    Map<String, Integer> quantities = new LinkedHashMap<>();
    for (JsonNode f : call("GET", appPath() + "/formation", null)) {
      quantities.put(f.path("type").asText(), f.path("quantity").asInt());
    }
    return quantities;
  }

  private Path stateFile() {
    return settings.stateDir().resolve("heroku-formation-" + settings.app() + ".json");
  }

  @Override
  public void repoint(DatabaseEndpoint target) throws SwitchException {
    String url = target.url(Secrets.resolve(target.passwordRef(), "target password"));
    String var = settings.configVar();
    if (url.equals(call("GET", appPath() + "/config-vars", null).path(var).asText(null))) {
      LOG.info("heroku app " + settings.app() + ": " + var + " already points at " + target.redactedUrl());
      return;
    }
    ObjectNode body = json.createObjectNode().put(var, url);
    JsonNode result = call("PATCH", appPath() + "/config-vars", body);
    if (!url.equals(result.path(var).asText(null)) || !url.equals(call("GET", appPath() + "/config-vars", null).path(var).asText(null))) {
      throw new SwitchException("heroku app " + settings.app() + ": " + var + " does not read back as " + target.redactedUrl() + " after PATCH");
    }
    LOG.info("heroku app " + settings.app() + ": " + var + " set to " + target.redactedUrl() + " (the app restarts with it)");
  }

  @Override
  public void unblock() throws SwitchException {
    if (!settings.stopProcessTypes().isEmpty() && Files.exists(stateFile())) {
      Map<String, Integer> original;
      try {
        JsonNode saved = json.readTree(Files.readAllBytes(stateFile()));
        original = new LinkedHashMap<>();
        saved.fields().forEachRemaining(e -> original.put(e.getKey(), e.getValue().asInt()));
      } catch (IOException e) {
        throw new SwitchException("cannot read " + stateFile() + ": " + e.getMessage(), e);
      }
      Map<String, Integer> current = formation();
      for (Map.Entry<String, Integer> e : original.entrySet()) {
        setQuantity(e.getKey(), e.getValue(), current.getOrDefault(e.getKey(), 0));
      }
      try {
        Files.delete(stateFile());
      } catch (IOException e) {
        throw new SwitchException("cannot remove " + stateFile() + ": " + e.getMessage(), e);
      }
    }
    setMaintenance(false);
  }

  @Override
  public DatabaseEndpoint current() throws SwitchException {
    String url = call("GET", appPath() + "/config-vars", null).path(settings.configVar()).asText(null);
    if (url == null) {
      throw new SwitchException("heroku app " + settings.app() + ": config var " + settings.configVar() + " is not set");
    }
    try {
      return DatabaseEndpoint.fromUrl(url);
    } catch (IllegalArgumentException e) {
      throw new SwitchException("heroku app " + settings.app() + ": " + settings.configVar() + " is not a postgres URL: " + Secrets.redact(url));
    }
  }

  @Override
  public List<String> describeBlock() {
    String base = settings.apiUrl() + appPath();
    List<String> lines = new ArrayList<>();
    lines.add("PATCH " + base + " {\"maintenance\": true}; GET " + base + " must show maintenance=true"
        + " (HTTP only: workers keep writing until the database fence)");
    for (String type : settings.stopProcessTypes()) {
      lines.add("PATCH " + base + "/formation/" + type + " {\"quantity\": 0} (old quantity saved in " + stateFile() + ")");
    }
    lines.add(headers());
    return lines;
  }

  @Override
  public List<String> describeRepoint(DatabaseEndpoint target) {
    String base = settings.apiUrl() + appPath();
    return List.of("PATCH " + base + "/config-vars {\"" + settings.configVar() + "\": \"" + target.redactedUrl()
        + "\"} (password from " + target.passwordRef() + "; makes a release and restarts the dynos); GET it back", headers());
  }

  @Override
  public List<String> describeUnblock() {
    String base = settings.apiUrl() + appPath();
    List<String> lines = new ArrayList<>();
    for (String type : settings.stopProcessTypes()) {
      lines.add("PATCH " + base + "/formation/" + type + " {\"quantity\": <saved>}");
    }
    lines.add("PATCH " + base + " {\"maintenance\": false}");
    lines.add(headers());
    return lines;
  }

  private String headers() {
    return "headers: Accept: " + ACCEPT + ", Authorization: Bearer <" + settings.tokenRef() + ">";
  }

  /** One API call with rate-limit pacing and retries of 429/5xx/IO errors; an interrupt ends it at once. */
  JsonNode call(String method, String path, JsonNode body) throws SwitchException {
    try {
      return send(method, path, body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SwitchException("heroku: " + method + " " + path + " interrupted", e);
    }
  }

  private JsonNode send(String method, String path, JsonNode body) throws SwitchException, InterruptedException {
    String token = Secrets.resolve(settings.tokenRef(), "heroku token");
    if (token == null || token.isBlank()) {
      throw new SwitchException("heroku: no API token (set " + settings.tokenRef() + ")");
    }
    URI uri = URI.create(settings.apiUrl().toString().replaceAll("/+$", "") + path);
    String what = method + " " + path;
    for (int attempt = 0; ; attempt++) {
      paceForRateLimit();
      HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
          .header("Accept", ACCEPT)
          .header("Authorization", "Bearer " + token)
          .header("User-Agent", "pgferry");
      if (body != null) {
        req.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
      } else {
        req.method(method, HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> resp;
      try {
        resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        if (attempt + 1 >= settings.maxAttempts()) {
          throw new SwitchException("heroku: " + what + " failed after " + (attempt + 1) + " attempts: " + e.getMessage(), e);
        }
        sleep(delay(attempt, null));
        continue;
      }
      resp.headers().firstValue("RateLimit-Remaining").ifPresent(v -> rateLimitRemaining = parseLong(v, -1));
      int status = resp.statusCode();
      if (status / 100 == 2) {
        return parse(resp.body());
      }
      JsonNode error = parse(resp.body());
      String id = error.path("id").asText("");
      String message = error.path("message").asText(resp.body());
      boolean retriable = status == 429 || status >= 500;
      if (retriable && attempt + 1 < settings.maxAttempts()) {
        Duration d = delay(attempt, resp.headers().firstValue("Retry-After").orElse(null));
        LOG.warning("heroku: " + what + " answered " + status + " " + id + "; retrying in " + d.toMillis() + " ms");
        sleep(d);
        continue;
      }
      throw new SwitchException("heroku: " + what + " answered " + status + (id.isEmpty() ? "" : " " + id) + ": " + message + "; "
          + advice(status, attempt + 1));
    }
  }

  private String advice(int status, int attempts) {
    return switch (status) {
      case 401 -> "the API token from " + settings.tokenRef() + " was refused: check it (heroku auth:token) and that it has not expired";
      case 403 -> "the token's user may not change app " + settings.app() + ": it needs the deploy/operate permission on it";
      case 404 -> "app " + settings.app() + " (or that process type) does not exist or this token cannot see it: check heroku.app";
      case 429 -> "rate limited " + attempts + " times in a row (RateLimit-Remaining " + rateLimitRemaining + "); wait a minute and retry";
      default -> "see the message above";
    };
  }

  /** Slows down when the token bucket is nearly empty instead of running into 429s. */
  private void paceForRateLimit() throws InterruptedException {
    long remaining = rateLimitRemaining;
    if (remaining >= 0 && remaining < LOW_RATE_LIMIT) {
      sleep(remaining == 0 ? settings.retryDelay().multipliedBy(4) : settings.retryDelay());
    }
  }

  private Duration delay(int attempt, String retryAfter) {
    if (retryAfter != null) {
      long seconds = parseLong(retryAfter.trim(), -1);
      if (seconds >= 0) {
        return Duration.ofSeconds(Math.min(seconds, MAX_DELAY.toSeconds()));
      }
    }
    Duration d = settings.retryDelay().multipliedBy(1L << Math.min(attempt, 6));
    return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
  }

  private JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (IOException e) {
      return json.createObjectNode().put("message", body);
    }
  }

  private static long parseLong(String s, long fallback) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
