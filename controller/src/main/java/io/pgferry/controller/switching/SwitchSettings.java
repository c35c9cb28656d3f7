package io.pgferry.controller.switching;

import io.pgferry.common.UsageException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How to switch the app, as the plan file states it (one of three kinds). Secrets are references
 * ({@code env:NAME}, {@code file:PATH}), resolved only when used and never logged.
 */
public sealed interface SwitchSettings {

  /**
   * PgBouncer: the admin console to speak to, the database alias the app connects to, and the ini file whose
   * [databases] line for that alias is rewritten (the controller must run where that file is).
   */
  record PgBouncer(String adminHost, int adminPort, String adminUser, String adminPasswordRef, String database, Path iniFile,
      Duration pauseTimeout) implements SwitchSettings {
    public PgBouncer {
      require(adminHost != null && !adminHost.isBlank(), "pgbouncer.admin_host is required");
      require(adminPort > 0 && adminPort < 65536, "pgbouncer.admin_port must be 1..65535");
      require(database != null && !database.isBlank() && !database.equals("pgbouncer"), "pgbouncer.database: the app's alias is required");
      require(iniFile != null, "pgbouncer.ini_file is required");
      adminUser = adminUser == null ? "pgbouncer" : adminUser;
      pauseTimeout = pauseTimeout == null ? Duration.ofSeconds(5) : pauseTimeout;
    }

    public PgBouncer withPauseTimeout(Duration d) {
      return new PgBouncer(adminHost, adminPort, adminUser, adminPasswordRef, database, iniFile, d);
    }
  }

  /**
   * Heroku Platform API v3: maintenance mode on {@code app}, the config var the app reads its database URL from,
   * and the process types (e.g. worker) to scale to 0 while writes are blocked (their quantities are remembered
   * in {@code stateDir} so a resumed run restores them).
   */
  record Heroku(URI apiUrl, String app, String tokenRef, String configVar, List<String> stopProcessTypes, Path stateDir,
      int maxAttempts, Duration retryDelay) implements SwitchSettings {
    public Heroku {
      apiUrl = apiUrl == null ? URI.create("https://api.heroku.com") : apiUrl;
      require(app != null && !app.isBlank(), "heroku.app is required");
      tokenRef = tokenRef == null ? "env:HEROKU_API_KEY" : tokenRef;
      require(configVar != null && configVar.matches("\\w+"), "heroku.config_var must be a config var name like AURORA_MASTER_DATABASE_URL");
      stopProcessTypes = stopProcessTypes == null ? List.of() : List.copyOf(stopProcessTypes);
      require(stopProcessTypes.isEmpty() || stateDir != null, "heroku.stop_process_types needs a state directory to remember quantities");
      maxAttempts = maxAttempts <= 0 ? 5 : maxAttempts;
      retryDelay = retryDelay == null ? Duration.ofSeconds(1) : retryDelay;
    }
  }

  /**
   * User hooks, each run with {@code /bin/sh -c}. The target is passed in PGFERRY_TARGET_URL (with password),
   * PGFERRY_TARGET_HOST, _PORT, _DBNAME, _USER; PGFERRY_STEP names the step. {@code current} prints a
   * postgres:// URL on stdout. A blank hook is skipped.
   */
  record Command(String block, String repoint, String unblock, String current, Duration timeout, Map<String, String> env)
      implements SwitchSettings {
    public Command {
      require(repoint != null && !repoint.isBlank(), "command.repoint is required");
      timeout = timeout == null ? Duration.ofSeconds(60) : timeout;
      env = env == null ? Map.of() : Map.copyOf(env);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new UsageException("app switch: " + message);
    }
  }
}
