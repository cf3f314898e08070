package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.ManualTimeSource;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SourceGuardTest {
  private final ManualTimeSource time = new ManualTimeSource();

  @Test
  void withoutAllowLanOnlyThisHostIsAnswered() throws Exception {
    SourceGuard guard =
        new SourceGuard(false, a -> a.getHostAddress().startsWith("198.19."), 0, 0, time);
    assertThat(guard.admitDatagram(InetAddress.getByName("127.0.0.1"))).isTrue();
    assertThat(guard.admitDatagram(InetAddress.getByName("::1"))).isTrue();
    assertThat(guard.admitDatagram(InetAddress.getByName("192.0.2.9"))).isFalse();
    assertThat(guard.admitConnection(InetAddress.getByName("192.0.2.9"))).isFalse();
    assertThat(guard.admitDatagram(InetAddress.getByName("198.19.0.9"))).isTrue(); // trusted
    assertThat(guard.refused.sum()).isEqualTo(2);
  }

  @Test
  void remoteSourcesAreRateLimitedPerAddressLocalOnesNever() throws Exception {
    SourceGuard guard = new SourceGuard(true, a -> false, 10, 5, time);
    InetAddress a = InetAddress.getByName("192.0.2.9");
    InetAddress b = InetAddress.getByName("192.0.2.10");
    for (int i = 0; i < 5; i++) {
      assertThat(guard.admitDatagram(a)).isTrue();
    }
    assertThat(guard.admitDatagram(a)).isFalse(); // burst spent
    assertThat(guard.admitDatagram(b)).isTrue(); // per source
    assertThat(guard.admitConnection(a)).isTrue(); // TCP cannot be spoofed: not limited
    time.advance(Duration.ofMillis(300)); // 3 tokens back
    int admitted = 0;
    for (int i = 0; i < 10; i++) {
      admitted += guard.admitDatagram(a) ? 1 : 0;
    }
    assertThat(admitted).isEqualTo(3);
    time.advance(Duration.ofSeconds(60)); // refills to the burst, no more
    admitted = 0;
    for (int i = 0; i < 10; i++) {
      admitted += guard.admitDatagram(a) ? 1 : 0;
    }
    assertThat(admitted).isEqualTo(5);
    for (int i = 0; i < 10_000; i++) {
      assertThat(guard.admitDatagram(InetAddress.getLoopbackAddress())).isTrue();
    }
    assertThat(guard.rateLimited.sum()).isEqualTo(1 + 7 + 5);
  }

  /**
   * Issue 14, defect 6: past 65,536 sources every bucket was cleared, so a spray of spoofed sources
   * reset the real flooder's limit. Buckets are now a bounded cache that keeps frequent sources.
   */
  @Test
  void aSprayOfSpoofedSourcesNeitherGrowsMemoryNorResetsTheFloodersBucket() throws Exception {
    SourceGuard guard = new SourceGuard(true, a -> false, 10, 5, time);
    InetAddress flooder = InetAddress.getByName("198.51.100.66");
    for (int i = 0; i < 50; i++) {
      guard.admitDatagram(flooder); // its burst spent, and seen often
    }
    int admitted = 0;
    for (int i = 0; i < 200_000; i++) {
      byte[] spoofed = {(byte) 203, 0, (byte) (i >> 8), (byte) i};
      guard.admitDatagram(InetAddress.getByAddress(spoofed));
      if (i % 1000 == 0) {
        admitted += guard.admitDatagram(flooder) ? 1 : 0;
      }
    }
    assertThat(admitted).isZero(); // no time passed: still empty, never reset
    assertThat(guard.trackedSources()).isLessThanOrEqualTo(SourceGuard.MAX_BUCKETS);
  }

  @Test
  void aBucketIdleLongEnoughToBeFullAgainIsForgotten() throws Exception {
    SourceGuard guard = new SourceGuard(true, a -> false, 10, 5, time);
    guard.admitDatagram(InetAddress.getByName("198.51.100.7"));
    assertThat(guard.trackedSources()).isEqualTo(1);
    time.advance(Duration.ofSeconds(2)); // 5 tokens at 10/s: full after 0.5 s, kept at least 1 s
    assertThat(guard.trackedSources()).isZero();
  }
}
