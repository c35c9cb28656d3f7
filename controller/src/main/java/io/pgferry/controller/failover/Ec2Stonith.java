package io.pgferry.controller.failover;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.plan.Plan;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * STONITH for A on EC2: StopInstances with force (no clean shutdown: A must stop accepting writes now), then wait
 * until EC2 reports it stopped. Idempotent: stopping a stopped instance is a no-op for EC2. Blocking.
 */
public final class Ec2Stonith {
  private static final Set<InstanceStateName> DOWN = Set.of(InstanceStateName.STOPPED, InstanceStateName.TERMINATED);
  private static final Duration POLL = Duration.ofSeconds(2);

  private Ec2Stonith() {}

  /** Returns EC2's final state name; throws (naming instance and cause) when it cannot be stopped in time. */
  public static String stop(Plan.Ec2Instance target) throws JourneyException, InterruptedException {
    Ec2ClientBuilder b = Ec2Client.builder().httpClient(UrlConnectionHttpClient.builder()
        .connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(20)).build());
    if (!target.region().isEmpty()) {
      b.region(Region.of(target.region()));
    }
    if (!target.endpoint().isEmpty()) {
      b.endpointOverride(URI.create(target.endpoint()));
    }
    String id = target.instanceId();
    try (Ec2Client ec2 = b.build()) {
      ec2.stopInstances(r -> r.instanceIds(id).force(true));
      InstanceStateName[] state = new InstanceStateName[1];
      try {
        return Poll.until(Deadline.in(target.stopTimeout()), POLL, "EC2 instance " + id + " to stop", () -> {
          state[0] = ec2.describeInstances(r -> r.instanceIds(id)).reservations().stream()
              .flatMap(res -> res.instances().stream()).map(i -> i.state().name()).findFirst()
              .orElseThrow(() -> new JourneyException("EC2 does not know instance " + id));
          return DOWN.contains(state[0]) ? Optional.of(state[0].toString()) : Optional.empty();
        });
      } catch (Poll.Timeout e) {
        throw new JourneyException("EC2 instance " + id + " still " + state[0] + " " + target.stopTimeout().toSeconds()
            + " s after StopInstances(force); B is not promoted until it is down (`pgferry resume` asks again)");
      }
    } catch (SdkException e) {
      throw new JourneyException("STONITH: could not stop EC2 instance " + id
          + (target.endpoint().isEmpty() ? "" : " at " + target.endpoint()) + ": " + e.getMessage()
          + "; B is not promoted (`pgferry resume` tries again)");
    }
  }
}
