package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.pgferry.controller.daemon.ControllerConfig;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a CLI command finds the controller and proves who it is: {@code --controller URL} (or the http section of
 * {@code --config}), and an operator certificate ({@code --cert/--key}, trusted through {@code --cacert}) or a
 * bearer token ({@code --token-file}); each also from a {@code PGFERRY_*} environment variable.
 */
final class ControllerEndpoint {
  static final String DEFAULT_URL = "https://127.0.0.1:" + ControllerConfig.DEFAULT_HTTP_PORT;

  @Option(names = "--controller", paramLabel = "URL",
      description = "the controller's API (default: " + DEFAULT_URL + ", http:// when no --cert/--cacert is given; or from --config)")
  String url;

  @Option(names = "--config", paramLabel = "FILE", description = "controller.yaml to take the API address (and --cacert: its tls.ca) from")
  Path config;

  @Option(names = "--cert", paramLabel = "FILE", defaultValue = "${env:PGFERRY_CERT}",
      description = "operator certificate (PEM) to present: operator-NAME.pem from `pgferry certs init DIR --operator NAME` (env PGFERRY_CERT)")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", defaultValue = "${env:PGFERRY_KEY}",
      description = "its private key (default: the --cert file with .key for .pem; env PGFERRY_KEY)")
  Path key;

  @Option(names = "--cacert", paramLabel = "FILE", defaultValue = "${env:PGFERRY_CACERT}",
      description = "CA that signed the controller's certificate: ca.pem of `pgferry certs init` (env PGFERRY_CACERT)")
  Path cacert;

  @Option(names = "--token-file", paramLabel = "FILE", defaultValue = "${env:PGFERRY_TOKEN_FILE}",
      description = "file (0600) with the bearer token of the controller's http.token_file, instead of a certificate (env PGFERRY_TOKEN_FILE)")
  Path tokenFile;

  ControllerApi api() {
    return new ControllerApi(baseUri(), credentials());
  }

  /** What to present: the options, with --key next to --cert and --cacert from --config's tls.ca when not given. */
  ApiCredentials credentials() {
    Path keyFile = key;
    if (keyFile == null && cert != null && cert.getFileName().toString().endsWith(".pem")) {
      String name = cert.getFileName().toString();
      keyFile = cert.resolveSibling(name.substring(0, name.length() - 4) + ".key");
    }
    Path ca = cacert;
    if (ca == null && config != null) {
      ControllerConfig.TlsFiles tls = ControllerConfig.load(config).tls();
      ca = tls == null ? null : tls.ca();
    }
    return new ApiCredentials(cert, keyFile, ca, tokenFile);
  }

  /** The controller's base URL, checked. */
  URI baseUri() {
    if (url != null && config != null) {
      throw new UsageException("give --controller or --config, not both");
    }
    String target = url;
    if (target == null && config != null) {
      ControllerConfig loaded = ControllerConfig.load(config);
      ControllerConfig.Http http = loaded.http();
      String host = http.host().equals("0.0.0.0") ? "127.0.0.1" : http.host();
      target = (loaded.tls() == null ? "http" : "https") + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.port();
    }
    if (target == null) {
      target = cert != null || cacert != null ? DEFAULT_URL : DEFAULT_URL.replace("https:", "http:");
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
    if ("http".equals(uri.getScheme()) && cert != null) {
      throw new UsageException("--cert is given but the controller URL " + uri + " is http://; a certificate is presented over https:// only");
    }
    return uri;
  }
}
