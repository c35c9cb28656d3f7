package io.pgferry.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the few Heroku Platform API v3 endpoints pgferry uses, as the published schema
 * (reference/heroku-platform-api-schema.json) and reference/cutover-mechanics.md §1 describe them:
 * <ul>
 *   <li>{@code GET|PATCH /apps/{app}} (PATCH body: maintenance, name, build_stack)</li>
 *   <li>{@code GET|PATCH /apps/{app}/config-vars} (PATCH: a flat object, null deletes; answers the whole map)</li>
 *   <li>{@code GET /apps/{app}/formation}, {@code GET|PATCH /apps/{app}/formation/{type}} (PATCH: quantity)</li>
 * </ul>
 * Requests need {@code Accept: application/vnd.heroku+json; version=3} (else 406 not_acceptable) and
 * {@code Authorization: Bearer <token>} (else 401 unauthorized). Every answer carries RateLimit-Remaining;
 * {@link #rateLimitNext(int)} makes the next N requests answer 429 rate_limit. Every request is recorded in
 * order, for assertions. A config-var change counts as a release that restarts the dynos ({@link #releases()}).
 */
public final class HerokuStandIn implements AutoCloseable {
  /** One request as received, with the status it got. */
  public record Call(String method, String path, String body, int status) {
    @Override
    public String toString() {
      return method + " " + path + (body.isEmpty() ? "" : " " + body) + " -> " + status;
    }
  }

  /** One app's state. */
  public static final class App {
    final String id = UUID.randomUUID().toString();
    final String name;
    volatile boolean maintenance;
    final Map<String, String> configVars = new LinkedHashMap<>();
    final Map<String, Integer> formation = new LinkedHashMap<>();

    App(String name) {
      this.name = name;
    }

    public synchronized boolean maintenance() {
      return maintenance;
    }

    public synchronized String configVar(String key) {
      return configVars.get(key);
    }

    public synchronized Integer quantity(String type) {
      return formation.get(type);
    }
  }

  private static final Pattern APP = Pattern.compile("^/apps/([^/]+)(/config-vars|/formation(?:/([^/]+))?)?/?$");
  private static final int BUCKET = 4500;

  private final HttpServer server;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, App> apps = new ConcurrentHashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Consumer<App>> onRelease = new CopyOnWriteArrayList<>();
  private final AtomicInteger remaining = new AtomicInteger(BUCKET);
  private final AtomicInteger rateLimited = new AtomicInteger();
  private final AtomicInteger releases = new AtomicInteger();
  private volatile String token;

  private HerokuStandIn(String token) {
    this.token = token;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "heroku-standin");
      t.setDaemon(true);
      return t;
    }));
  }

  /** Starts on a free loopback port, accepting {@code token}. */
  public static HerokuStandIn start(String token) {
    HerokuStandIn s = new HerokuStandIn(token);
    s.server.start();
    return s;
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Creates (or returns) an app with these config vars and process quantities. */
  public App app(String name, Map<String, String> configVars, Map<String, Integer> formation) {
    App app = apps.computeIfAbsent(name, App::new);
    synchronized (app) {
      app.configVars.putAll(configVars);
      app.formation.putAll(formation);
    }
    return app;
  }

  public App app(String name) {
    return apps.get(name);
  }

  /** The next {@code n} requests answer 429 rate_limit. */
  public void rateLimitNext(int n) {
    rateLimited.set(n);
  }

  public void token(String newToken) {
    this.token = newToken;
  }

  /** Called after every config-var change, like the restart a Heroku release causes (e.g. to repoint a ledger). */
  public void onRelease(Consumer<App> action) {
    onRelease.add(action);
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Calls that changed something (PATCH) and succeeded, in order. */
  public List<Call> changes() {
    return calls.stream().filter(c -> c.method().equals("PATCH") && c.status() / 100 == 2).toList();
  }

  public int releases() {
    return releases.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getRawPath();
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    int status;
    JsonNode answer;
    String accept = ex.getRequestHeaders().getFirst("Accept");
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (accept == null || !accept.replace(" ", "").startsWith("application/vnd.heroku+json;version=3")) {
      status = 406;
      answer = error("not_acceptable", "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`.");
    } else if (auth == null || !auth.equals("Bearer " + token)) {
      status = 401;
      answer = error("unauthorized", "Invalid credentials provided.");
    } else if (rateLimited.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      status = 429;
      remaining.set(0);
      answer = error("rate_limit", "Your account reached the API rate limit. Please wait a few minutes before making new requests.");
    } else {
      remaining.updateAndGet(n -> n <= 0 ? BUCKET - 1 : n - 1);
      Object[] result = route(method, path, body);
      status = (Integer) result[0];
      answer = (JsonNode) result[1];
    }
    calls.add(new Call(method, path, body, status));
    byte[] out = json.writeValueAsBytes(answer);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set("RateLimit-Remaining", String.valueOf(remaining.get()));
    ex.sendResponseHeaders(status, out.length);
    ex.getResponseBody().write(out);
    ex.close();
  }

  private Object[] route(String method, String path, String body) {
    Matcher m = APP.matcher(path);
    if (!m.matches()) {
      return new Object[] {404, error("not_found", "The requested API endpoint was not found.")};
    }
    App app = apps.get(URLDecoder.decode(m.group(1), StandardCharsets.UTF_8));
    if (app == null) {
      return new Object[] {404, error("not_found", "Couldn't find that app.")};
    }
    String sub = m.group(2) == null ? "" : m.group(2);
    JsonNode in;
    try {
      in = body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (IOException e) {
      return new Object[] {400, error("bad_request", "Invalid JSON body.")};
    }
    synchronized (app) {
      if (sub.isEmpty()) {
        if (method.equals("PATCH")) {
          if (in.has("maintenance")) {
            app.maintenance = in.get("maintenance").asBoolean();
          }
        } else if (!method.equals("GET")) {
          return new Object[] {405, error("method_not_allowed", method + " not supported here")};
        }
        return new Object[] {200, appJson(app)};
      }
      if (sub.equals("/config-vars")) {
        if (method.equals("PATCH")) {
          if (!in.isObject()) {
            return new Object[] {422, error("invalid_params", "Config vars must be an object.")};
          }
          List<String> keys = new ArrayList<>();
          in.fieldNames().forEachRemaining(keys::add);
          for (String k : keys) {
            if (!k.matches("\\w+")) {
              return new Object[] {422, error("invalid_params", "Invalid config var name " + k)};
            }
            if (in.get(k).isNull()) {
              app.configVars.remove(k);
            } else {
              app.configVars.put(k, in.get(k).asText());
            }
          }
          releases.incrementAndGet();
          onRelease.forEach(a -> a.accept(app));
        }
        ObjectNode vars = json.createObjectNode();
        app.configVars.forEach(vars::put);
        return new Object[] {200, vars};
      }
      String type = m.group(3);
      if (type == null) {
        ArrayNode list = json.createArrayNode();
        app.formation.forEach((t, q) -> list.add(formationJson(app, t, q)));
        return new Object[] {200, list};
      }
      String t = URLDecoder.decode(type, StandardCharsets.UTF_8);
      if (!app.formation.containsKey(t)) {
        return new Object[] {404, error("not_found", "Couldn't find that formation.")};
      }
      if (method.equals("PATCH")) {
        if (!in.path("quantity").isInt()) {
          return new Object[] {422, error("invalid_params", "quantity must be an integer")};
        }
        app.formation.put(t, in.get("quantity").asInt());
      }
      return new Object[] {200, formationJson(app, t, app.formation.get(t))};
    }
  }

  private ObjectNode appJson(App app) {
    ObjectNode n = json.createObjectNode();
    n.put("id", app.id);
    n.put("name", app.name);
    n.put("maintenance", app.maintenance);
    n.put("web_url", "https://" + app.name + ".herokuapp.com/");
    n.putObject("region").put("name", "us");
    n.putObject("stack").put("name", "heroku-24");
    return n;
  }

  private ObjectNode formationJson(App app, String type, int quantity) {
    ObjectNode n = json.createObjectNode();
    n.put("id", UUID.nameUUIDFromBytes((app.name + type).getBytes(StandardCharsets.UTF_8)).toString());
    n.put("type", type);
    n.put("quantity", quantity);
    n.put("size", "standard-1X");
    n.put("command", type.equals("web") ? "bundle exec puma" : "bundle exec sidekiq");
    n.putObject("app").put("id", app.id).put("name", app.name);
    return n;
  }

  private ObjectNode error(String id, String message) {
    return json.createObjectNode().put("id", id).put("message", message);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
