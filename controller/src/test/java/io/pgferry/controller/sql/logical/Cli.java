package io.pgferry.controller.sql.logical;

import io.pgferry.controller.cli.PgferryMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs a pgferry CLI command in-process and captures what it prints. */
final class Cli {
  record Run(int exit, String out) {}

  private Cli() {}

  static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    try {
      int exit = io.pgferry.common.Cli.execute(new PgferryMain(), args); // fq: clash with this Cli
      return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
