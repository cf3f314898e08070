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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Decision cost and load time for a large rule set (100,000 DOMAIN-SUFFIX + 10,000 IP-CIDR + 100
 * DOMAIN-KEYWORD, ended by MATCH: {@code size=large}) against a small one (100 rules of the same
 * mix, {@code size=small}).
 *
 * <p>{@code decide} cycles through 4,093 prepared connections: with {@code kind=all}, of every 16
 * eight are names under listed domains, two keyword hits, three IP literals inside listed CIDRs,
 * two unlisted names and one unlisted IP (both falling through to MATCH); the setup prints the
 * policies the sample gets, as a check. {@code -p kind=DOMAIN} (or KEYWORD, CIDR, NAME_MISS,
 * IP_MISS) measures one kind alone. {@code cursor} does everything {@code decide} does except the
 * decision: the harness's own cost per call (cursor, array read, and in sample mode the timer), to
 * subtract.
 *
 * <p>Percentiles come two ways. SampleTime times about one call in 2^k; on this project's 2-vCPU
 * VMs its p99 swings between iterations of one fork (0.5 to 6 µs for the same code), and {@code
 * fixedWork}, a fixed computation of about 130 ns, gets a p99 of 0.26 to 3.5 µs there. {@code
 * decideTimed} times every decision itself, with the same clock, and prints the fork's percentiles
 * at its end, beside the clock's own cost and {@code fixedWork} timed the same way. Run with {@code
 * bench/rules.sh}.
 */
@State(Scope.Thread)
@Fork(
    value = 2,
    jvmArgsAppend = {"-XX:+UseParallelGC", "-Xss512k"}) // as ./turnout runs the JVM
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RulesBenchmark {
  // Not a power of two: SampleTime picks the calls it times with the low bits of a linear
  // congruential generator, which repeat with a power-of-two period; a power-of-two sample would
  // then be timed on the same few connections for a whole iteration.
  private static final int SAMPLE = 4093;
  private static final long FIXED_WORK = 64; // Blackhole tokens: about 130 ns here

  @Param({"small", "large"})
  public String size;

  @Param({"all"})
  public String kind;

  private List<RuleLine> lines;
  private RuleEngine engine;
  private ConnectionInfo[] connections;
  private int next;
  private final LatencyHistogram timed = new LatencyHistogram();
  private final LatencyHistogram round = new LatencyHistogram();
  private int rounds;
  private boolean measuring;

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
    connections = rules.sample(SAMPLE, 42, kinds).toArray(new ConnectionInfo[0]);
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

  @Setup(Level.Iteration)
  public void startIteration(IterationParams iteration) {
    measuring = iteration.getType() == IterationType.MEASUREMENT;
    round.clear();
  }

  /**
   * Each measurement iteration's percentiles, one line: the rounds bench/rules.sh takes medians of.
   */
  @TearDown(Level.Iteration)
  public void printRound() {
    if (measuring && round.total() > 0) {
      System.out.printf(
          "%ndecideRound size=%s kind=%s round=%d: %s%n", size, kind, ++rounds, round.summary());
    }
  }

  @TearDown(Level.Trial)
  public void printTimed() {
    if (timed.total() > 0) {
      LatencyHistogram timer = new LatencyHistogram();
      LatencyHistogram work = new LatencyHistogram();
      for (int i = 0; i < 1_000_000; i++) {
        timer.record(-System.nanoTime() + System.nanoTime());
        long start = System.nanoTime();
        Blackhole.consumeCPU(FIXED_WORK);
        work.record(System.nanoTime() - start);
      }
      System.out.printf(
          "%ndecideTimed size=%s kind=%s: %s over %,d decisions"
              + " (the timer alone: %s; fixedWork timed so: %s)%n",
          size, kind, timed.summary(), timed.total(), timer.summary(), work.summary());
    }
  }

  private int advance() {
    int i = next;
    next = i + 1 == connections.length ? 0 : i + 1;
    return i;
  }

  /** One decision per call, cycling through the connections. */
  @Benchmark
  @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Decision decide() {
    return engine.decide(connections[advance()]);
  }

  /**
   * {@link #decide} with each decision timed on its own, for percentiles that do not depend on
   * SampleTime's choice of calls (see the class comment): printed at the end of each fork.
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Decision decideTimed() {
    ConnectionInfo connection = connections[advance()];
    long start = System.nanoTime();
    Decision d = engine.decide(connection);
    long took = System.nanoTime() - start;
    if (measuring) {
      timed.record(took);
      round.record(took);
    }
    return d;
  }

  /**
   * A fixed computation of about 130 ns, touching no memory, in SampleTime: whatever its
   * percentiles show above its median is the harness's and the machine's, not the rules'.
   */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public void fixedWork() {
    Blackhole.consumeCPU(FIXED_WORK);
  }

  /** The harness alone: {@link #decide} without the decision. */
  @Benchmark
  @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public ConnectionInfo cursor() {
    return connections[advance()];
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
