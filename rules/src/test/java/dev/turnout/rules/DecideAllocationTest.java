package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnout.rules.SyntheticRules.Kind;
import java.lang.management.ManagementFactory;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A decision made by the indexes or by MATCH allocates nothing: no context, no boxing, no copy of
 * the host. Measured with the JVM's per-thread allocation counter over many decisions, so that an
 * incidental allocation elsewhere in the thread does not fail it.
 */
class DecideAllocationTest {
  @Test
  void indexedDecisionsAndMatchAllocateNothing() throws Exception {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(
        threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
    SyntheticRules s = new SyntheticRules(2_000, 200, 20, 5);
    RuleEngine engine =
        RuleEngine.builder()
            .rules(s.ruleLines())
            .policies(List.of("Proxy", "DIRECT", "REJECT", "P1", "P2"))
            .build();
    for (Kind kind : Kind.values()) {
      ConnectionInfo[] sample = s.sample(64, 3, EnumSet.of(kind)).toArray(new ConnectionInfo[0]);
      for (ConnectionInfo c : sample) {
        engine.decide(c); // load and initialize everything on the path once
      }
      long id = Thread.currentThread().getId();
      long before = threads.getThreadAllocatedBytes(id);
      int decisions = 20_000;
      for (int i = 0; i < decisions; i++) {
        engine.decide(sample[i & 63]);
      }
      long bytes = threads.getThreadAllocatedBytes(id) - before;
      assertThat(bytes)
          .as("bytes allocated by %d %s decisions", decisions, kind)
          .isLessThan(decisions);
    }
  }
}
