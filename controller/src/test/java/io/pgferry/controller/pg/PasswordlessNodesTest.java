package io.pgferry.controller.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.access.BootstrapSuperuser;
import io.pgferry.agent.access.LocalAccess;
import io.pgferry.agent.cluster.ClientTools;
import io.pgferry.agent.cluster.LocalPostgres;
import io.pgferry.agent.cluster.PgBaseBackup;
import io.pgferry.agent.recovery.RecoveryConfig;
import io.pgferry.agent.recovery.ServerTls;
import io.pgferry.agent.recovery.UpstreamTls;
import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.certs.CertificateAuthority;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.roles.ControllerRoleSetup;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Status;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.UnknownPasswords;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The certificate shape end to end on real clusters, with no password anywhere: A's roles (its bootstrap superuser
 * renamed) have passwords pgferry is never told and its pg_hba asks everyone for one. With the goals the controller
 * builds (nodes.hba_method cert) and the agents' files (ServerTls, LocalAccess, pg_ident maps): A's agent observes A
 * over the local socket; B is built by pg_basebackup with B's agent certificate and streams from A with it, verifying
 * A's certificate (verify-full); the controller logs in to A and B with its certificate (verify-full) as the bootstrap
 * superuser the agent reports, and without a certificate it is refused. Once the controller created its own role on A
 * (after cutover 1) and B replayed it, the same certificate logs in to both as that role for probes, not a superuser.
 */
class PasswordlessNodesTest {
  private static final String SUPERUSER = "heroku_owner_x";
  private static final Duration T = Duration.ofSeconds(60);

