package io.pgferry.controller.journey.wiring;

import io.pgferry.controller.plan.Durations;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.switching.AppSwitcher;
import io.pgferry.controller.switching.DatabaseEndpoint;
import io.pgferry.controller.switching.SwitchException;
import java.util.ArrayList;
import java.util.List;

/**
 * What each switch type does, as text, for `pgferry plan` in a build without the switch implementations
 * (io.pgferry.controller.switching). Its actions refuse to run. Lines are labelled block:/repoint:/unblock:/current:.
 */
public final class PlannedSwitcher implements AppSwitcher {
  private final Plan.Switch spec;

  public PlannedSwitcher(Plan.Switch spec) {
    this.spec = spec;
  }

  @Override
  public String name() {
    return spec.type().name().toLowerCase();
  }

  @Override
  public void blockWrites() throws SwitchException {
    throw missing();
  }

  @Override
  public void repoint(DatabaseEndpoint target) throws SwitchException {
    throw missing();
  }

  @Override
  public void unblock() throws SwitchException {
    throw missing();
  }

  @Override
  public DatabaseEndpoint current() throws SwitchException {
    throw missing();
  }

  private SwitchException missing() {
    return new SwitchException("the " + name() + " app switch is not part of this build");
  }

  @Override
  public List<String> describe(DatabaseEndpoint t) {
    List<String> l = new ArrayList<>();
    switch (spec.type()) {
      case PGBOUNCER -> {
        Plan.Pgbouncer p = spec.pgbouncer();
        String admin = "pgbouncer admin console " + p.adminUser() + "@" + p.adminHost() + ":" + p.adminPort();
        l.add("block: " + admin + ": PAUSE " + p.database() + ";  (after " + Durations.format(p.pauseTimeout())
            + " without a drain: RESUME " + p.database() + "; and fail, nothing switched)");
        l.add("block: " + admin + ": SHOW DATABASES;  confirms " + p.database() + " is paused");
        l.add("repoint: rewrite the [databases] entry in " + p.iniPath() + " (temp file, fsync, rename): " + p.database()
            + " = host=" + t.host() + " port=" + t.port() + " dbname=" + t.dbname() + " user=" + t.user());
        l.add("repoint: " + admin + ": RELOAD;  then SHOW DATABASES; reads back host and port of " + p.database());
        l.add("unblock: " + admin + ": RESUME " + p.database() + ";");
        l.add("current: " + admin + ": SHOW DATABASES; (the entry of " + p.database() + ")");
      }
      case HEROKU -> {
        Plan.Heroku h = spec.heroku();
        String app = h.apiUrl() + "/apps/" + h.app();
        l.add("block: PATCH " + app + " {\"maintenance\": true}  (Authorization: Bearer <" + h.token()
            + ">, Accept: application/vnd.heroku+json; version=3)");
        for (String type : h.scaleDown()) {
          l.add("block: GET " + app + "/formation/" + type + " (remember quantity); PATCH " + app + "/formation/"
              + type + " {\"quantity\": 0}");
        }
        l.add("repoint: PATCH " + app + "/config-vars {\"" + h.configVar() + "\": \"postgres://" + t.user()
            + ":<password>@" + t.host() + ":" + t.port() + "/" + t.dbname() + "\"}  (the new release restarts the dynos)");
        l.add("repoint: GET " + app + "/config-vars  reads " + h.configVar() + " back");
        for (String type : h.scaleDown()) {
          l.add("unblock: PATCH " + app + "/formation/" + type + " {\"quantity\": <remembered>}");
        }
        l.add("unblock: PATCH " + app + " {\"maintenance\": false}");
        l.add("current: GET " + app + "/config-vars (" + h.configVar() + ")");
      }
      case COMMAND -> {
        Plan.CommandHooks c = spec.command();
        String limit = " (timeout " + Durations.format(c.timeout()) + ")";
        l.add("block: sh -c '" + c.block() + "'" + limit);
        l.add("repoint: sh -c '" + c.repoint() + "' with PGFERRY_TARGET_HOST=" + t.host() + " PGFERRY_TARGET_PORT="
            + t.port() + " PGFERRY_TARGET_DBNAME=" + t.dbname() + " PGFERRY_TARGET_USER=" + t.user() + limit);
        l.add("unblock: sh -c '" + c.unblock() + "'" + limit);
        l.add(c.current() == null ? "current: no hook: the last repoint is trusted"
            : "current: sh -c '" + c.current() + "' (prints postgres://user@host:port/dbname)");
      }
    }
    return l;
  }
}
