package dev.turnout.hostnet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only record of host changes: one line per {@link Change}, written and fsync'ed
 * <em>before</em> the change is made, so a crash at any point leaves a journal that lists every
 * change that may have been made (and possibly one that was not — undo tolerates that).
 *
 * <p>Reading tolerates a crash mid-write: a last line without its newline is ignored, and a line
 * that does not parse is skipped with a warning. Not thread-safe; {@link HostChanges} serializes.
 */
final class Journal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Journal.class);
  static final String HEADER = "turnout-hostnet-journal 1";

  private final Path path;
  private final FileChannel channel;

  private Journal(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /** Creates a new, empty journal (replacing none: the caller has cleaned up any old one). */
  static Journal create(Path path) throws IOException {
    FileChannel channel =
        FileChannel.open(
            path,
            java.util.Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Journal journal = new Journal(path, channel);
    journal.writeLine(HEADER);
    return journal;
  }

  /** Appends one change and forces it to disk. */
  void append(Change change) throws IOException {
    writeLine(Change.encode(change));
  }

  private void writeLine(String line) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
    channel.force(false);
  }

  Path path() {
    return path;
  }

  /** Closes and deletes the journal: everything it listed has been undone. */
  void delete() throws IOException {
    close();
    Files.deleteIfExists(path);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** The changes a journal lists, oldest first; empty if there is no journal. */
  static List<Change> read(Path path) throws IOException {
    String text;
    try {
      // Bytes that are not UTF-8 (a damaged file) become U+FFFD: their line fails validation and
      // is skipped like any other unreadable line, instead of failing the whole journal.
      text = new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    List<Change> changes = new ArrayList<>();
    int start = 0;
    boolean first = true;
    while (true) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        if (start < text.length()) {
          log.warn("{}: ignoring a truncated last line (a crash while writing it)", path);
        }
        break;
      }
      String line = text.substring(start, end);
      start = end + 1;
      if (first) {
        first = false;
        if (!line.equals(HEADER)) {
          throw new IOException(path + " is not a Turnout journal (first line: " + line + ")");
        }
        continue;
      }
      if (line.isBlank()) {
        continue;
      }
      try {
        changes.add(Change.decode(line));
      } catch (IllegalArgumentException e) {
        log.warn("{}: skipping an unreadable line: {}", path, e.getMessage());
      }
    }
    return changes;
  }
}
