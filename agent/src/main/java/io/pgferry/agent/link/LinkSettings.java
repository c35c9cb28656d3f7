package io.pgferry.agent.link;

import io.pgferry.common.Backoff;
import io.pgferry.common.Tls;
import io.pgferry.common.UsageException;
import java.time.Duration;

/**
 * Where and how the agent dials its controller. TLS (mutual) unless {@code insecure} is set explicitly, which is
 * meant for tests only.
 *
 * @param statusInterval how often a Status goes up while connected (the core can also push one at any time)
 * @param backoff        delays between reconnect attempts
 */
public record LinkSettings(String host, int port, Tls tls, boolean insecure, Duration statusInterval, Backoff backoff) {
  public static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(1);

  public LinkSettings {
    if (host == null || host.isBlank()) {
      throw new UsageException("controller.address: the host is missing; set it to host:port of the controller's agent link");
    }
    if (port < 1 || port > 65535) {
      throw new UsageException("controller.address: port " + port + " is out of range; use 1-65535");
    }
    if (tls == null && !insecure) {
      throw new UsageException("tls is missing: set tls.ca, tls.cert and tls.key (pgferry certs init DIR makes them), "
          + "or controller.insecure: true to run the link in plaintext (tests only)");
    }
    if (tls != null && insecure) {
      throw new UsageException("controller.insecure: true and tls are both set; choose one");
    }
    statusInterval = statusInterval == null ? DEFAULT_STATUS_INTERVAL : statusInterval;
    if (statusInterval.isNegative() || statusInterval.isZero()) {
      throw new UsageException("status interval must be positive, was " + statusInterval);
    }
    backoff = backoff == null ? Backoff.DEFAULT : backoff;
  }

  public static LinkSettings mutualTls(String host, int port, Tls tls) {
    return new LinkSettings(host, port, tls, false, null, null);
  }

  /** Plaintext link: tests only. */
  public static LinkSettings insecure(String host, int port) {
    return new LinkSettings(host, port, null, true, null, null);
  }

  /** Parses {@code host:port} (an IPv6 host in brackets: {@code [::1]:7400}). */
  public static LinkSettings parseAddress(String address, Tls tls, boolean insecure) {
    if (address == null || address.isBlank()) {
      throw new UsageException("controller.address is missing; set it to host:port, e.g. 10.0.0.2:7400");
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new UsageException("controller.address: '" + address + "' is not host:port, e.g. 10.0.0.2:7400");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UsageException("controller.address: '" + address + "' has no numeric port, e.g. 10.0.0.2:7400");
    }
    return new LinkSettings(host, port, tls, insecure, null, null);
  }

  public LinkSettings withStatusInterval(Duration interval) {
    return new LinkSettings(host, port, tls, insecure, interval, backoff);
  }

  public LinkSettings withBackoff(Backoff newBackoff) {
    return new LinkSettings(host, port, tls, insecure, statusInterval, newBackoff);
  }

  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
