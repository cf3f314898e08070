package dev.turnout.launcher;

import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.OutboundConfig;
import dev.turnout.outbound.Outbounds;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleException;
import dev.turnout.rules.RuleLine;
import dev.turnout.rules.RulesOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the parts of Turnout that a configuration describes, and checks them without starting. */
final class Components {
  private static final Logger log = LoggerFactory.getLogger(Components.class);

  private Components() {}

  /** Everything {@code turnout check} can verify without touching the system. */
  static void validate(TurnoutConfig config) throws ConfigException {
    try (RuleEngine ignored = rules(config, HostResolver.NONE, policies(config))) {
      // built and thrown away: building is the check
    } catch (java.io.IOException e) {
      throw new ConfigException(List.of(config.file() + ": " + e.getMessage()));
    }
  }

  /** The names rules may use: built-in policies, proxies, groups. Checks the proxy lists. */
  static Set<String> policies(TurnoutConfig config) throws ConfigException {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Dialer nowhere =
        new Dialer(
            host -> CompletableFuture.failedFuture(new IOException("not dialing")), a -> true);
    try (Outbounds outbounds = outbounds(config, nowhere, loops)) {
      return Set.copyOf(outbounds.asMap().keySet());
    } finally {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
  }

  /**
   * Proxies and groups, plus DIRECT, REJECT, REJECT-DROP and GLOBAL. Errors name the file and the
   * line of the entry; warnings (unknown keys, say) are logged.
   */
  static Outbounds outbounds(TurnoutConfig config, Dialer dialer, EventLoopGroup loops)
      throws ConfigException {
    TurnoutConfig.Proxies proxies = config.proxies();
    OutboundConfig.Result result =
        OutboundConfig.load(
            proxies.proxies(),
            proxies.groups(),
            new OutboundConfig.Environment(dialer, config.files().stateDir(), loops));
    List<String> errors = new ArrayList<>();
    for (ConfigProblem problem : result.problems()) {
      List<Integer> lines =
          problem.section() == ConfigProblem.Section.PROXIES
              ? proxies.proxyLines()
              : proxies.groupLines();
      int line = problem.index() < lines.size() ? lines.get(problem.index()) : 0;
      String text = config.file() + ":" + line + ": " + problem.section().key() + ": " + problem;
      if (problem.severity() == ConfigProblem.Severity.ERROR) {
        errors.add(text);
      } else {
        log.warn("{}", text);
      }
    }
    if (!errors.isEmpty()) {
      result.outbounds().close();
      throw new ConfigException(errors);
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
    List<RuleLine> lines =
        config.rules().stream().map(r -> new RuleLine(r.text(), r.file(), r.line())).toList();
    TurnoutConfig.Files files = config.files();
    try {
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
    } catch (RuleException e) {
      throw new ConfigException(
          e.problems().stream()
              .map(p -> p.where() + ": " + p.message() + ": " + p.text())
              .toList());
    }
  }
}
