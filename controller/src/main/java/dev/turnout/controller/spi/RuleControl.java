package dev.turnout.controller.spi;

import java.util.List;

/** The rules in match order (GET /rules). */
public interface RuleControl {
  /**
   * One rule as mihomo shows it: its type ({@code DomainSuffix}, {@code IPCIDR}, {@code RuleSet},
   * {@code Match}, ...), payload ("" for MATCH), the policy it names, and where it is written.
   */
  record Rule(String type, String payload, String proxy, String source) {}

  List<Rule> rules();
}