  @Test
  void bStreamsFromAAndTheControllerLogsInWithCertificatesOnly() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("passwordless-nodes");
         PgCluster a = PgCluster.init(ws, "a", bin, Map.of()).start()) {
      Path certs = ws.root().resolve("certs");
      new CertificateAuthority(certs, Duration.ofDays(1), Duration.ofDays(1))
          .init(List.of(), List.of("a=127.0.0.1", "b=127.0.0.1"), List.of(), false);
      assertEquals(CertificateAuthority.CONTROLLER_NAME, Goals.CONTROLLER_CN);
      UnknownPasswords.apply(a, SUPERUSER);

      Plan plan = PlanLoader.parse("plan.yaml", PlanBuilder.plan().pgMajor(15).controllerAddress("127.0.0.1")
          .nodeCertificates(certs.resolve("controller.pem"), certs.resolve("controller.key"), certs.resolve("ca.pem"))
          .yaml(), null).plan();
      NodeView aView = view("a", a.port(), a.dataDir());
      int bPort = FreePorts.next();
      NodeView bPending = view("b", bPort, null);

      // A as its agent sets it up for a primary with B attached: TLS with a's certificate, the goal's pg_hba
      Goal aGoal = Goals.primary(plan, Optional.of(bPending));
      LocalAccess aAccess = LocalAccess.of(a.dataDir(), a.socketDir(), a.port());
      RecoveryConfig aConfig = new RecoveryConfig(a.dataDir(), serverTls(certs, "a"), aAccess);
      aConfig.apply(15, Map.of(), Optional.empty());
      aConfig.applyHba(aGoal.getHbaRulesList());
      a.restart();
      try (LocalPostgres local = new LocalPostgres(aAccess)) {
        assertTrue(local.observe(System.nanoTime(), true).reachable(), "A's agent observes A without a password");
      }
      execute(aAccess, "create table t(id int primary key)", "insert into t values (1)");

      // B: pg_basebackup and the stream, both with b's certificate, A verified by name
      Goal bGoal = Goals.streamingStandby(plan, aView, "b");
      assertEquals(SUPERUSER, bGoal.getUpstream().getUser(), "the user the controller names: A's bootstrap superuser");
      assertEquals("verify-full", bGoal.getUpstream().getSslmode());
      Path bDir = ws.root().resolve("b");
      new PgBaseBackup(new ClientTools(bin.binDir()), Workspace.PG_USER, null,
          new UpstreamTls(certs.resolve("ca.pem"), certs.resolve("agent-b.pem"), certs.resolve("agent-b.key")))
          .fetchInto(bDir, bGoal);
      RecoveryConfig bConfig = new RecoveryConfig(bDir, serverTls(certs, "b"), LocalAccess.of(bDir, a.socketDir(), bPort));
      String conninfo = RecoveryConfig.conninfo(bGoal.getUpstream(), "b", null, bConfig.standbyTls());
      assertTrue(conninfo.contains("sslcert=") && !conninfo.contains("passfile"), conninfo);
      bConfig.apply(15, Map.of(), Optional.of(new RecoveryConfig.Standby(conninfo, "", null)));
      bConfig.applyHba(bGoal.getHbaRulesList());
      try (PgCluster b = PgCluster.adopt("b", bin, bDir, bPort).start()) {
        execute(aAccess, "insert into t values (2)");
        NodeView bView = view("b", bPort, bDir);
        String[] last = {""};
        try {
          Poll.untilTrue(Deadline.in(T), Duration.ofMillis(200), "B to stream from A and replay the second row", () -> {
            try (Connection c = Endpoints.admin(plan, bView, "postgres").connect(Purpose.ADMIN);
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select (select status from pg_stat_wal_receiver), (select count(*) from t)")) {
              rs.next();
              last[0] = rs.getString(1) + ", " + rs.getInt(2) + " rows";
              return "streaming".equals(rs.getString(1)) && rs.getInt(2) == 2;
            } catch (SQLException e) {
              last[0] = e.getMessage();
              return false;
            }
          });
        } catch (Poll.Timeout e) {
          throw new AssertionError(e.getMessage() + ": " + last[0] + "\nB's log:\n" + b.log() + "\nA's log:\n" + a.log(), e);
        }
        assertEquals(List.of("pgferry_b|true|streaming"), rows(Endpoints.admin(plan, aView, "postgres"),
            "select r.application_name || '|' || s.ssl || '|' || r.state from pg_stat_replication r"
                + " join pg_stat_ssl s using (pid)"), "B streams from A over TLS");
        for (NodeView node : List.of(aView, bView)) {
          PgEndpoint admin = Endpoints.admin(plan, node, "postgres");
          assertEquals("verify-full", admin.params().get("sslmode"));
          assertEquals(List.of(SUPERUSER + "|10|true"), rows(admin, "select current_user || '|' || (select oid from pg_roles"
              + " where rolname = current_user) || '|' || ssl from pg_stat_ssl where pid = pg_backend_pid()"),
              node.nodeId() + ": the controller is the bootstrap superuser, by certificate");
          Map<String, String> noCert = new HashMap<>(admin.params());
          noCert.remove("sslcert");
          noCert.remove("sslkey");
          PgEndpoint without = new PgEndpoint(admin.host(), admin.port(), "postgres", SUPERUSER, null, noCert);
          assertThrows(SQLException.class, () -> without.connect(Purpose.ADMIN).close(), "no certificate, no entry");
        }

        // after cutover 1 the controller creates its own role on A; B replays it; the same certificate logs in as it
        assertEquals(SUPERUSER, Endpoints.admin(plan, aView, "postgres", false).userFor(Purpose.PROBE),
            "before the role exists a probe is the superuser too");
        var setup = new ControllerRoleSetup(Endpoints.admin(plan, aView, "postgres"),
            ControllerRole.NAME, ControllerRole.GRANTED, List.of("postgres"));
        assertTrue(setup.run().created());
        assertTrue(!setup.run().created(), "once");
        Poll.untilTrue(Deadline.in(T), Duration.ofMillis(200), "B to replay the controller's role",
            () -> {
              try {
                return !rows(Endpoints.admin(plan, bView, "postgres"), "select rolname from pg_roles where rolname = '"
                    + ControllerRole.NAME + "'").isEmpty();
              } catch (SQLException e) {
                return false;
              }
            });
        for (NodeView node : List.of(aView, bView)) {
          PgEndpoint routed = Endpoints.admin(plan, node, "postgres", true);
          try (Connection c = routed.connect(Purpose.PROBE); Statement st = c.createStatement();
               ResultSet rs = st.executeQuery("select current_user || '|' || ssl || '|' || (select rolsuper from pg_roles"
                   + " where rolname = current_user) || '|' || (select count(*) > 0 from pg_ls_waldir())"
                   + " from pg_stat_ssl where pid = pg_backend_pid()")) {
            rs.next();
            assertEquals(ControllerRole.NAME + "|true|false|true", rs.getString(1),
                node.nodeId() + ": a probe is the controller's role, by the same certificate, over TLS, reading as pg_monitor");
          }
          assertEquals(List.of(SUPERUSER), rows(routed, "select current_user"), node.nodeId() + ": admin work keeps the superuser");
        }
      }
    }
  }

  private static ServerTls serverTls(Path certs, String id) {
    return new ServerTls(certs.resolve("agent-" + id + ".pem"), certs.resolve("agent-" + id + ".key"), certs.resolve("ca.pem"));
  }

  /** A node as the controller knows it: its Hello, and the bootstrap superuser its agent reports (from dataDir). */
  private static NodeView view(String id, int port, Path dataDir) throws Exception {
    Status.Builder s = Status.newBuilder().setNodeId(id);
    if (dataDir != null) {
      s.setBootstrapSuperuser(BootstrapSuperuser.read(dataDir).orElseThrow());
    }
    return new NodeView(id, Hello.newBuilder().setNodeId(id).setHost("127.0.0.1").setPgPort(port).setPgMajor(15).build(),
        s.build(), null, true, Instant.now(), Optional.empty());
  }

  /** As A's agent would: over the local socket, no password. */
  private static void execute(LocalAccess access, String... sql) throws SQLException {
    try (Connection c = access.endpoint("postgres").connect(Purpose.ADMIN); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  private static List<String> rows(PgEndpoint e, String sql) throws SQLException {
    try (Connection c = e.connect(Purpose.ADMIN); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    }
  }
}
