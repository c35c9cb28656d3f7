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
import java.util.Optional;

/**
 * The journey's memory: an append-only JSON-lines file in the controller's state dir, each record forced to disk
 * (fsync) before {@link #append} returns. A line torn by a crash (the last one: without its newline, or not a whole
 * record) is dropped on reload. An append that fails (a full disk, an I/O error) cuts the file back to the last
 * complete record before it throws {@link Unwritable}, so the file stays readable whatever happens next; the journal
 * then refuses every later append until it is opened again (a write that failed once is not trusted to work). Written
 * through a FileOutputStream and {@code FileDescriptor.sync()} rather than a FileChannel, because an interrupt
 * (controller shutdown) closes a FileChannel in the middle of a write.
 */
public final class Journal implements JournalStore {
  public static final String FILE_NAME = "journey.jsonl";
  /** Prefix of the note that a phase's undo ran without being recorded (the phase's name follows). */
  private static final String UNDO_NOTE = "journey.unrecorded-undo.";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Clock clock;
  private final FileOutputStream out;
  private final List<JournalRecord> records;
  /** The bytes of the complete records: what a failed append is cut back to. */
  private long length;
  /** Why an append failed; later appends are refused until the journal is opened again (as PostgreSQL after fsync). */
  private String broken;

  /** An append that did not reach the disk; the file holds every record before it, and nothing of it. */
  public static final class Unwritable extends IOException {
    Unwritable(String message, IOException cause) {
      super(message, cause);
    }
  }

  private Journal(Path file, Clock clock, FileOutputStream out, List<JournalRecord> records, long length) {
    this.file = file;
    this.clock = clock;
    this.out = out;
    this.records = records;
    this.length = length;
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
              if (isLastLine(bytes, i)) {
                break; // torn: a write cut short whose newline reached the disk before the rest (or garbage after it)
              }
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
    return new Journal(file, clock, new FileOutputStream(file.toFile(), true), records, keepBytes);
  }

  /** Whether nothing but blanks or a torn line without its newline follows the newline at {@code newline}. */
  private static boolean isLastLine(byte[] bytes, int newline) {
    for (int j = newline + 1; j < bytes.length; j++) {
      if (bytes[j] == '\n') {
        return new String(bytes, newline + 1, bytes.length - newline - 1, StandardCharsets.UTF_8).isBlank();
      }
    }
    return true;
  }

  public Path file() {
    return file;
  }

  @Override
  public String where() {
    return file.toString();
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
    if (broken != null) {
      throw new Unwritable(broken, null);
    }
    byte[] line = (JSON.writeValueAsString(r) + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      out.write(line);
      out.getFD().sync();
    } catch (IOException e) {
      broken = "cannot write the journal " + file + " (" + e.getMessage() + ")" + cutBack();
      throw new Unwritable(broken, e);
    }
    length += line.length;
    records.add(r);
    return r;
  }

  /** Cuts the file back to its complete records after a failed append; says how that went, for the error. */
  private String cutBack() {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      if (raf.length() != length) {
        raf.setLength(length);
      }
      raf.getFD().sync();
      return "; it holds the " + records.size() + " records before this one";
    } catch (IOException e) {
      return "; cutting it back to its " + records.size() + " complete records failed too (" + e.getMessage()
          + "): its last line is torn, and dropped when it is next read";
    }
  }

  /**
   * Notes, outside the records, that {@code phase}'s undo steps ran while the journal could not be written: an empty
   * file (it needs an inode, not a data block, so it can still be made on a full disk). The next run records the undo
   * before anything else ({@link #unrecordedUndo}). Returns whether the note was made.
   */
  public boolean noteUnrecordedUndo(Phase phase) {
    try {
      clearUnrecordedUndo();
      Files.createFile(file.resolveSibling(UNDO_NOTE + phase.name()));
      AtomicFiles.fsyncDirectory(file.getParent());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The phase whose undo ran unrecorded (see {@link #noteUnrecordedUndo}), if any. */
  public Optional<Phase> unrecordedUndo() {
    try (var names = Files.list(file.getParent())) {
      return names.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(UNDO_NOTE))
          .map(n -> Phase.valueOf(n.substring(UNDO_NOTE.length()))).findFirst();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Removes the note once the undo is recorded. */
  public void clearUnrecordedUndo() throws IOException {
    Optional<Phase> p = unrecordedUndo();
    if (p.isPresent()) {
      Files.deleteIfExists(file.resolveSibling(UNDO_NOTE + p.get().name()));
      AtomicFiles.fsyncDirectory(file.getParent());
    }
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
