package dev.turnout.launcher;

import dev.turnout.controller.spi.RuleControl;
import dev.turnout.launcher.config.TurnoutConfig;
import java.util.ArrayList;
import java.util.List;

/** The controller's view of the current generation's rules, in match order. Thread-safe. */
final class LiveRules implements RuleControl {
  private final LiveRouting routing;

  LiveRules(LiveRouting routing) {
    this.routing = routing;
  }

  @Override
  public List<Rule> rules() {
    List<Rule> list = new ArrayList<>();
    for (TurnoutConfig.RuleLine line : routing.current().config.rules()) {
      RuleTexts.Parts parts = RuleTexts.split(line.text(), true);
      list.add(
          new Rule(parts.type(), parts.payload(), parts.policy(), line.file() + ":" + line.line()));
    }
    return list;
  }
}
