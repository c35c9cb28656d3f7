package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.agent.recovery.ManagedBlock;
import io.pgferry.controller.pg.ControllerRole;
import io.pgferry.e2e.scenario.JourneyResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * After a journey, from the servers' own logs (log_connections) and files: every session pgferry opened to A, B and
 * T, B's WAL receiver and T's subscription used TLS; after cutover 1 the controller's probes logged in to A (and B) as
 * its least-privilege role; A's and B's pg_hba admit no network-wide range and only hostssl
 * from the network; a host the plan does not name (127.0.0.2) is refused.
 */
final class TlsOnLinks {
  private static final Pattern PORT = Pattern.compile("(?m)^port = '?(\\d+)'?");

  private TlsOnLinks() {}

  static void check(JourneyResult r, boolean failover) throws Exception {
    Path ws = r.workDir;
    List<String> a = tcpSessions(ws.resolve("a.log"));
    List<String> b = tcpSessions(ws.resolve("b.log"));
    List<String> t = tcpSessions(ws.resolve("target.log"));
    // as postgres over TCP: the controller (pgjdbc sends no application_name at startup), the agent's own sessions,
    // B's WAL receiver and pg_basebackup; the app (through PgBouncer) logs in as app
    assertAllTls("postgres sessions on a", a, "user=postgres", true);
    assertAllTls("postgres sessions on b", b, "user=postgres", true);
    assertAllTls("postgres sessions on T (the controller)", t, "user=postgres", true);
    // after cutover 1 the controller's probes log in as its own role (created on A, replayed by B), by certificate
    List<String> own = new ArrayList<>(a);
    own.addAll(b);
    assertAllTls("the controller's least-privilege role on a and b", own, "user=" + ControllerRole.NAME, true);
    assertAllTls("b's WAL receiver on a", a, "replication connection authorized: user=postgres application_name=pgferry_b", true);
    List<String> subscription = new ArrayList<>(a);
    if (failover) {
      subscription.addAll(b);
    }
    assertAllTls("T's subscription", subscription, "application_name=pgferry_sub", true);

    for (String node : List.of("a", "b")) {
      String hba = Files.readString(ws.resolve(node).resolve("pg_hba.conf"));
      assertFalse(hba.contains("0.0.0.0/0") || hba.contains("::/0"), node + "'s pg_hba admits the whole network:\n" + hba);
      int begin = hba.indexOf(ManagedBlock.BEGIN);
      int end = hba.indexOf(ManagedBlock.END);
      assertTrue(begin >= 0 && end > begin, node + "'s pg_hba has pgferry's block:\n" + hba);
      for (String line : hba.substring(begin + ManagedBlock.BEGIN.length(), end).strip().split("\n")) {
        // the one local entry: the agent's own peer access over the Unix socket (LocalAccess), not a network link
        assertTrue(line.startsWith("hostssl ") || line.equals(LocalAccess.HBA_LINE)
            || line.equals(LocalAccess.HBA_REPLICATION_LINE), node + ": a managed entry that is not hostssl: " + line);
      }
    }
    // the node still running at the end (b after a failover) refuses a host its pg_hba does not name
    String live = failover ? "b" : "a";
    Matcher m = PORT.matcher(Files.readString(ws.resolve(live).resolve("pgferry.conf")));
    assertTrue(m.find(), "port of " + live);
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("sslmode", "require");
    p.setProperty("localSocketAddress", "127.0.0.2");
    p.setProperty("connectTimeout", "10");
    SQLException refused = assertThrows(SQLException.class,
        () -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + m.group(1) + "/postgres", p).close());
    assertTrue(String.valueOf(refused.getMessage()).contains("pg_hba.conf"), "refused by pg_hba: " + refused.getMessage());
  }

  private static final Pattern RECEIVED = Pattern.compile("\\[(\\d+)\\] LOG:  connection received: host=(\\S+)");
  private static final Pattern AUTHORIZED = Pattern.compile("\\[(\\d+)\\] LOG:  (replication )?connection authorized:");

  /** The "connection authorized" lines of sessions that came over TCP (log_line_prefix '%m [%p] ' pairs them by pid). */
  private static List<String> tcpSessions(Path log) throws Exception {
    if (!Files.exists(log)) {
      return List.of();
    }
    Map<String, String> hostOf = new HashMap<>();
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      Matcher rec = RECEIVED.matcher(line);
      if (rec.find()) {
        hostOf.put(rec.group(1), rec.group(2));
        continue;
      }
      Matcher auth = AUTHORIZED.matcher(line);
      if (auth.find() && !"[local]".equals(hostOf.getOrDefault(auth.group(1), "[local]"))) {
        out.add(line);
      }
    }
    return out;
  }

  private static void assertAllTls(String what, List<String> lines, String marker, boolean required) {
    List<String> mine = lines.stream().filter(l -> l.contains(marker)).toList();
    if (required) {
      assertFalse(mine.isEmpty(), what + ": no connection logged with " + marker + " among " + lines.size() + ":\n"
          + String.join("\n", lines.subList(0, Math.min(10, lines.size()))));
    }
    List<String> plain = mine.stream().filter(l -> !l.contains("SSL enabled")).toList();
    assertTrue(plain.isEmpty(), what + ": without TLS:\n" + String.join("\n", plain));
  }
}
