package io.pgferry.controller.failover;

import io.pgferry.common.Secrets;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Superuser sessions on A or B (failover.admin_user), at the address the node's agent gave in Hello. */
public final class AdminConnections {
  private AdminConnections() {}

  public static Connection open(Plan plan, NodeView node, String dbname) throws SQLException {
    return open(plan, node.hello().getHost(), node.hello().getPgPort(), dbname, 3);
  }

  public static Connection open(Plan plan, String host, int port, String dbname, int connectTimeoutSeconds)
      throws SQLException {
    Plan.Failover f = plan.failover();
    Properties p = new Properties();
    p.setProperty("user", f.adminUser());
    if (f.adminPassword() != null && !f.adminPassword().isEmpty()) {
      p.setProperty("password", Secrets.resolve(f.adminPassword(), "failover.admin_password"));
    }
    p.setProperty("connectTimeout", String.valueOf(connectTimeoutSeconds));
    p.setProperty("socketTimeout", "10");
    p.setProperty("ApplicationName", "pgferry");
    String h = host.contains(":") ? "[" + host + "]" : host;
    return DriverManager.getConnection("jdbc:postgresql://" + h + ":" + port + "/" + dbname, p);
  }
}
