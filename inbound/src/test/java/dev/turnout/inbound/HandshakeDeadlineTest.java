package dev.turnout.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handshake clock on the embedded event loop's own time: no sleeping. */
class HandshakeDeadlineTest {
  private final InboundStats stats = new InboundStats();

  @Test
  void aClientThatDoesNotFinishItsHandshakeInTimeIsClosedAndCounted() {
    ClientChannel client = new ClientChannel();
    client.freezeTime();
    HandshakeDeadline.start(client, Duration.ofSeconds(30), stats, "test");
    client.advanceTimeBy(29, TimeUnit.SECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.isOpen()).isTrue();
    client.advanceTimeBy(1, TimeUnit.SECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.isOpen()).isFalse();
    assertThat(stats.count(InboundStats.Event.HANDSHAKE_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void aHandshakeThatIsMetStopsTheClock() {
    ClientChannel client = new ClientChannel();
    client.freezeTime();
    HandshakeDeadline.start(client, Duration.ofSeconds(30), stats, "test");
    HandshakeDeadline.met(client);
    client.advanceTimeBy(1, TimeUnit.HOURS);
    client.runScheduledPendingTasks();
    assertThat(client.isOpen()).isTrue();
    assertThat(stats.count(InboundStats.Event.HANDSHAKE_TIMEOUT)).isZero();
  }
}
