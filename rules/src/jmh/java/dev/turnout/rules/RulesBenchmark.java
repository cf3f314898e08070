package dev.turnout.rules;

import dev.turnout.rules.SyntheticRules.Kind;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * DOMAIN-KEYWORD, ended by MATCH: {@code size=large}) against a small one (100 rules of the same
 * mix, {@code size=small}).
 *
 * <p>{@code decide} cycles through 4,096 prepared connections: with {@code kind=all}, of every 16
 * eight are names under listed domains, two keyword hits, three IP literals inside listed CIDRs,
 * two unlisted names and one unlisted IP (both falling through to MATCH); the setup prints the
 * policies the sample gets, as a check. {@code -p kind=DOMAIN} (or KEYWORD, CIDR, NAME_MISS,
 * IP_MISS) measures one kind alone. {@code cursor} does everything {@code decide} does except the
 * decision: the harness's own cost per call (cursor, array read, and in sample mode the timer), to
 * subtract. Run with {@code bench/rules.sh}.
 */
@State(Scope.Thread)
@Fork(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RulesBenchmark {
  @Param({"small", "large"})
  public String size;

  @Param({"all"})
  public String kind;

  private List<RuleLine> lines;
  private RuleEngine engine;
  private ConnectionInfo[] connections;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws RuleException {
    SyntheticRules rules =
        size.equals("large")
            ? new SyntheticRules(100_000, 10_000, 100, 7)
            : new SyntheticRules(90, 9, 1, 7);
    lines = rules.ruleLines(); // outside loadRules: the config's lines exist before a load
    engine = build();
    Set<Kind> kinds =
        kind.equals("all") ? EnumSet.allOf(Kind.class) : EnumSet.of(Kind.valueOf(kind));
    connections = rules.sample(4096, 42, kinds).toArray(new ConnectionInfo[0]);
    Map<String, Integer> byType = new java.util.TreeMap<>();
    for (ConnectionInfo c : connections) {
      Decision d = engine.decide(c);
      byType.merge(d.rule().replaceAll(",.*", ""), 1, Integer::sum);
    }
    System.out.println("sample of " + connections.length + " decided by " + byType);
  }

  private RuleEngine build() throws RuleException {
    return RuleEngine.builder()
        .rules(lines)
        .policies(List.of("Proxy", "DIRECT", "REJECT", "P1", "P2"))
        .build();
  }

  /** One decision per call, cycling through the connections. */
  @Benchmark
  @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Decision decide() {
    return engine.decide(connections[next++ & (connections.length - 1)]);
  }

  /** The harness alone: {@link #decide} without the decision. */
  @Benchmark
  @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public ConnectionInfo cursor() {
    return connections[next++ & (connections.length - 1)];
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
