package dev.turnout.fakedns;

import dev.turnout.netbase.PrivateFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps fake-IP mappings across restarts ({@code profile.store-fake-ip}): loads them into the pools
 * at {@link #open}, then writes a snapshot behind the pools' backs at most once per interval, and
 * only when a mapping changed; {@link #close} writes a last one.
 *
 * <p>Crash safety: a snapshot goes to {@code FILE.tmp}, is fsynced, the current file (if it is one
 * this store read or wrote, i.e. known good) becomes {@code FILE.bak}, and the temporary file is
 * renamed to {@code FILE}; then the directory is fsynced. The file carries a magic, the payload
 * length and a CRC32C, so a torn or corrupt file is detected; the loader then uses {@code
 * FILE.bak}. A bad file is never overwritten by a rename onto the backup, so a kill at any point
 * leaves the last good state loadable. Nothing is deleted when both are bad; the store starts empty
 * and says so.
 *
 * <p>Thread-safe. Owns one daemon thread.
 */
public final class FakeIpStore implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(FakeIpStore.class);
  private static final byte[] MAGIC = {'T', 'N', 'T', 'F', 'I', 'P', '0', '1'};
  private static final int HEADER = MAGIC.length + 8;
  private static final long MAX_FILE = 1L << 30;

  private final Path file;
  private final Path backup;
  private final Path temp;
  private final List<FakeIpPool> pools;
  private final ScheduledExecutorService writer;
  private final long[] savedVersions;
  private boolean fileIsGood; // FILE was read successfully or written by us: may become FILE.bak
  private boolean failing; // the last write failed (disk full, read-only): said once, until fixed
  private long writes;
  private final int loaded;

  private FakeIpStore(Path file, List<FakeIpPool> pools, Duration interval) {
    this.file = file.toAbsolutePath();
    this.backup = sibling(this.file, ".bak");
    this.temp = sibling(this.file, ".tmp");
    this.pools = List.copyOf(pools);
    this.savedVersions = new long[pools.size()];
    this.loaded = load();
    for (int i = 0; i < this.pools.size(); i++) {
      savedVersions[i] = -1; // the first flush writes: the file may predate these pools
    }
    this.writer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "turnout-fakeip-store");
              t.setDaemon(true);
              return t;
            });
    long millis = Math.max(1, interval.toMillis());
    writer.scheduleWithFixedDelay(this::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Loads {@code file} (or its backup) into {@code pools} and starts writing snapshots at most once
   * per {@code interval}. Mappings of a range that is no longer configured are dropped, with a log
   * line. The directory of {@code file} is created ({@code 0700}) if missing; the files written are
   * {@code 0600}.
   *
   * @throws IllegalArgumentException if {@code pools} is empty or {@code interval} is not positive
   * @throws IOException if the directory cannot be created
   */
  public static FakeIpStore open(Path file, List<FakeIpPool> pools, Duration interval)
      throws IOException {
    if (pools.isEmpty() || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("need at least one pool and a positive interval");
    }
    PrivateFiles.directory(file.toAbsolutePath().getParent());
    return new FakeIpStore(file, pools, interval);
  }

  /** Number of mappings restored at {@link #open}. */
  public int loaded() {
    return loaded;
  }

  /** Number of snapshots written since {@link #open}. */
  public synchronized long writes() {
    return writes;
  }

  /** Writes a snapshot now if any pool changed since the last one. */
  public synchronized void flush() throws IOException {
    long[] versions = new long[pools.size()];
    boolean changed = false;
    for (int i = 0; i < pools.size(); i++) {
      versions[i] = pools.get(i).version();
      changed |= versions[i] != savedVersions[i];
    }
    if (!changed) {
      return;
    }
    List<FakeIpPool.State> states = new ArrayList<>();
    for (FakeIpPool pool : pools) {
      states.add(pool.snapshot());
    }
    write(encode(states));
    System.arraycopy(versions, 0, savedVersions, 0, versions.length);
    writes++;
  }

  /**
   * Writes if due; a failure (a full disk, a read-only directory) is logged once, not every second,
   * and the mappings go on living in memory; the next success says so.
   */
  private synchronized void flushQuietly() {
    try {
      flush();
      if (failing) {
        failing = false;
        log.info("fake-IP mappings are saved to {} again", file);
      }
    } catch (IOException | RuntimeException e) {
      if (!failing) {
        failing = true;
        log.warn(
            "cannot save fake-IP mappings to {}: {}; they are kept in memory only, and saving is"
                + " retried every interval",
            file,
            e.toString());
      }
      try {
        Files.deleteIfExists(temp); // a partial snapshot would only take space
      } catch (IOException ignored) {
        // the directory is not writable either: nothing was left there
      }
    }
  }

  /** Writes a last snapshot and stops the writer thread. */
  @Override
  public void close() {
    writer.shutdownNow();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flushQuietly();
  }

  private void write(byte[] content) throws IOException {
    try (FileChannel ch = PrivateFiles.openForWriting(temp)) { // it lists every name: 0600
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        ch.write(buffer);
      }
      ch.force(true);
    }
    if (fileIsGood && Files.exists(file)) {
      Files.move(file, backup, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fileIsGood = true;
    syncDirectory(file.getParent());
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory; the renames are still atomic there
    }
  }

  private int load() {
    Optional<List<FakeIpPool.State>> states = read(file);
    if (states.isPresent()) {
      fileIsGood = true;
    } else {
      states = read(backup);
      if (states.isPresent()) {
        log.warn("fake-IP store {} unreadable; loaded the previous snapshot {}", file, backup);
      }
    }
    if (states.isEmpty()) {
      if (Files.exists(file) || Files.exists(backup)) {
        log.warn("fake-IP store {} and its backup are unreadable; starting empty", file);
      }
      return 0;
    }
    int restored = 0;
    for (FakeIpPool.State state : states.get()) {
      Optional<FakeIpPool> pool =
          pools.stream()
              .filter(p -> p.capacity() == state.size())
              .filter(p -> Arrays.equals(p.firstAddress().getAddress(), state.first()))
              .findFirst();
      if (pool.isEmpty()) {
        log.info(
            "fake-IP store: dropped {} mappings of a range no longer configured",
            state.mappings().size());
        continue;
      }
      restored += pool.get().restore(state);
    }
    log.info("fake-IP store: restored {} mappings from {}", restored, file);
    return restored;
  }

  /** Reads and validates one file; empty if it is missing, torn or corrupt. */
  static Optional<List<FakeIpPool.State>> read(Path path) {
    byte[] content;
    try {
      if (Files.size(path) > MAX_FILE) {
        return Optional.empty();
      }
      content = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      log.warn("cannot read {}: {}", path, e.toString());
      return Optional.empty();
    }
    return decode(content);
  }

  static byte[] encode(List<FakeIpPool.State> states) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(states.size());
      for (FakeIpPool.State s : states) {
        out.writeByte(s.first().length);
        out.write(s.first());
        out.writeInt(s.size());
        out.writeInt(s.cursor());
        out.writeInt(s.mappings().size());
        for (FakeIpPool.Mapping m : s.mappings()) {
          out.writeInt(m.offset());
          out.writeUTF(m.name());
        }
      }
      byte[] payload = bytes.toByteArray();
      CRC32C crc = new CRC32C();
      crc.update(payload);
      ByteBuffer framed = ByteBuffer.allocate(HEADER + payload.length);
      framed.put(MAGIC).putInt(payload.length).putInt((int) crc.getValue()).put(payload);
      return framed.array();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen in memory
    }
  }

  static Optional<List<FakeIpPool.State>> decode(byte[] content) {
    if (content.length < HEADER
        || !Arrays.equals(Arrays.copyOf(content, MAGIC.length), MAGIC)
        || ByteBuffer.wrap(content).getInt(MAGIC.length) != content.length - HEADER) {
      return Optional.empty();
    }
    CRC32C crc = new CRC32C();
    crc.update(content, HEADER, content.length - HEADER);
    if ((int) crc.getValue() != ByteBuffer.wrap(content).getInt(MAGIC.length + 4)) {
      return Optional.empty();
    }
    try {
      DataInputStream in =
          new DataInputStream(new ByteArrayInputStream(content, HEADER, content.length - HEADER));
      int count = in.readInt();
      if (count < 0 || count > 16) {
        return Optional.empty();
      }
      List<FakeIpPool.State> states = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int length = in.readUnsignedByte();
        if (length != 4 && length != 16) {
          return Optional.empty();
        }
        byte[] first = in.readNBytes(length);
        InetAddress.getByAddress(first); // validates
        int size = in.readInt();
        int cursor = in.readInt();
        int n = in.readInt();
        if (n < 0 || n > content.length / 6) {
          return Optional.empty();
        }
        List<FakeIpPool.Mapping> mappings = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          mappings.add(new FakeIpPool.Mapping(in.readInt(), in.readUTF()));
        }
        states.add(new FakeIpPool.State(first, size, cursor, mappings));
      }
      return in.available() == 0 ? Optional.of(states) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Path sibling(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }
}
