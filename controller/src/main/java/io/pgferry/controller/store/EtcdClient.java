package io.pgferry.controller.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A small blocking client of etcd's v3 API through its JSON gRPC gateway (POST /v3/kv/range, /v3/kv/txn,
 * /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke; keys and values base64). Not jetcd: jetcd 0.8.6 is on
 * Vert.x 5 but brings grpc-java 1.76 with grpc-netty, a second gRPC stack whose Netty and protobuf versions would have
 * to be aligned with Vert.x's; this needs nothing but the JDK. Tries the endpoints in turn until one answers.
 * Blocking: call from worker threads only.
 */
public final class EtcdClient implements AutoCloseable {
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  private final List<URI> endpoints;
  private final Duration timeout;
  private final HttpClient http;
  private volatile int preferred;
  private volatile boolean closed;

  /** One key's value and revisions. */
  public record KeyValue(String key, String value, long createRevision, long modRevision, long version, long lease) {}

  /** A condition of a transaction; {@code target} one of VERSION, CREATE, MOD, VALUE. */
  public record Compare(String key, String target, long number) {
    JsonObject json() {
      JsonObject c = new JsonObject().put("key", b64(key)).put("target", target).put("result", "EQUAL");
      switch (target) {
        case "VERSION" -> c.put("version", Long.toString(number));
        case "CREATE" -> c.put("create_revision", Long.toString(number));
        case "MOD" -> c.put("mod_revision", Long.toString(number));
        default -> throw new IllegalArgumentException(target);
      }
      return c;
    }
  }

  /** A transaction's outcome: whether the compares held, and the revision of the store after it. */
  public record TxnResult(boolean succeeded, long revision) {}

  public EtcdClient(List<String> endpoints, Duration timeout) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no etcd endpoints");
    }
    this.endpoints = endpoints.stream().map(e -> URI.create(e.contains("://") ? e : "http://" + e)).toList();
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
  }

  public List<KeyValue> range(String key, String rangeEnd) throws IOException {
    JsonObject req = new JsonObject().put("key", b64(key));
    if (rangeEnd != null) {
      req.put("range_end", b64(rangeEnd));
    }
    JsonArray kvs = call("/v3/kv/range", req).getJsonArray("kvs", new JsonArray());
    List<KeyValue> out = new ArrayList<>();
    for (int i = 0; i < kvs.size(); i++) {
      JsonObject kv = kvs.getJsonObject(i);
      out.add(new KeyValue(unb64(kv.getString("key")), unb64(kv.getString("value", "")),
          num(kv, "create_revision"), num(kv, "mod_revision"), num(kv, "version"), num(kv, "lease")));
    }
    return out;
  }

  public Optional<KeyValue> get(String key) throws IOException {
    return range(key, null).stream().findFirst();
  }

  /** Puts {@code value} at {@code key} (with {@code lease} unless 0) when every compare holds. */
  public TxnResult putIf(List<Compare> compares, String key, String value, long lease) throws IOException {
    JsonObject put = new JsonObject().put("key", b64(key)).put("value", b64(value));
    if (lease != 0) {
      put.put("lease", Long.toString(lease));
    }
    JsonArray cmp = new JsonArray();
    compares.forEach(c -> cmp.add(c.json()));
    JsonObject resp = call("/v3/kv/txn", new JsonObject().put("compare", cmp)
        .put("success", new JsonArray().add(new JsonObject().put("request_put", put))));
    return new TxnResult(resp.getBoolean("succeeded", false), num(resp.getJsonObject("header", new JsonObject()), "revision"));
  }

  /** Deletes {@code key} when every compare holds. */
  public boolean deleteIf(List<Compare> compares, String key) throws IOException {
    JsonArray cmp = new JsonArray();
    compares.forEach(c -> cmp.add(c.json()));
    JsonObject resp = call("/v3/kv/txn", new JsonObject().put("compare", cmp).put("success", new JsonArray()
        .add(new JsonObject().put("request_delete_range", new JsonObject().put("key", b64(key))))));
    return resp.getBoolean("succeeded", false);
  }

  /** A new lease of {@code ttlSeconds}; returns its id. */
  public long grant(long ttlSeconds) throws IOException {
    return num(call("/v3/lease/grant", new JsonObject().put("TTL", Long.toString(ttlSeconds))), "ID");
  }

  /** Renews the lease; returns its TTL in seconds, 0 when the lease is gone. */
  public long keepAlive(long lease) throws IOException {
    JsonObject resp = call("/v3/lease/keepalive", new JsonObject().put("ID", Long.toString(lease)));
    return num(resp.getJsonObject("result", resp), "TTL");
  }

  public void revoke(long lease) throws IOException {
    call("/v3/lease/revoke", new JsonObject().put("ID", Long.toString(lease)));
  }

  /**
   * Each member's {@code GET /health} (asked at once, each within the client's timeout): endpoint (host:port) ->
   * whether it answered {@code "health":"true"} (a member without quorum or out of reach: false).
   */
  public Map<String, Boolean> health() {
    Map<String, CompletableFuture<Boolean>> asked = new LinkedHashMap<>();
    for (URI e : endpoints) {
      asked.put(e.getAuthority(), http.sendAsync(HttpRequest.newBuilder(e.resolve("/health")).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofString())
          .thenApply(r -> r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\""))
          .exceptionally(t -> false));
    }
    Map<String, Boolean> out = new LinkedHashMap<>();
    asked.forEach((endpoint, answer) -> out.put(endpoint, answer.join()));
    return out;
  }

  private JsonObject call(String path, JsonObject body) throws IOException {
    if (closed) {
      throw new IOException("etcd client closed");
    }
    IOException last = null;
    int start = preferred;
    for (int i = 0; i < endpoints.size(); i++) {
      int n = (start + i) % endpoints.size();
      URI uri = endpoints.get(n).resolve(path);
      HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).header("Content-Type", "application/json").build();
      try {
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        JsonObject json = resp.body().isBlank() ? new JsonObject() : new JsonObject(resp.body().lines().findFirst().orElse("{}"));
        if (resp.statusCode() != 200 || json.containsKey("error")) {
          last = new IOException("etcd " + uri + ": HTTP " + resp.statusCode() + " " + resp.body().strip());
          if (resp.statusCode() >= 500) {
            continue; // e.g. a member without quorum: another may have it
          }
          throw last;
        }
        preferred = n;
        return json;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted talking to etcd", e);
      } catch (IOException e) {
        last = e instanceof HttpTimeoutException ? new IOException("etcd " + uri + ": no answer within "
            + timeout.toMillis() + " ms", e) : e;
      }
    }
    throw last;
  }

  static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String unb64(String s) {
    return new String(B64D.decode(s), StandardCharsets.UTF_8);
  }

  private static long num(JsonObject o, String field) {
    Object v = o.getValue(field);
    return v == null ? 0 : Long.parseLong(v.toString());
  }

  /** The end of the range of keys that start with {@code prefix} (its last byte plus one). */
  public static String prefixEnd(String prefix) {
    char last = prefix.charAt(prefix.length() - 1);
    return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
  }

  @Override
  public void close() {
    closed = true;
  }
}
