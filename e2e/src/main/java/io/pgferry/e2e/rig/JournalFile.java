package io.pgferry.e2e.rig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.controller.store.EtcdClient;
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
 * The controller's journal as the rig reads it from outside: what ran, when, and how often. Embedded store: the file
 * {@code state_dir/journey.jsonl} (docs/contracts.md); etcd store: the records under {@code prefix/journal/} (the same
 * JSON, one key per record, docs/ha.md). A torn last line (a crash mid-write) is skipped, as the controller does.
 */
public final class JournalFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One journal line. {@code phase}/{@code step} are null when the record is not about one. */
  public record Entry(long seq, Instant at, String event, String phase, String step, String message, Map<String, String> evidence) {
    public boolean is(String eventName, String stepOrPhase) {
      return event.equals(eventName) && (stepOrPhase.equals(step) || (step == null && stepOrPhase.equals(phase)));
    }
  }

  /** Where the records are read from: the journal's lines, oldest first. */
  @FunctionalInterface
  public interface Lines {
    List<String> read() throws IOException;
  }

  private final Path file;
  private final Lines source;

  public JournalFile(Path stateDir) {
    this.file = stateDir.resolve("journey.jsonl");
    this.source = () -> Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  /** The journal of an etcd store under {@code prefix}, read through {@code etcd}. */
  public JournalFile(EtcdClient etcd, String prefix) {
    this.file = null;
    String dir = prefix + "/journal/";
    this.source = () -> etcd.range(dir, EtcdClient.prefixEnd(dir)).stream().map(EtcdClient.KeyValue::value).toList();
  }

  /** The journal file (null for an etcd store). */
  public Path path() {
    return file;
  }

  public List<Entry> read() {
    List<String> lines;
    try {
      lines = source.read();
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
