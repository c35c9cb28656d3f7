package io.pgferry.controller.cli;

import io.pgferry.controller.sql.verify.Verifier;
import io.pgferry.controller.sql.verify.VerifyMode;
import io.pgferry.controller.sql.verify.VerifyReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Compares A and T table by table: row counts, and in full mode checksums per primary-key chunk (mismatching chunks"
        + " are named by key range). Read-only. Exact while writes are blocked. Exit 0: equal, 1: differences.")
public final class VerifyCommand implements Callable<Integer> {
  @Mixin
  DatabaseOptions databases;

  @Option(names = "--mode", defaultValue = "counts", description = "counts | full (default: ${DEFAULT-VALUE})")
  VerifyMode mode;

  @Option(names = "--chunk-rows", defaultValue = "10000", description = "rows per checksum chunk in full mode (default: ${DEFAULT-VALUE})")
  int chunkRows;

  @Option(names = "--describe", description = "print the SQL it would run and stop")
  boolean describe;

  @Override
  public Integer call() throws Exception {
    Verifier verifier = new Verifier(databases.source(), databases.target(), mode, chunkRows);
    if (describe) {
      verifier.describe().forEach(System.out::println);
      return 0;
    }
    VerifyReport report = verifier.run();
    System.out.print(report.format());
    return report.ok() ? 0 : 1;
  }
}
