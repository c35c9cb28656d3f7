package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyJson;
import io.pgferry.controller.journey.JourneyStatus;
import io.pgferry.controller.sql.copy.CopyProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `pgferry status` during the snapshot copy: a bar with percent, items, MB, rows, rate and ETA, and the unfinished tables. */
class StatusPrinterCopyTest {
  @Test
  void theCopyShowsAsABarAndItsUnfinishedTables() throws Exception {
    JourneyStatus.Copy copy = new JourneyStatus.Copy(50.0, 3, 6, 2_000_000_000L, 1234, 80.5, 25L, List.of(
        new CopyProgress.TableView("shop.big", 4_000_000_000L, 1_500_000_000L, 1000, 1, 4),
        new CopyProgress.TableView("shop.small", 10_000, 500_000_000L, 234, 2, 2)));
    JourneyStatus s = new JourneyStatus("RUNNING", "LOGICAL_SETUP", "logical_setup.table_copy", "copy 50%", null, "plan", List.of(), List.of(),
        List.of(), null, null, copy);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    StatusPrinter.print(JourneyJson.MAPPER.readTree(JourneyJson.MAPPER.writeValueAsString(s)), new PrintStream(buf, true, StandardCharsets.UTF_8));
    String out = buf.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("copy [###############...............]  50.0%  3/6 tables and ranges, 2000 MB, 1234 rows, 80.5 MB/s, ETA 25 s"), out);
    assertTrue(out.contains("shop.big") && !out.contains("shop.small"), out);
  }
}
