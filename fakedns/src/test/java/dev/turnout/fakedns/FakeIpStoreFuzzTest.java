package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Fuzz;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The fake-IP store's file format, fuzzed: any state survives an encode and decode exactly, and
 * damaged files (random, mutated, or mutated and re-framed with a correct length and CRC so that
 * the payload parser itself is exercised) never throw, and restore only valid mappings.
 */
class FakeIpStoreFuzzTest {
  private static final long SEED = 0x5707eL;
  private static final int HEADER = 16; // magic, length, CRC

  @Test
  void everyStateRoundTripsExactly() {
    SplittableRandom random = Fuzz.random(SEED);
    int cases = Fuzz.iterations(2_000);
    for (int i = 0; i < cases; i++) {
      FakeIpPool pool = new FakeIpPool(0xC6120002, 0xC6120002 + 1 + random.nextInt(300));
      for (int n = random.nextInt(600); n > 0; n--) {
        Optional<InetAddress> a = pool.tryAddressFor("n" + random.nextInt(400) + ".example");
        if (a.isPresent() && random.nextInt(32) == 0) {
          pool.pin(a.get()); // pinned mappings are saved too
        }
      }
      FakeIpPool.State state = pool.snapshot();
      Optional<List<FakeIpPool.State>> decoded =
          FakeIpStore.decode(FakeIpStore.encode(List.of(state)));
      assertThat(decoded).as(Fuzz.where(SEED, i)).isPresent();
      FakeIpPool again = new FakeIpPool(0xC6120002, 0xC6120002 + pool.capacity() - 1);
      again.restore(decoded.get().get(0));
      for (FakeIpPool.Mapping m : state.mappings()) {
        assertThat(again.addressFor(m.name()))
            .as(Fuzz.where(SEED, i))
            .isEqualTo(pool.addressFor(m.name()));
      }
      assertThat(again.size()).isEqualTo(pool.size());
    }
  }

  @Test
  void damagedFilesNeverThrowAndRestoreOnlyValidMappings() {
    SplittableRandom random = Fuzz.random(SEED + 1);
    FakeIpPool source = new FakeIpPool(0xC6120002, 0xC61200ff);
    for (int n = 0; n < 200; n++) {
      source.addressFor("s" + n + ".example");
    }
    byte[] valid = FakeIpStore.encode(List.of(source.snapshot()));
    int cases = Fuzz.iterations(100_000);
    int parsed = 0;
    for (int i = 0; i < cases; i++) {
      byte[] damaged =
          switch (i % 3) {
            case 0 -> Fuzz.bytes(random, random.nextInt(256));
            case 1 -> Fuzz.mutate(valid, random);
            default ->
                reframe(Fuzz.mutate(Arrays.copyOfRange(valid, HEADER, valid.length), random));
          };
      Optional<List<FakeIpPool.State>> states;
      try {
        states = FakeIpStore.decode(damaged);
      } catch (RuntimeException e) {
        throw new AssertionError(Fuzz.where(SEED + 1, i) + ": decode threw", e);
      }
      if (states.isEmpty()) {
        continue;
      }
      parsed++;
      for (FakeIpPool.State state : states.get()) {
        FakeIpPool pool = new FakeIpPool(0xC6120002, 0xC61200ff);
        try {
          pool.restore(state);
        } catch (IllegalArgumentException anotherRange) {
          continue; // FakeIpStore skips a state of another range the same way
        }
        assertThat(pool.size()).isLessThanOrEqualTo(pool.capacity());
        pool.addressFor("after.example"); // still allocates
      }
    }
    assertThat(parsed).as("re-framed mutations reach the payload parser").isPositive();
  }

  /** {@code payload} framed as the store frames it: magic, length, CRC32C. */
  private static byte[] reframe(byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    return ByteBuffer.allocate(HEADER + payload.length)
        .put(new byte[] {'T', 'N', 'T', 'F', 'I', 'P', '0', '1'})
        .putInt(payload.length)
        .putInt((int) crc.getValue())
        .put(payload)
        .array();
  }
}
