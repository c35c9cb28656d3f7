package io.pgferry.controller.daemon;

import io.pgferry.common.StrictYaml;
import io.pgferry.common.Tls;
import io.pgferry.common.UsageException;
import io.pgferry.controller.plan.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;

/**
 * controller.yaml (see docs/contracts.md). Unknown keys are refused with their line. The agent link runs over
 * mutual TLS unless {@code insecure: true} is set explicitly; the HTTP API binds to loopback unless told otherwise,
 * and with {@code tls} it is HTTPS and takes operator certificates or the bearer token of {@code http.token_file};
 * with {@code insecure: true} it is plain HTTP and may bind to loopback only. /metrics and /health have their own
 * read-only listener ({@code metrics}).
 */
public record ControllerConfig(Listen listen, Boolean insecure, TlsFiles tls, Http http, Metrics metrics, Path stateDir,
                               Long leaseMs, Log log, Store store) {
  public static final int DEFAULT_LINK_PORT = 7400;
  public static final int DEFAULT_HTTP_PORT = 7402;
  /** The PRIMARY lease: short, so a failover meets its 10 s goal; a primary whose lease lapses keeps serving while its standby streams from it (docs/failsafe.md). */
  public static final long DEFAULT_LEASE_MS = 5_000L;
  public static final int DEFAULT_METRICS_PORT = 7403;

  public record Listen(String host, Integer port) {
    public Listen {
      host = host == null ? "0.0.0.0" : host;
      port = port == null ? DEFAULT_LINK_PORT : port;
    }
  }

  public record TlsFiles(Path ca, Path cert, Path key) {}

  /** The control API; {@code tokenFile}: a 0600 file holding the bearer token operators may present instead of a certificate. */
  public record Http(String host, Integer port, Path tokenFile) {
    public Http {
      host = host == null ? "127.0.0.1" : host;
      port = port == null ? DEFAULT_HTTP_PORT : port;
    }
  }

  /** The read-only listener for /metrics and /health (what Prometheus scrapes; no credentials). */
  public record Metrics(String host, Integer port) {
    public Metrics {
      host = host == null ? "127.0.0.1" : host;
      port = port == null ? DEFAULT_METRICS_PORT : port;
    }
  }

  /**
   * Where the durable state lives (docs/ha.md): {@code embedded} (default) keeps it in state_dir for one controller;
   * {@code etcd} keeps it under {@code prefix} in the etcd cluster at {@code endpoints}, shared by several controllers
   * of which the one holding the leader key (an etcd lease of {@code lease_ttl}) acts. {@code advertise}: the address
   * followers name in their 503 answers (default: this controller's http host:port).
   */
  public record Store(String kind, List<String> endpoints, String prefix, String leaseTtl, String advertise) {
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(3);

    public Store {
      kind = kind == null ? "embedded" : kind;
      endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
      prefix = prefix == null ? "/pgferry/default" : prefix;
    }

    public boolean etcd() {
      return kind.equals("etcd");
    }

    public Duration leaseTtlDuration() {
      return leaseTtl == null ? DEFAULT_LEASE_TTL : Durations.parse(leaseTtl);
    }

    void validate(String name) {
      if (!kind.equals("embedded") && !kind.equals("etcd")) {
        throw new UsageException(name + ": store.kind '" + kind + "' is not one of embedded, etcd");
      }
      if (!etcd()) {
        return;
      }
      if (endpoints.isEmpty()) {
        throw new UsageException(name + ": store.kind etcd needs store.endpoints (host:port of each etcd member's client URL)");
      }
      if (!prefix.startsWith("/") || prefix.length() < 2) {
        throw new UsageException(name + ": store.prefix '" + prefix + "' must start with / and name the cluster, e.g. /pgferry/prod");
      }
      Duration ttl;
      try {
        ttl = leaseTtlDuration();
      } catch (IllegalArgumentException e) {
        throw new UsageException(name + ": store.lease_ttl: " + e.getMessage());
      }
      if (ttl.compareTo(Duration.ofSeconds(2)) < 0 || ttl.toMillis() % 1000 != 0) {
        throw new UsageException(name + ": store.lease_ttl " + leaseTtl + " must be whole seconds, at least 2s (etcd's"
            + " shortest lease with its default election timeout)");
      }
    }
  }

  public record Log(Boolean json, String level) {
    public Log {
      json = json != null && json;
      level = level == null ? "info" : level;
    }

    public Level julLevel() {
      return switch (level.toLowerCase(Locale.ROOT)) {
        case "debug" -> Level.FINE;
        case "info" -> Level.INFO;
        case "warn", "warning" -> Level.WARNING;
        case "error" -> Level.SEVERE;
        default -> throw new UsageException("log.level '" + level + "' is not one of debug, info, warn, error");
      };
    }
  }

  public ControllerConfig {
    listen = listen == null ? new Listen(null, null) : listen;
    insecure = insecure != null && insecure;
    http = http == null ? new Http(null, null, null) : http;
    metrics = metrics == null ? new Metrics(null, null) : metrics;
    leaseMs = leaseMs == null ? DEFAULT_LEASE_MS : leaseMs;
    log = log == null ? new Log(null, null) : log;
    store = store == null ? new Store(null, null, null, null, null) : store;
  }

  public static ControllerConfig load(Path file) {
    ControllerConfig config = StrictYaml.load(file, ControllerConfig.class);
    Path base = file.toAbsolutePath().getParent();
    return config.resolveAgainst(base).validate(file.toString());
  }

  public static ControllerConfig parse(String name, String yaml) {
    return StrictYaml.parse(name, yaml, ControllerConfig.class).validate(name);
  }

  /** The link's TLS files, checked readable; null when {@code insecure: true}. */
  public Tls linkTls() {
    return insecure ? null : new Tls(tls.ca(), tls.cert(), tls.key());
  }

  /** The bearer token of {@code http.token_file}, read and checked (0600 or 0400); null when none is configured. */
  public String apiToken() {
    return http.tokenFile() == null ? null : TokenFile.read(http.tokenFile(), "http.token_file");
  }

  public Duration lease() {
    return Duration.ofMillis(leaseMs);
  }

  ControllerConfig validate(String name) {
    if (!insecure && tls == null) {
      throw new UsageException(name + ": tls is missing; set tls: {ca, cert, key} (`pgferry certs init DIR` makes them), "
          + "or insecure: true to run the agent link in plaintext (tests only)");
    }
    if (insecure && tls != null) {
      throw new UsageException(name + ": both tls and insecure: true are set; remove one");
    }
    if (tls != null && (tls.ca() == null || tls.cert() == null || tls.key() == null)) {
      throw new UsageException(name + ": tls needs ca, cert and key");
    }
    if (stateDir == null) {
      throw new UsageException(name + ": state_dir is missing; set it to a directory the controller keeps its state in, e.g. /var/lib/pgferry");
    }
    checkPort(name, "listen.port", listen.port());
    checkPort(name, "http.port", http.port());
    checkPort(name, "metrics.port", metrics.port());
    if (insecure && !Loopback.is(http.host())) {
      throw new UsageException(name + ": http.host " + http.host() + " is not a loopback address; with insecure: true the API "
          + "has no TLS and takes no certificates, so it may listen on 127.0.0.1, ::1 or localhost only (set tls: to serve it on the network)");
    }
    if (leaseMs < 1000) {
      throw new UsageException(name + ": lease_ms " + leaseMs + " is too short; use at least 1000 (agents report every second)");
    }
    log.julLevel();
    store.validate(name);
    return this;
  }

  private ControllerConfig resolveAgainst(Path base) {
    TlsFiles files = tls == null ? null : new TlsFiles(resolve(base, tls.ca()), resolve(base, tls.cert()), resolve(base, tls.key()));
    Http api = new Http(http.host(), http.port(), resolve(base, http.tokenFile()));
    return new ControllerConfig(listen, insecure, files, api, metrics, resolve(base, stateDir), leaseMs, log, store);
  }

  private static Path resolve(Path base, Path path) {
    return path == null || base == null ? path : base.resolve(path);
  }

  private static void checkPort(String name, String key, int port) {
    if (port < 0 || port > 65535) {
      throw new UsageException(name + ": " + key + " " + port + " is out of range; use 0-65535 (0 picks a free port)");
    }
  }
}
