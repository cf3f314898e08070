package dev.turnout.natrewrite.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the tentative flag of /proc/net/if_inet6 lines, and the bounded wait for it. */
class TentativeAddressTest {
  private static final String TENTATIVE = "fdfedcba987600000000000000000001 05 40 00 c0 turnout0";
  private static final String USABLE = "fdfedcba987600000000000000000001 05 40 00 80 turnout0";
  private static final String OTHER = "00000000000000000000000000000001 01 80 10 80       lo";

  @TempDir Path dir;

  private static Inet6Address tunAddress() throws Exception {
    return (Inet6Address) InetAddress.getByName("fdfe:dcba:9876::1");
  }

  @Test
  void theFlagOfTheAddressOnTheDeviceIsRead() throws Exception {
    assertThat(TentativeAddress.tentative(List.of(OTHER, TENTATIVE), "turnout0", tunAddress()))
        .isTrue();
    assertThat(TentativeAddress.tentative(List.of(USABLE, OTHER), "turnout0", tunAddress()))
        .isFalse();
    assertThat(TentativeAddress.tentative(List.of(USABLE), "turnout1", tunAddress())).isNull();
    assertThat(TentativeAddress.tentative(List.of(OTHER, "garbage"), "turnout0", tunAddress()))
        .isNull();
  }

  @Test
  void theWaitEndsOnceUsableAndGivesUpOnATentativeOneAfterItsTime() throws Exception {
    Path table = dir.resolve("if_inet6");
    Files.writeString(table, OTHER + "\n" + USABLE + "\n");
    TentativeAddress.await(table, "turnout0", tunAddress(), Duration.ofSeconds(1));

    Files.writeString(table, TENTATIVE + "\n");
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> TentativeAddress.await(table, "turnout0", tunAddress(), Duration.ofMillis(100)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("as tentative after 100 ms");
    assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(5).toNanos());
  }
}
