package io.pgferry.e2e.rig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The controller's journal ({@code state_dir/journey.jsonl}, docs/contracts.md) as the rig reads it from outside:
 * what ran, when, and how often. A torn last line (a crash mid-write) is skipped, as the controller does.
 */
public final class JournalFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One journal line. {@code phase}/{@code step} are null when the record is not about one. */
  public record Entry(long seq, Instant at, String event, String phase, String step, String message, Map<String, String> evidence) {
    public boolean is(String eventName, String stepOrPhase) {
      return event.equals(eventName) && (stepOrPhase.equals(step) || (step == null && stepOrPhase.equals(phase)));
    }
  }

  private final Path file;

  public JournalFile(Path stateDir) {
    this.file = stateDir.resolve("journey.jsonl");
  }

  public Path path() {
    return file;
  }

  public List<Entry> read() {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Entry> out = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode n = JSON.readTree(line);
        Map<String, String> evidence = new LinkedHashMap<>();
        n.path("evidence").fields().forEachRemaining(e -> evidence.put(e.getKey(), e.getValue().asText()));
        out.add(new Entry(n.path("seq").asLong(), Instant.parse(n.path("at").asText()), n.path("event").asText(),
            text(n, "phase"), text(n, "step"), text(n, "message"), evidence));
      } catch (IOException | RuntimeException torn) {
        // a line cut short by kill -9: the controller drops it too
      }
    }
    return out;
  }

  public Optional<Entry> first(Predicate<Entry> p) {
    return read().stream().filter(p).findFirst();
  }

  public Optional<Entry> last(Predicate<Entry> p) {
    List<Entry> all = read();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (p.test(all.get(i))) {
        return Optional.of(all.get(i));
      }
    }
    return Optional.empty();
  }

  public long count(Predicate<Entry> p) {
    return read().stream().filter(p).count();
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
