package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeIpStoreTest {
  private static final Duration NEVER = Duration.ofHours(1); // tests flush explicitly

  @TempDir Path dir;

  private static FakeIpPool pool() {
    return new FakeIpPool(0xC6120002, 0xC612FFFE);
  }

  private static FakeIpPool v6() throws Exception {
    return FakeIpPool.of(InetAddress.getByName("fdfe:dcba:9876::2"), 1 << 16);
  }

  @Test
  void mappingsSurviveARestartBothWaysAndAllocationContinues() throws Exception {
    Path file = dir.resolve("fakeip.cache");
    FakeIpPool pool = pool();
    FakeIpPool pool6 = v6();
    InetAddress a = pool.addressFor("www.example.com");
    InetAddress b = pool.addressFor("b.example.com");
    InetAddress a6 = pool6.addressFor("www.example.com");
    try (FakeIpStore store = FakeIpStore.open(file, List.of(pool, pool6), NEVER)) {
      assertThat(store.loaded()).isZero();
    } // close writes
    FakeIpPool again = pool();
    FakeIpPool again6 = v6();
    try (FakeIpStore store = FakeIpStore.open(file, List.of(again, again6), NEVER)) {
      assertThat(store.loaded()).isEqualTo(3);
      assertThat(again.nameFor(a)).contains("www.example.com");
      assertThat(again.nameFor(b)).contains("b.example.com");
      assertThat(again6.nameFor(a6)).contains("www.example.com");
      assertThat(again.addressFor("www.example.com")).isEqualTo(a);
      InetAddress c = again.addressFor("c.example.com");
      assertThat(c).isNotIn(a, b); // the cursor moved past the restored ones
    }
  }

  @Test
  void lruOrderIsKept() throws Exception {
    Path file = dir.resolve("f");
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A000003);
    InetAddress x = tiny.addressFor("x");
    tiny.addressFor("y");
    tiny.addressFor("z");
    tiny.addressFor("x"); // y is now the least recently used
    FakeIpStore.open(file, List.of(tiny), NEVER).close();
    FakeIpPool restored = new FakeIpPool(0x0A000001, 0x0A000003);
    FakeIpStore.open(file, List.of(restored), NEVER).close();
    InetAddress w = restored.addressFor("w");
    assertThat(restored.nameFor(x)).contains("x");
    assertThat(restored.nameFor(w)).contains("w");
    assertThat(restored.addressFor("z")).isNotEqualTo(w); // z survived, y was evicted
    assertThat(restored.size()).isEqualTo(3);
  }

  @Test
  void tornOrCorruptFileFallsBackToThePreviousGoodSnapshot() throws Exception {
    Path file = dir.resolve("fakeip.cache");
    FakeIpPool pool = pool();
    InetAddress first = pool.addressFor("first.test");
    try (FakeIpStore store = FakeIpStore.open(file, List.of(pool), NEVER)) {
      store.flush(); // snapshot 1: first
      pool.addressFor("second.test");
      store.flush(); // snapshot 2: first + second; snapshot 1 is now the backup
      assertThat(store.writes()).isEqualTo(2);
    }
    byte[] good = Files.readAllBytes(file);
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 200; round++) {
      byte[] bad;
      if (round % 2 == 0) {
        bad = Arrays.copyOf(good, random.nextInt(good.length)); // torn write
      } else {
        bad = good.clone();
        bad[random.nextInt(bad.length)] ^= (byte) (1 + random.nextInt(255)); // corruption
      }
      Files.write(file, bad);
      FakeIpPool restored = pool();
      try (FakeIpStore store = FakeIpStore.open(file, List.of(restored), NEVER)) {
        assertThat(restored.nameFor(first)).as("round %d", round).contains("first.test");
        assertThat(store.loaded()).isEqualTo(1); // the backup: snapshot 1
      }
      // the bad file was replaced by a good snapshot, and the good backup was not clobbered
      assertThat(FakeIpStore.read(file)).isPresent();
      assertThat(FakeIpStore.read(dir.resolve("fakeip.cache.bak"))).isPresent();
      Files.write(
          dir.resolve("fakeip.cache.bak"), Files.readAllBytes(dir.resolve("fakeip.cache.bak")));
    }
  }

  @Test
  void bothFilesBadStartsEmptyWithoutDeletingThem() throws Exception {
    Path file = dir.resolve("fakeip.cache");
    Files.write(file, new byte[] {1, 2, 3});
    Files.write(dir.resolve("fakeip.cache.bak"), "garbage".getBytes());
    FakeIpPool pool = pool();
    try (FakeIpStore store = FakeIpStore.open(file, List.of(pool), NEVER)) {
      assertThat(store.loaded()).isZero();
      assertThat(Files.readAllBytes(dir.resolve("fakeip.cache.bak")))
          .isEqualTo("garbage".getBytes());
    }
  }

  @Test
  void aFloodOfAllocationsDoesNotWriteUntilTheIntervalTicks() throws Exception {
    Path file = dir.resolve("fakeip.cache");
    FakeIpPool pool = pool();
    try (FakeIpStore store = FakeIpStore.open(file, List.of(pool), NEVER)) {
      for (int i = 0; i < 50_000; i++) {
        pool.addressFor("flood" + i + ".test");
      }
      assertThat(store.writes()).isZero(); // writes happen on the writer's schedule only
      store.flush();
      store.flush(); // nothing changed: no second write
      assertThat(store.writes()).isEqualTo(1);
    }
    FakeIpPool restored = pool();
    FakeIpStore.open(file, List.of(restored), NEVER).close();
    assertThat(restored.size()).isEqualTo(50_000);
  }

  @Test
  void aChangedRangeDropsItsMappings() throws Exception {
    Path file = dir.resolve("fakeip.cache");
    FakeIpPool pool = pool();
    pool.addressFor("a.test");
    FakeIpStore.open(file, List.of(pool), NEVER).close();
    FakeIpPool other = new FakeIpPool(0x0A000001, 0x0A0000FE);
    try (FakeIpStore store = FakeIpStore.open(file, List.of(other), NEVER)) {
      assertThat(store.loaded()).isZero();
      assertThat(other.size()).isZero();
    }
  }

  @Test
  void randomBytesNeverDecode() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[random.nextInt(64)];
      random.nextBytes(b);
      assertThat(FakeIpStore.decode(b)).isEmpty();
    }
  }

  /** Issue 14, defect 6: fakeip.cache was world-readable (0644 in a 0755 directory). */
  @Test
  void theFileAndTheDirectoryItCreatesArePrivate() throws Exception {
    Path file = dir.resolve("state/deeper/fakeip.cache");
    FakeIpPool pool = pool();
    pool.addressFor("secret.example.com");
    FakeIpStore.open(file, List.of(pool), NEVER).close();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state"))))
        .isEqualTo("rwx------");
  }

  /** A full disk or read-only directory: the mappings live on in memory and saving resumes. */
  @Test
  void aSnapshotThatCannotBeWrittenIsRetriedWithoutStoppingTheStore() throws Exception {
    Path file = dir.resolve("fakeip.cache");
    Path blocker = dir.resolve("fakeip.cache.tmp");
    Files.createDirectory(blocker); // the temporary file cannot be opened for writing
    Files.writeString(blocker.resolve("x"), "x");
    FakeIpPool pool = pool();
    try (FakeIpStore store = FakeIpStore.open(file, List.of(pool), Duration.ofMillis(20))) {
      pool.addressFor("kept.example.com");
      Thread.sleep(200);
      assertThat(store.writes()).isZero();
      assertThat(pool.nameFor(pool.addressFor("kept.example.com"))).contains("kept.example.com");
      Files.delete(blocker.resolve("x"));
      Files.delete(blocker);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (store.writes() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(store.writes()).isPositive();
    }
    assertThat(Files.exists(file)).isTrue();
  }
}
