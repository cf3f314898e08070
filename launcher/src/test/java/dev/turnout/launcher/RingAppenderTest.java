package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.controller.spi.LogRing;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Log lines reach the controller's ring as dashboards show them, and only while one reads. */
class RingAppenderTest {
  @Test
  void connectionLinesAndOthersCarryTheirSourceInBrackets() {
    LogRing ring = new LogRing(16);
    RingAppender appender = RingAppender.attach(ring);
    try {
      LoggerFactory.getLogger("turnout.connection").info("not read by anyone");
      List<String> seen = new ArrayList<>();
      try (LogRing.Cursor cursor = ring.cursor()) {
        LoggerFactory.getLogger("turnout.connection")
            .info("tcp 198.18.0.1:4000 -> a.test:80 (198.18.0.3) rule MATCH [c.yaml:9] via DIRECT");
        LoggerFactory.getLogger(Generation.class).warn("something {}", "odd");
        LoggerFactory.getLogger(Generation.class).debug("below the root level");
        cursor.poll(10, e -> seen.add(e.type() + " " + e.payload()));
      }
      assertThat(seen)
          .containsExactly(
              "info [TCP] 198.18.0.1:4000 -> a.test:80 (198.18.0.3) rule MATCH [c.yaml:9] via DIRECT",
              "warning [Generation] something odd");
    } finally {
      appender.detach();
    }
  }
}
