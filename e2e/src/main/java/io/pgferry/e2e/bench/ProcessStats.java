package io.pgferry.e2e.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a process's resident memory and CPU time from /proc (Linux). */
final class ProcessStats {
  private static final double CLOCK_TICKS = 100.0; // USER_HZ on Linux x86_64

  private ProcessStats() {}

  static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for pid " + pid);
  }

  /** user + system CPU seconds the process has used so far. */
  static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
  }
}
