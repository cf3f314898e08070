package dev.turnout.launcher;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code turnout run --watch}: reloads the configuration file when its content changes. It watches
 * the file's directory (editors often replace a file by renaming a new one over it), waits until
 * the writes have settled ({@value #SETTLE_MILLIS} ms without another event), and reloads only when
 * the bytes differ from what was last loaded or seen. One daemon thread; {@link #close} stops it.
 */
final class ConfigWatch implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatch.class);
  static final int SETTLE_MILLIS = 300;

  private final Path file;
  private final Reloader reloader;
  private final WatchService watcher;
  private final Thread thread;
  private byte[] lastDigest;

  private ConfigWatch(Path file, Reloader reloader, WatchService watcher) throws IOException {
    this.file = file;
    this.reloader = reloader;
    this.watcher = watcher;
    this.lastDigest = digest();
    this.thread = new Thread(this::run, "turnout-watch");
    this.thread.setDaemon(true);
  }

  static ConfigWatch start(Path file, Reloader reloader) throws IOException {
    Path absolute = file.toAbsolutePath();
    WatchService watcher = FileSystems.getDefault().newWatchService();
    absolute
        .getParent()
        .register(
            watcher,
            StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_DELETE);
    ConfigWatch watch = new ConfigWatch(absolute, reloader, watcher);
    watch.thread.start();
    log.info("reload: watching {} for changes", absolute);
    return watch;
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = watcher.take();
        boolean ours = touched(key);
        // Let a burst of writes settle before reading the file.
        while (true) {
          WatchKey more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
          if (more == null) {
            break;
          }
          ours |= touched(more);
        }
        if (ours && Files.isRegularFile(file)) {
          byte[] now = digest();
          if (!Arrays.equals(now, lastDigest)) {
            lastDigest = now;
            reloader.reloadFile(file, "file changed");
          }
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed: Turnout is stopping
    } catch (IOException e) {
      log.warn("reload: no longer watching {}: {}", file, e.toString());
    }
  }

  private boolean touched(WatchKey key) {
    boolean ours = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.context() instanceof Path name && name.equals(file.getFileName())) {
        ours = true;
      }
    }
    key.reset();
    return ours;
  }

  private byte[] digest() throws IOException {
    try {
      return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public void close() throws IOException {
    watcher.close();
    thread.interrupt();
  }
}
