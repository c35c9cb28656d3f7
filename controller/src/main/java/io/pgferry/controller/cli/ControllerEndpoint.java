package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.pgferry.controller.daemon.ControllerConfig;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a CLI command finds the controller: {@code --controller URL}, or the http section of {@code --config}. */
final class ControllerEndpoint {
  static final String DEFAULT_URL = "http://127.0.0.1:" + ControllerConfig.DEFAULT_HTTP_PORT;

  @Option(names = "--controller", paramLabel = "URL",
      description = "the controller's HTTP API (default: " + DEFAULT_URL + ", or from --config)")
  String url;

  @Option(names = "--config", paramLabel = "FILE", description = "controller.yaml to take the HTTP address from")
  Path config;

  ControllerApi api() {
    return new ControllerApi(baseUri());
  }

  /** The controller's base URL, checked. */
  URI baseUri() {
    if (url != null && config != null) {
      throw new UsageException("give --controller or --config, not both");
    }
    String target = url;
    if (target == null && config != null) {
      ControllerConfig.Http http = ControllerConfig.load(config).http();
      String host = http.host().equals("0.0.0.0") ? "127.0.0.1" : http.host();
      target = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.port();
    }
    if (target == null) {
      target = DEFAULT_URL;
    }
    URI uri;
    try {
      uri = URI.create(target);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--controller '" + target + "' is not a URL, e.g. " + DEFAULT_URL);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new UsageException("--controller '" + target + "' is not an http(s) URL, e.g. " + DEFAULT_URL);
    }
    return uri;
  }
}
