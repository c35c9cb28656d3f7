package io.pgferry.controller.failover;

import io.pgferry.testkit.Await;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgferry.common.Command;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Clusters for failover tests: a standby made from a stopped primary's copy (works for every version), polling. */
final class FailoverClusters {
  private FailoverClusters() {}

  /**
   * Stops {@code a}, copies its data dir (without slots), starts it again, and starts the copy as a streaming
   * standby through physical slot {@code slot} on {@code a} with application_name {@code name}.
   */
  static PgCluster standbyOf(Workspace ws, PgCluster a, String name, String slot, Map<String, String> settings) {
    a.execute("select pg_create_physical_replication_slot('" + slot + "')");
    a.stop();
    Path dir = ws.root().resolve(name);
    Command.of("cp", "-a", a.dataDir().toString(), dir.toString()).as(Workspace.PG_USER).runChecked();
    Command.of("sh", "-c", "rm -rf " + dir + "/pg_replslot/* " + dir + "/postmaster.pid " + dir + "/postmaster.opts")
        .as(Workspace.PG_USER).runChecked();
    a.start();
    int port = FreePorts.next();
    PgCluster b = PgCluster.adopt(name, a.binaries(), dir, port);
    Map<String, String> s = new LinkedHashMap<>();
    s.put("port", String.valueOf(port));
    s.put("primary_conninfo", "'host=127.0.0.1 port=" + a.port() + " user=postgres application_name=" + name + " dbname=postgres'");
    s.put("primary_slot_name", "'" + slot + "'");
    settings.forEach((k, v) -> s.put(k, "'" + v + "'"));
    b.appendConf(s);
    Command.of("touch", dir.resolve("standby.signal").toString()).as(Workspace.PG_USER).runChecked();
    return b.start();
  }

  /** Inserts ledger rows one per transaction, counting a row only after COMMIT returned; stops at the first error. */
  static final class Writer implements AutoCloseable {
    final ConcurrentLinkedQueue<Long> acknowledged = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean stop;
    volatile String error = "";

    Writer(Supplier<Connection> target, long firstSeq) {
      thread = new Thread(() -> {
        try (Connection c = target.get();
             PreparedStatement ps = c.prepareStatement("insert into ledger(seq, payload) values (?, ?)")) {
          for (long seq = firstSeq; !stop; seq++) {
            ps.setLong(1, seq);
            ps.setString(2, "row-" + seq);
            ps.executeUpdate();
            acknowledged.add(seq);
          }
        } catch (SQLException | RuntimeException e) {
          error = e.getMessage();
        }
      }, "ledger-writer");
      thread.setDaemon(true);
      thread.start();
    }

    boolean running() {
      return thread.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(30_000);
    }
  }

  static Supplier<Connection> opener(PgCluster c) {
    return () -> {
      try {
        return c.connect();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /** count, min, max and md5 of the ordered rows: equal on two nodes means the same ledger. */
  static String fingerprint(PgCluster c) {
    return c.queryValue("select count(*) || ' rows ' || coalesce(min(seq), 0) || '..' || coalesce(max(seq), 0) || ' md5 '"
        + " || md5(coalesce(string_agg(seq || ':' || payload, ',' order by seq), '')) from ledger");
  }

  static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> diagnostics) {
    Await.until(what, timeout, condition::getAsBoolean, diagnostics);
  }

  static long count(PgCluster c) {
    return Long.parseLong(c.queryValue("select count(*) from ledger"));
  }

  static List<String> ledgerDdl() {
    return List.of("create table ledger(seq bigint primary key, payload text not null)");
  }

  static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.substring(Math.max(0, s.length() - 3000));
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * On a failed catch-up: B's replication state and T's subscription state now, and copies of both servers' full
   * logs under target/failover-evidence/ (the workspace is deleted when the test ends).
   */
  static String keepEvidence(PgCluster b, PgCluster t) {
    StringBuilder out = new StringBuilder();
    out.append("--- B pg_replication_slots\n").append(rows(b, "select slot_name, slot_type, active, restart_lsn, "
        + "confirmed_flush_lsn, catalog_xmin, wal_status from pg_replication_slots"));
    out.append("--- B pg_stat_replication\n").append(rows(b, "select application_name, state, sent_lsn, write_lsn, "
        + "flush_lsn, replay_lsn, sync_state from pg_stat_replication"));
    out.append("--- B pg_logical/snapshots\n").append(rows(b, "select name from pg_ls_dir('pg_logical/snapshots') name order by 1"));
    out.append("--- B wal\n").append(rows(b, "select pg_current_wal_lsn(), timeline_id from pg_control_checkpoint()"));
    out.append("--- B logical decoding\n").append(decodingLines(b.logFile()));
    out.append("--- T pg_stat_subscription\n").append(rows(t, "select subname, pid, received_lsn, latest_end_lsn, "
        + "last_msg_receipt_time from pg_stat_subscription"));
    out.append("--- T origin\n").append(rows(t, "select external_id, remote_lsn, local_lsn from pg_replication_origin_status"));
    try {
      Path dir = Path.of("target", "failover-evidence", String.valueOf(System.currentTimeMillis()));
      Files.createDirectories(dir);
      Files.copy(b.logFile(), dir.resolve("b.log"));
      Files.copy(t.logFile(), dir.resolve("t.log"));
      Files.writeString(dir.resolve("state.txt"), out);
      out.append("--- logs kept in ").append(dir.toAbsolutePath()).append('\n');
    } catch (IOException e) {
      out.append("--- logs not kept: ").append(e).append('\n');
    }
    return out.append("--- T\n").append(tail(t.logFile())).append("\n--- B\n").append(tail(b.logFile())).toString();
  }

  /** B's log lines where logical decoding starts and finds (or waits for) its consistent point, with their details. */
  static String decodingLines(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      StringBuilder out = new StringBuilder();
      int promoted = 0;
      while (promoted < lines.size() && !lines.get(promoted).contains("selected new timeline")) {
        promoted++;
      }
      // before the promotion only the last decoding (the keeper's advance runs one every cycle)
      int from = promoted;
      for (int i = promoted - 1; i >= 0 && from == promoted; i--) {
        if (lines.get(i).contains("starting logical decoding")) {
          from = i;
        }
      }
      for (int i = Math.min(from, lines.size()); i < lines.size(); i++) {
        String l = lines.get(i);
        if (l.contains("logical decoding") || l.contains("selected new timeline") || l.contains("START_REPLICATION")) {
          out.append(l).append('\n');
          if (i + 1 < lines.size() && lines.get(i + 1).contains("DETAIL:")) {
            out.append(lines.get(i + 1)).append('\n');
          }
        }
      }
      return out.toString();
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  private static String rows(PgCluster c, String sql) {
    try (Connection conn = c.connect(); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      StringBuilder sb = new StringBuilder();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= n; i++) {
          sb.append(i > 1 ? " | " : "").append(rs.getString(i));
        }
        sb.append('\n');
      }
      return sb.toString();
    } catch (SQLException e) {
      return "(" + e.getMessage() + ")\n";
    }
  }
}
