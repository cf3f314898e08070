package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ForwardedPortsTest {
  @Test
  void theDefaultRangeMovesBelowItself() throws IOException {
    ForwardedPorts ports = ForwardedPorts.of("32768\t60999\n");
    assertThat(ports).isEqualTo(new ForwardedPorts(32768, 60999, 1024));
    assertThat(ports.sessionLast()).isEqualTo(29255);
  }

  @Test
  void aRangeTooLowToFitBelowMovesAboveItself() throws IOException {
    ForwardedPorts ports = ForwardedPorts.of("2000 20000");
    assertThat(ports.sessionFirst()).isEqualTo(20001);
    assertThat(ports.sessionLast()).isEqualTo(38001);
  }

  @Test
  void aRangeWithNoRoomBesideItOrNoRangeAtAllIsRefusedSayingWhy() {
    assertThatThrownBy(() -> ForwardedPorts.of("1024 65535"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("1024-65535 leaves no range of its size beside it");
    assertThatThrownBy(() -> ForwardedPorts.of("10000 50000")).isInstanceOf(IOException.class);
    for (String bad : new String[] {"3", "", "a b", "60999 32768", "1 2 3", "0 100"}) {
      assertThatThrownBy(() -> ForwardedPorts.of(bad)).as(bad).isInstanceOf(IOException.class);
    }
  }

  @Test
  void thisHostsRangeReadsWhole() throws IOException {
    // Files.readString reads "3" of "32768 60999" from /proc: the range must come whole.
    ForwardedPorts ports = ForwardedPorts.ofThisHost();
    assertThat(ports.appLast() - ports.appFirst()).isGreaterThan(1000);
  }

  @Test
  void overlappingOrOutOfBoundsRangesAreRefused() {
    assertThatThrownBy(() -> new ForwardedPorts(32768, 60999, 30000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ForwardedPorts(32768, 60999, 61000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ForwardedPorts(32768, 60999, 100))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
