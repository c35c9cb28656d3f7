package io.pgferry.controller.switching;

/** Builds the switcher a plan asks for. */
public final class AppSwitchers {
  private AppSwitchers() {}

  public static AppSwitcher create(SwitchSettings settings) {
    if (settings instanceof SwitchSettings.PgBouncer s) {
      return new PgBouncerSwitcher(s);
    }
    if (settings instanceof SwitchSettings.Heroku s) {
      return new HerokuSwitcher(s);
    }
    return new CommandSwitcher((SwitchSettings.Command) settings);
  }
}
