package io.pgferry.controller.journey.wiring;

import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.switching.AppSwitcher;
import io.pgferry.controller.switching.AppSwitchers;
import io.pgferry.controller.switching.SwitchSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** The plan's switch block as the switching package's settings, and the switcher for it. */
public final class PlanSwitches {
  private PlanSwitches() {}

  /** @param stateDir where the Heroku switcher remembers process quantities it scaled to 0 */
  public static SwitchSettings settings(Plan.Switch s, Path stateDir) {
    return switch (s.type()) {
      case PGBOUNCER -> {
        Plan.Pgbouncer p = s.pgbouncer();
        yield new SwitchSettings.PgBouncer(p.adminHost(), p.adminPort(), p.adminUser(), p.adminPassword(),
            p.database(), Path.of(p.iniPath()), p.pauseTimeout());
      }
      case HEROKU -> {
        Plan.Heroku h = s.heroku();
        yield new SwitchSettings.Heroku(URI.create(h.apiUrl()), h.app(), h.token(), h.configVar(), h.scaleDown(),
            stateDir, 0, null);
      }
      case COMMAND -> {
        Plan.CommandHooks c = s.command();
        yield new SwitchSettings.Command(c.block(), c.repoint(), c.unblock(), c.current(), c.timeout(), Map.of());
      }
    };
  }

  public static AppSwitcher create(Plan plan, Path stateDir) {
    return AppSwitchers.create(settings(plan.switchSpec(), stateDir));
  }
}
