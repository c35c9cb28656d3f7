package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.e2e.scenario.SecretLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leak check the journey ITs run over their outputs finds a secret planted anywhere under the roots. */
class SecretLeaksTest {
  @TempDir
  Path dir;

  @Test
  void findsEachPlantedSecretAndNamesItNotItsValue() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs/outputs"));
    Path state = Files.createDirectories(dir.resolve("controller-state"));
    Files.writeString(dir.resolve("logs/controller.log"), "INFO repoint to postgres://app:***@10.0.0.5/appdb done\n");
    Files.writeString(logs.resolve("api_journey.json"), "{\"message\":\"auth failed for app-secret\"}");
    Files.writeString(state.resolve("journey.jsonl"), "{\"seq\":1,\"message\":\"token demo-heroku-token refused\"}\n");
    Map<String, String> secrets = Map.of("app password", "app-secret", "heroku token", "demo-heroku-token",
        "unused", "");
    List<String> hits = SecretLeaks.find(secrets, List.of(dir.resolve("logs"), state, dir.resolve("absent")));
    assertEquals(List.of(logs.resolve("api_journey.json") + ": holds the app password",
        state.resolve("journey.jsonl") + ": holds the heroku token"), hits);
  }

  @Test
  void cleanOutputsHaveNoHit() throws Exception {
    Files.writeString(dir.resolve("controller.log"), "INFO app.password: file:/secrets/app-password resolved\n");
    assertEquals(List.of(), SecretLeaks.find(Map.of("app password", "app-secret"), List.of(dir)));
  }
}
