package io.pgferry.controller.journey;

import io.pgferry.controller.plan.PlanLoader;

/** Plans for engine tests: no source URL (so no database is involved), fast polling. */
final class TestPlans {
  static final String TEXT = """
      source:
        archive_timeout: 1s
        pg_major: 15
      archive:
        url: file:///nonexistent/archive
      nodes:
        archive_replica: a
        standby: b
      target:
        url: postgres://app@127.0.0.1:1/appdb
      app:
        dbname: appdb
        user: app
      switch:
        type: command
        command: {block: "true", repoint: "true", unblock: "true"}
      thresholds:
        poll_interval: 10ms
        timeouts: {archive_replica: 5s, standby: 5s, cutover_1: 5s}
      """;

  private TestPlans() {}

  static PlanLoader.Loaded load(String text) {
    return PlanLoader.parse("plan.yaml", text, null);
  }
}
