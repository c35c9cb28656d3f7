package io.pgferry.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LinkSettingsTest {
  @Test
  void tlsIsRequiredUnlessInsecureIsExplicit() {
    UsageException e = assertThrows(UsageException.class, () -> new LinkSettings("ctl", 7400, null, false, null, null));
    assertTrue(e.getMessage().contains("insecure: true"), e.getMessage());
    LinkSettings insecure = LinkSettings.insecure("127.0.0.1", 7400);
    assertEquals(Duration.ofSeconds(1), insecure.statusInterval());
  }

  @Test
  void parsesHostPort() {
    assertEquals("10.0.0.2", LinkSettings.parseAddress("10.0.0.2:7400", null, true).host());
    assertEquals("::1", LinkSettings.parseAddress("[::1]:7400", null, true).host());
    assertEquals("[::1]:7400", LinkSettings.parseAddress("[::1]:7400", null, true).address());
    assertThrows(UsageException.class, () -> LinkSettings.parseAddress("ctl", null, true));
    assertThrows(UsageException.class, () -> LinkSettings.parseAddress("ctl:http", null, true));
    assertThrows(UsageException.class, () -> LinkSettings.parseAddress("ctl:70000", null, true));
  }

  @Test
  void sentTimesRememberRecentSeqsOnly() {
    SentStatusTimes times = new SentStatusTimes(4);
    for (long seq = 1; seq <= 6; seq++) {
      times.record(seq, seq * 1000);
    }
    assertEquals(OptionalLong.of(6000), times.sentNanos(6));
    assertEquals(OptionalLong.of(3000), times.sentNanos(3));
    assertEquals(OptionalLong.empty(), times.sentNanos(2), "overwritten by seq 6");
    assertEquals(OptionalLong.empty(), times.sentNanos(7), "not sent yet");
    assertEquals(OptionalLong.empty(), times.sentNanos(0));
  }
}
