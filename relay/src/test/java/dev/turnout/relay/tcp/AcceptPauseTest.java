package dev.turnout.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AcceptPauseTest {
  @Test
  void aFailedAcceptIsCountedAndPausesAcceptingBriefly() {
    AcceptPause pause = new AcceptPause("test");
    EmbeddedChannel listener = new EmbeddedChannel(pause);
    for (int i = 0; i < 1000; i++) { // a storm of failures: counted, not passed on
      listener
          .pipeline()
          .fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
    }
    listener.checkException(); // nothing reached the end of the pipeline
    assertThat(pause.failures()).isEqualTo(1000);
    assertThat(listener.config().isAutoRead()).isFalse();
    listener.advanceTimeBy(AcceptPause.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    listener.runScheduledPendingTasks();
    assertThat(listener.config().isAutoRead()).isTrue(); // accepting again
    listener.finishAndReleaseAll();
  }

  @Test
  void otherProblemsPassOn() {
    EmbeddedChannel listener = new EmbeddedChannel(new AcceptPause("test"));
    listener.pipeline().fireExceptionCaught(new IllegalStateException("a bug"));
    assertThatThrownBy(listener::checkException).isInstanceOf(IllegalStateException.class);
    assertThat(listener.config().isAutoRead()).isTrue();
  }
}
