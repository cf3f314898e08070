package dev.turnout.rules;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decision cost and load time for a large rule set (100,000 DOMAIN-SUFFIX + 10,000 IP-CIDR + 100
 * DOMAIN-KEYWORD, {@code size=large}) against a small one (100 rules of the same mix, {@code
 * size=small}). Connections: half names under listed domains, a quarter unlisted names (falling
 * through to MATCH), an eighth keyword hits, an eighth IP literals. Run with {@code
 * rules/bench.sh}.
 */
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RulesBenchmark {
  @Param({"small", "large"})
  public String size;

  private SyntheticRules rules;
  private RuleEngine engine;
  private ConnectionInfo[] connections;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws RuleException {
    rules =
        size.equals("large")
            ? new SyntheticRules(100_000, 10_000, 100, 7)
            : new SyntheticRules(90, 9, 1, 7);
    engine = build();
    List<ConnectionInfo> sample = rules.sample(4096, 42);
    connections = sample.toArray(new ConnectionInfo[0]);
  }

  private RuleEngine build() throws RuleException {
    return RuleEngine.builder()
        .rules(rules.ruleLines())
        .policies(List.of("Proxy", "DIRECT", "REJECT", "P1", "P2"))
        .build();
  }

  /** One decision per call, cycling through the connections. */
  @Benchmark
  @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Decision decide() {
    ConnectionInfo c = connections[next++ & (connections.length - 1)];
    return engine.decide(c);
  }

  /** Parse and compile the whole rule set. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 3, batchSize = 1)
  @Measurement(iterations = 5, batchSize = 1)
  public RuleEngine loadRules() throws RuleException {
    return build();
  }
}
