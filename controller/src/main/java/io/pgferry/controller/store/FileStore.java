package io.pgferry.controller.store;

import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.PlanCopy;
import io.pgferry.controller.journey.JournalStore;
import io.pgferry.controller.journey.ControllerStore;
import io.pgferry.controller.link.AddressRecords;
import io.pgferry.controller.link.GoalRecords;
import io.pgferry.common.AtomicFiles;
import io.pgferry.controller.journey.Journal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** The embedded store: journey.jsonl, goals.json, plan.yaml and nodes.json in the state dir, for one controller. */
public final class FileStore implements ControllerStore {
  public static final String PLAN_COPY = JourneyService.PLAN_COPY;

  private final Path stateDir;
  private final GoalStore goals;
  private final AddressStore addresses;

  public FileStore(Path stateDir) {
    this.stateDir = stateDir;
    this.goals = new GoalStore(stateDir);
    this.addresses = new AddressStore(stateDir);
  }

  public Path stateDir() {
    return stateDir;
  }

  @Override
  public JournalStore openJournal(Clock clock) throws IOException {
    return Journal.open(stateDir, clock);
  }

  @Override
  public GoalRecords goals() {
    return goals;
  }

  @Override
  public AddressRecords addresses() {
    return addresses;
  }

  @Override
  public PlanCopy planCopy() {
    Path copy = stateDir.resolve(PLAN_COPY);
    return new PlanCopy() {
      @Override
      public Optional<String> read() throws IOException {
        return Files.exists(copy) ? Optional.of(Files.readString(copy)) : Optional.empty();
      }

      @Override
      public void write(String planText) throws IOException {
        AtomicFiles.write(copy, planText.getBytes(StandardCharsets.UTF_8));
      }
    };
  }

  @Override
  public String where() {
    return stateDir.toString();
  }

  @Override
  public void close() {}
}
