package io.pgferry.controller.journey;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.common.AtomicFiles;
import java.io.IOException;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The journey's memory: an append-only JSON-lines file in the controller's state dir, each record forced to disk
 * (fsync) before {@link #append} returns. A line torn by a crash (the last one, without its newline) is dropped on
 * reload. Written through a FileOutputStream and {@code FileDescriptor.sync()} rather than a FileChannel, because
 * an interrupt (controller shutdown) closes a FileChannel in the middle of a write.
 */
public final class Journal implements AutoCloseable {
  public static final String FILE_NAME = "journey.jsonl";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Clock clock;
  private final FileOutputStream out;
  private final List<JournalRecord> records;

  private Journal(Path file, Clock clock, FileOutputStream out, List<JournalRecord> records) {
    this.file = file;
    this.clock = clock;
    this.out = out;
    this.records = records;
  }

  public static Journal open(Path stateDir, Clock clock) throws IOException {
    Files.createDirectories(stateDir);
    Path file = stateDir.resolve(FILE_NAME);
    List<JournalRecord> records = new ArrayList<>();
    long keepBytes = 0;
    if (Files.exists(file)) {
      byte[] bytes = Files.readAllBytes(file);
      int start = 0;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
          if (!line.isBlank()) {
            try {
              records.add(JSON.readValue(line, JournalRecord.class));
            } catch (IOException e) {
              throw new IOException(file + ": line " + (records.size() + 1) + " is not a journal record ("
                  + e.getMessage().lines().findFirst().orElse("") + "); the journal was changed by hand?", e);
            }
          }
          start = i + 1;
          keepBytes = start;
        }
      }
    } else {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
      AtomicFiles.fsyncDirectory(stateDir);
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      if (raf.length() != keepBytes) {
        raf.setLength(keepBytes); // drops a torn last line
        raf.getFD().sync();
      }
    }
    return new Journal(file, clock, new FileOutputStream(file.toFile(), true), records);
  }

  public Path file() {
    return file;
  }

  public synchronized List<JournalRecord> records() {
    return List.copyOf(records);
  }

  public synchronized JournalState state() {
    return JournalState.replay(records);
  }

  public synchronized JournalRecord append(JournalRecord.Event event, Phase phase, String step, String message,
                                           Map<String, String> evidence) throws IOException {
    JournalRecord r = new JournalRecord(records.size() + 1L, clock.instant().toString(), event,
        phase == null ? null : phase.name(), step, message, evidence == null || evidence.isEmpty() ? null : evidence);
    out.write((JSON.writeValueAsString(r) + "\n").getBytes(StandardCharsets.UTF_8));
    out.getFD().sync();
    records.add(r);
    return r;
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
