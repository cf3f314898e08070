package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class HostResolverTest {

  @Test
  void blockingWaitsForTheAnswer() throws Exception {
    InetAddress a = IpLiterals.parse("198.51.100.1");
    HostResolver fixed = host -> CompletableFuture.completedFuture(List.of(a));
    assertThat(fixed.resolveBlocking("example.test", Duration.ofSeconds(1))).containsExactly(a);
    assertThat(HostResolver.NONE.resolveBlocking("example.test", Duration.ofSeconds(1))).isEmpty();
  }

  @Test
  void failuresAndTimeoutsAreIoExceptionsNamingTheHost() {
    HostResolver failing =
        host -> CompletableFuture.failedFuture(new IOException("SERVFAIL from 192.0.2.53"));
    assertThatThrownBy(() -> failing.resolveBlocking("a.test", Duration.ofSeconds(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("a.test")
        .hasMessageContaining("SERVFAIL");
    HostResolver silent = host -> new CompletableFuture<>();
    assertThatThrownBy(() -> silent.resolveBlocking("b.test", Duration.ofMillis(20)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("b.test")
        .hasMessageContaining("no answer");
  }

  @Test
  void anInterruptedWaitKeepsTheInterrupt() {
    HostResolver silent = host -> new CompletableFuture<>();
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> silent.resolveBlocking("c.test", Duration.ofSeconds(5)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("interrupted");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}
