package dev.turnout.outbound.group;

import dev.turnout.netbase.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers the member chosen in each {@code select} group (and the member a url-test or fallback
 * group is fixed to) across restarts, as a properties file ({@code selected.properties}) in the
 * state directory, replaced atomically on every change. A missing or unreadable file means no
 * remembered choices. Thread-safe.
 */
public final class SelectionStore {
  private static final Logger LOG = LoggerFactory.getLogger(SelectionStore.class);
  static final String FILE = "selected.properties";

  private final Path file;
  private final Properties choices = new Properties();

  /**
   * @param directory where to keep the file, or null to remember only in memory
   */
  public SelectionStore(Path directory) {
    this.file = directory == null ? null : directory.resolve(FILE);
    if (file != null && Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        choices.load(in);
      } catch (IOException | IllegalArgumentException e) {
        LOG.warn("ignoring unreadable {}: {}", file, e.toString());
      }
    }
  }

  synchronized String get(String group) {
    return choices.getProperty(group);
  }

  synchronized void put(String group, String member) {
    if (member.equals(choices.getProperty(group))) {
      return;
    }
    choices.setProperty(group, member);
    save(group);
  }

  /** Forgets the choice of {@code group} (a url-test group no longer fixed). */
  synchronized void remove(String group) {
    if (choices.remove(group) != null) {
      save(group);
    }
  }

  private void save(String group) {
    if (file == null) {
      return;
    }
    try {
      PrivateFiles.directory(file.getParent());
      Path tmp = file.resolveSibling(FILE + ".tmp");
      try (OutputStream out = PrivateFiles.newOutputStream(tmp)) {
        choices.store(out, "Turnout: member chosen in each select group");
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.warn("cannot remember the choice of {} in {}: {}", group, file, e.toString());
    }
  }
}
