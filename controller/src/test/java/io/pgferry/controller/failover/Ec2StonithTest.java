package io.pgferry.controller.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanException;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.plan.PlanBuilder;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * failover.stonith_ec2 through the real AWS SDK. EC2 cannot be reached from here, so what is proven is the plan and
 * the failure path that matters for safety: when the instance cannot be stopped, the fence step fails (B is not
 * promoted) with a message naming the instance and what to do.
 */
class Ec2StonithTest {
  private static String plan(String instanceId) {
    return PlanBuilder.plan().archive("file:///tmp/archive").failover(f -> f.stonithEc2(instanceId, "eu-west-1")).yaml();
  }

  @Test
  void thePlanNamesTheInstance() {
    Plan p = PlanLoader.parse("plan.yaml", plan("i-0abc"), null).plan();
    assertEquals("i-0abc", p.failover().stonithEc2().instanceId());
    assertEquals("eu-west-1", p.failover().stonithEc2().region());
    assertEquals(Duration.ofMinutes(2), p.failover().stonithEc2().stopTimeout());
    PlanException e = assertThrows(PlanException.class,
        () -> PlanLoader.parse("plan.yaml", plan(null), null));
    assertTrue(e.getMessage().contains("failover.stonith_ec2: missing key 'instance_id'"), e.getMessage());
  }

  @Test
  void anInstanceThatCannotBeStoppedStopsTheFailover() {
    System.setProperty("aws.accessKeyId", "test-key");
    System.setProperty("aws.secretAccessKey", "test-secret");
    Plan.Ec2Instance nowhere = new Plan.Ec2Instance("i-0abc", "us-east-1", "http://127.0.0.1:" + FreePorts.next(),
        Duration.ofSeconds(5));
    JourneyException e = assertThrows(JourneyException.class, () -> Ec2Stonith.stop(nowhere));
    assertTrue(e.getMessage().startsWith("STONITH: could not stop EC2 instance i-0abc at http://127.0.0.1:"), e.getMessage());
    assertTrue(e.getMessage().contains("B is not promoted"), e.getMessage());
  }
}
