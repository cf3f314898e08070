package dev.turnout.launcher;

import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlMapping;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleException;
import dev.turnout.rules.RuleLine;
import dev.turnout.rules.RulesOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the parts of Turnout that a configuration describes, and checks them without starting. */
final class Components {
  private static final Logger log = LoggerFactory.getLogger(Components.class);

  /** The policies every configuration has. */
  static final Set<String> BUILT_INS = Set.of("DIRECT", "REJECT", "REJECT-DROP", "GLOBAL");

  private Components() {}

  /**
   * Everything {@code turnout check} can verify without touching the system, beyond what {@link
   * dev.turnout.launcher.config.ConfigLoader#read} found: the proxies and groups, then the rules
   * and their providers. Every problem goes to {@code problems}, so that one run shows them all;
   * rules may name a proxy that has errors (its errors are shown once, at the proxy).
   */
  static void validate(TurnoutConfig config, Problems problems) {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Set<String> policies = new HashSet<>();
    try (Outbounds outbounds = outbounds(config, nowhere(), loops, problems)) {
      policies.addAll(outbounds.asMap().keySet());
    } finally {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
    for (List<YamlMapping> entries :
        List.of(config.proxies().proxies(), config.proxies().groups())) {
      entries.forEach(e -> e.text("name").ifPresent(policies::add));
    }
    try (RuleEngine ignored = build(config, HostResolver.NONE, policies, null)) {
      // built and thrown away: building is the check
    } catch (RuleException e) {
      add(e, config, problems);
    } catch (IOException e) {
      problems.add(Severity.ERROR, config.file().toString(), 0, "", e.getMessage());
    }
  }

  /** The names rules may use: built-in policies, proxies, groups. Checks the proxy lists. */
  static Set<String> policies(TurnoutConfig config) throws ConfigException {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (Outbounds outbounds = outbounds(config, nowhere(), loops)) {
      return Set.copyOf(outbounds.asMap().keySet());
    } finally {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
  }

  private static Dialer nowhere() {
    return new Dialer(
        host -> CompletableFuture.failedFuture(new IOException("not dialing")), a -> true);
  }

  /**
   * Proxies and groups, plus DIRECT, REJECT, REJECT-DROP and GLOBAL. Errors name the file and the
   * line of the offending key; warnings (unknown keys, say) are logged.
   */
  static Outbounds outbounds(TurnoutConfig config, Dialer dialer, EventLoopGroup loops)
      throws ConfigException {
    Problems problems = new Problems(config.file().toString());
    Outbounds outbounds = outbounds(config, dialer, loops, problems);
    if (problems.hasErrors()) {
      outbounds.close();
      throw ConfigException.of(problems);
    }
    problems.sorted().forEach(p -> log.warn("{}", p));
    return outbounds;
  }

  /** Builds what has no errors; every problem goes to {@code problems}. */
  private static Outbounds outbounds(
      TurnoutConfig config, Dialer dialer, EventLoopGroup loops, Problems problems) {
    TurnoutConfig.Proxies proxies = config.proxies();
    OutboundConfig.Result result =
        OutboundConfig.load(
            proxies.proxies(),
            proxies.groups(),
            new OutboundConfig.Environment(dialer, config.files().stateDir(), loops));
    for (ConfigProblem p : result.problems()) {
      problems.add(
          Severity.valueOf(p.severity().name()),
          p.file() == null ? config.file().toString() : p.file(),
          p.line(),
          p.section().key(),
          p.toString());
    }
    return result.outbounds();
  }

  static RuleEngine rules(TurnoutConfig config, HostResolver resolver, Set<String> policies)
      throws ConfigException {
    return rules(config, resolver, policies, null);
  }

  /** With {@code fetcher} null, http providers are downloaded with the JDK's HTTP client. */
  static RuleEngine rules(
      TurnoutConfig config, HostResolver resolver, Set<String> policies, ListFetcher fetcher)
      throws ConfigException {
    try {
      return build(config, resolver, policies, fetcher);
    } catch (RuleException e) {
      Problems problems = new Problems(config.file().toString());
      add(e, config, problems);
      throw ConfigException.of(problems);
    }
  }

  private static RuleEngine build(
      TurnoutConfig config, HostResolver resolver, Set<String> policies, ListFetcher fetcher)
      throws RuleException {
    List<RuleLine> lines =
        config.rules().stream().map(r -> new RuleLine(r.text(), r.file(), r.line())).toList();
    TurnoutConfig.Files files = config.files();
    RuleEngine.Builder builder = RuleEngine.builder();
    if (fetcher != null) {
      builder.fetcher(fetcher);
    }
    return builder
        .rules(lines)
        .providers(config.ruleProviders())
        .policies(policies)
        .options(
            new RulesOptions(
                files.geoipDatabase(),
                files.asnDatabase(),
                files.stateDir().resolve("providers"),
                List.of(config.plan().range().toString())))
        .resolver(resolver)
        .build();
  }

  /** Rule problems by file and line: {@code config.yaml:42: unknown policy ...: RULE,TEXT}. */
  private static void add(RuleException e, TurnoutConfig config, Problems problems) {
    for (RuleException.Problem p : e.problems()) {
      String message = p.text().isEmpty() ? p.message() : p.message() + ": " + p.text();
      problems.add(
          Severity.ERROR,
          p.file() == null ? config.file().toString() : p.file(),
          p.line(),
          p.subject() == null ? "" : p.subject(),
          message);
    }
  }
}
