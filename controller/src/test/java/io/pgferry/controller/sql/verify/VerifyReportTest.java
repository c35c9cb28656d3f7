package io.pgferry.controller.sql.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.controller.sql.TableRef;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutover 2's verify after a failover compares B with T, and says B. */
class VerifyReportTest {
  @Test
  void theReportNamesTheSourceItCompared() {
    var mismatch = new TableVerification.Mismatch(new KeyRange(List.of("id"), null, List.of("10")), 10, 9, "x", "y");
    var report = new VerifyReport(VerifyMode.FULL, List.of(
        new TableVerification(TableRef.parse("public.t"), VerifyMode.FULL, 10, 9, 1, List.of(mismatch), null)));
    String b = report.format("B");
    assertEquals(List.of("verify (full): 1 tables, 1 mismatched",
        "  public.t: 10 rows on B, 9 on T, 1 chunk(s), DIFFERENT: [" + mismatch.range() + ": 10 rows on B, 9 on T]"),
        b.lines().toList());
    assertEquals(b.replace("on B", "on A"), report.format(), "pgferry verify keeps calling its source A");
  }
}
