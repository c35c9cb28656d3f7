package io.pgferry.controller.sql.logical;

import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How A's roles appear in the schema script applied to T: A's superusers become T's admin (a managed target has no
 * superuser to own anything), and roles that are not copied to T (replication roles such as pgferry's own) lose
 * their grants. Only the statements pg_dump writes on one line starting with ALTER, GRANT or REVOKE are touched
 * ({@code OWNER TO r;}, {@code GRANT … TO r;}, {@code REVOKE … FROM r;}, {@code FOR ROLE r}); object definitions (view
 * bodies, function sources) are not.
 */
record RoleMap(Map<String, String> renames, List<String> dropped) {
  private static final String ACL_LINE = "(?m)^(?:ALTER|GRANT|REVOKE) .*?(?:OWNER TO| TO| FROM|FOR ROLE) ";

  /** Read from A; {@code admin} is T's current user. */
  static RoleMap read(Connection a, String admin) throws SQLException {
    Map<String, String> renames = new LinkedHashMap<>();
    for (Map<String, String> r : Sql.rows(a, "SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1")) {
      if (!r.get("rolname").equals(admin)) {
        renames.put(r.get("rolname"), admin);
      }
    }
    List<String> dropped = Sql.rows(a, "SELECT rolname FROM pg_roles WHERE NOT rolsuper AND rolname !~ '^pg_' AND"
        + " NOT (" + TargetRoles.COPIED + ") ORDER BY 1").stream().map(r -> r.get("rolname")).toList();
    return new RoleMap(renames, dropped);
  }

  String apply(String script) {
    String out = script;
    for (String role : dropped) {
      out = Pattern.compile(ACL_LINE.replace("(?m)^", "(?m)^(") + ")" + named(role) + "[;,].*\\n").matcher(out)
          .replaceAll("");
    }
    for (Map.Entry<String, String> e : renames.entrySet()) {
      Pattern p = Pattern.compile("(" + ACL_LINE + ")" + named(e.getKey()) + "(?=[;, ])");
      out = p.matcher(out).replaceAll(r -> Matcher.quoteReplacement(r.group(1) + Sql.ident(e.getValue())));
    }
    return out;
  }

  private static String named(String role) {
    return "(?:" + Pattern.quote(role) + "|" + Pattern.quote(Sql.ident(role)) + ")";
  }
}
