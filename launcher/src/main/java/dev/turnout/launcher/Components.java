package dev.turnout.launcher;

import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.launcher.relay.Router;
import java.util.ArrayList;
import java.util.List;

/** Builds the parts of Turnout that a configuration describes, and checks them without starting. */
final class Components {
  private Components() {}

  static void validate(TurnoutConfig config) throws ConfigException {
    router(config);
  }

  /** Placeholder until the rule engine lands: only MATCH is understood. */
  static Router router(TurnoutConfig config) throws ConfigException {
    String policy = "DIRECT";
    String rule = "(no rule matched)";
    String source = "default";
    List<String> problems = new ArrayList<>();
    for (TurnoutConfig.RuleLine line : config.rules()) {
      String[] parts = line.text().split(",");
      if (parts.length == 2 && parts[0].trim().equals("MATCH")) {
        policy = parts[1].trim();
        rule = "MATCH";
        source = line.file() + ":" + line.line();
      } else {
        problems.add(
            line.file() + ":" + line.line() + ": rules: unsupported rule \"" + line.text() + "\"");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    Router.Route route = new Router.Route(policy, rule, source);
    return new Router() {
      @Override
      public Route route(dev.turnout.launcher.relay.Origin origin) {
        return route;
      }

      @Override
      public boolean mayBlock() {
        return false;
      }
    };
  }
}
