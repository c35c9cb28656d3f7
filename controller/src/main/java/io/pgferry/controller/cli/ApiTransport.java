package io.pgferry.controller.cli;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.UsageException;
import io.pgferry.controller.daemon.Loopback;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * One request to the controller's API, for both of the CLI's clients. A refused connection is asked again for a
 * while: a controller that was just restarted, or whose spare just took over, opens its API only once the journey it
 * resumed is past its phase, at most 5 s after the agent link (ControllerDaemon.API_AFTER_RESUME_MAX; docs/ha.md). A
 * refused connection carried nothing, so a POST asked again is never applied twice. Other failures are not retried.
 * A bearer token is sent over plain http to a loopback address only.
 */
final class ApiTransport {
  /** Covers a cold restart (JVM start, store, link) plus the API's delay. */
  static final Duration REFUSED_RETRY = Duration.ofSeconds(8);
  private static final Duration PAUSE = Duration.ofMillis(200);

  private final HttpClient http;
  private final URI base;
  private final ApiCredentials credentials;
  private final Duration refusedRetry;
  private final PrintStream notices;
  private boolean told;

  ApiTransport(URI base, ApiCredentials credentials, Duration refusedRetry, PrintStream notices) {
    if (credentials.tokenFile() != null && "http".equals(base.getScheme()) && !Loopback.is(String.valueOf(base.getHost()))) {
      throw new UsageException("refusing to send the API token over plain http to " + base.getHost()
          + ": use https:// (the controller's tls:)");
    }
    this.http = credentials.httpClient();
    this.base = base;
    this.credentials = credentials;
    this.refusedRetry = refusedRetry;
    this.notices = notices;
  }

  ApiTransport(URI base, ApiCredentials credentials) {
    this(base, credentials, REFUSED_RETRY, System.err);
  }

  /** The answer, whatever its status; a UsageException when the controller cannot be reached. */
  HttpResponse<String> send(HttpRequest.Builder request) throws InterruptedException {
    HttpRequest built = credentials.authorize(request).timeout(Duration.ofSeconds(30)).build();
    try {
      return Poll.<HttpResponse<String>, IOException>until(Deadline.in(refusedRetry), PAUSE, "the controller at " + base
          + " to accept a connection", () -> {
            try {
              return Optional.of(http.send(built, HttpResponse.BodyHandlers.ofString()));
            } catch (ConnectException e) {
              tellOnce();
              return Optional.empty();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new Interrupted();
            }
          });
    } catch (Interrupted e) {
      throw new InterruptedException("interrupted");
    } catch (Poll.Timeout e) {
      throw new UsageException("cannot reach the controller at " + base + " (refused for " + refusedRetry.toSeconds()
          + " s); is `pgferry controller run` running? (give its address with --controller URL)");
    } catch (IOException e) {
      throw ApiCredentials.failure(base, e);
    }
  }

  /** Carries an interrupt out of the look (Poll's check throws one exception type). */
  private static final class Interrupted extends IOException {
    private static final long serialVersionUID = 1L;
  }

  private void tellOnce() {
    if (!told && !refusedRetry.isZero()) {
      told = true;
      notices.println("pgferry: the controller at " + base + " refuses connections; asking again for up to "
          + refusedRetry.toSeconds() + " s (a controller restarting, or its spare taking over, opens its API within a few seconds)");
    }
  }
}
