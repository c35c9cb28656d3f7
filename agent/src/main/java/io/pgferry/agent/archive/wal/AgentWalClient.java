package io.pgferry.agent.archive.wal;

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
import java.util.Optional;

/** wal-fetch's thin client: asks the running agent; empty when no agent answers usefully (then fetch directly). */
public final class AgentWalClient {
  private AgentWalClient() {}

  public static Optional<Integer> portFromStateDir(Path stateDir) {
    try {
      return Optional.of(Integer.parseInt(Files.readString(stateDir.resolve(WalFetchEndpoint.PORT_FILE)).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Asks the agent whose state dir is {@code stateDir} (its port and this start's token are there). */
  public static Optional<WalFetch.Outcome> tryDeliver(Path stateDir, String segment, Path dest) {
    Optional<Integer> port = portFromStateDir(stateDir);
    Optional<String> token = WalFetchToken.read(stateDir);
    return port.isEmpty() || token.isEmpty() ? Optional.empty() : tryDeliver(port.get(), token.get(), segment, dest);
  }

  static Optional<WalFetch.Outcome> tryDeliver(int port, String token, String segment, Path dest) {
    String uri = "http://127.0.0.1:" + port + "/wal-fetch?segment=" + URLEncoder.encode(segment, StandardCharsets.UTF_8)
        + "&dest=" + URLEncoder.encode(dest.toAbsolutePath().toString(), StandardCharsets.UTF_8);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofMinutes(10))
          .header(WalFetchToken.HEADER, token).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      return switch (r.statusCode()) {
        case 200 -> Optional.of(WalFetch.Outcome.FETCHED);
        case 404 -> Optional.of(WalFetch.Outcome.NOT_FOUND);
        case 422 -> Optional.of(WalFetch.Outcome.CORRUPT);
        default -> Optional.empty();
      };
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
