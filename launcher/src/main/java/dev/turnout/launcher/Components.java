package dev.turnout.launcher;

import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.rules.HostResolver;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleException;
import dev.turnout.rules.RuleLine;
import dev.turnout.rules.RulesOptions;
import java.util.List;
import java.util.Set;

/** Builds the parts of Turnout that a configuration describes, and checks them without starting. */
final class Components {
  static final Set<String> BUILT_IN_POLICIES = Set.of("DIRECT", "REJECT", "REJECT-DROP");

  private Components() {}

  /** Everything {@code turnout check} can verify without touching the system. */
  static void validate(TurnoutConfig config) throws ConfigException {
    try (RuleEngine ignored = rules(config, HostResolver.NONE)) {
      // built and thrown away: building is the check
    } catch (java.io.IOException e) {
      throw new ConfigException(List.of(config.file() + ": " + e.getMessage()));
    }
  }

  static RuleEngine rules(TurnoutConfig config, HostResolver resolver) throws ConfigException {
    List<RuleLine> lines =
        config.rules().stream().map(r -> new RuleLine(r.text(), r.file(), r.line())).toList();
    TurnoutConfig.Files files = config.files();
    try {
      return RuleEngine.builder()
          .rules(lines)
          .providers(config.ruleProviders())
          .policies(BUILT_IN_POLICIES)
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
