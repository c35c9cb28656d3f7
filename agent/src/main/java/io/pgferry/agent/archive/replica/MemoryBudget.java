package io.pgferry.agent.archive.replica;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The memory PostgreSQL may use on this host, to size a restored cluster's postgresql.conf: the host's MemTotal, or
 * less when the agent's cgroup (which the postmaster it starts shares: systemd's MemoryMax=, a container's limit) or
 * one of its parents is limited. agent.yaml's {@code postgres.settings} still win over what is sized from it.
 */
record MemoryBudget(long bytes, String source) {
  private static final long FALLBACK = 1L << 30;

  static MemoryBudget ofThisHost() {
    return of(Path.of("/proc"), Path.of("/sys/fs/cgroup"));
  }

  static MemoryBudget of(Path proc, Path cgroupRoot) {
    long host = memTotal(proc.resolve("meminfo"));
    MemoryBudget budget = new MemoryBudget(host > 0 ? host : FALLBACK, host > 0 ? "the host's MemTotal" : "1 GiB (no /proc/meminfo)");
    for (String line : lines(proc.resolve("self/cgroup"))) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      boolean v2 = f[0].equals("0") && f[1].isEmpty();
      boolean v1 = List.of(f[1].split(",")).contains("memory");
      if (!v2 && !v1) {
        continue;
      }
      Path dir = v2 ? cgroupRoot : cgroupRoot.resolve("memory");
      String file = v2 ? "memory.max" : "memory.limit_in_bytes";
      Path group = Path.of("/").relativize(Path.of(f[2].isEmpty() ? "/" : f[2]));
      for (Path p = group; p != null; p = p.getParent()) {
        budget = budget.lower(limit(dir.resolve(p.toString()).resolve(file)), "the cgroup limit " + dir.resolve(p.toString()).resolve(file));
      }
      budget = budget.lower(limit(dir.resolve(file)), "the cgroup limit " + dir.resolve(file));
    }
    return budget;
  }

  private MemoryBudget lower(long limit, String why) {
    return limit > 0 && limit < bytes ? new MemoryBudget(limit, why) : this;
  }

  private static long memTotal(Path meminfo) {
    for (String line : lines(meminfo)) {
      if (line.startsWith("MemTotal:")) {
        try {
          return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** A cgroup memory limit in bytes; -1 for none ("max", absent, unreadable, v1's "no limit" near Long.MAX_VALUE). */
  private static long limit(Path file) {
    List<String> l = lines(file);
    if (l.isEmpty()) {
      return -1;
    }
    try {
      long v = Long.parseLong(l.get(0).trim());
      return v >= (1L << 60) ? -1 : v;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
