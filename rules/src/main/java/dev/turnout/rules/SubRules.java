package dev.turnout.rules;

import dev.turnout.rules.Matchers.SubRuleRef;
import dev.turnout.rules.RuleException.Problem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the {@code sub-rules:} lists before they are flattened into the rule table: no list may
 * reach itself through SUB-RULE (mihomo refuses such a config too), and flattening may not grow
 * past {@value #MAX_FLATTENED} items (a list used twice at every level doubles each time).
 */
final class SubRules {
  static final long MAX_FLATTENED = 1_000_000;

  private SubRules() {}

  static void check(List<Rule> rules, Map<String, List<Rule>> subRules, List<Problem> problems) {
    Map<String, Long> sizes = new HashMap<>();
    for (String name : subRules.keySet()) {
      List<String> path = new ArrayList<>();
      if (size(name, subRules, sizes, path, problems) < 0) {
        return; // one cycle reported is enough
      }
    }
    long total = 0;
    for (Rule r : rules) {
      if (r.matcher() instanceof SubRuleRef ref) {
        total += sizes.getOrDefault(ref.name(), 0L);
        if (total > MAX_FLATTENED) {
          String[] at = r.source().split(":(?=\\d+$)");
          problems.add(
              Problem.at(
                  at[0],
                  at.length > 1 ? Integer.parseInt(at[1]) : 0,
                  r.line(),
                  "SUB-RULE lists expand to more than " + MAX_FLATTENED + " rules"));
          return;
        }
      }
    }
  }

  /** Items list {@code name} flattens to; -1 after reporting a cycle. */
  private static long size(
      String name,
      Map<String, List<Rule>> subRules,
      Map<String, Long> sizes,
      List<String> path,
      List<Problem> problems) {
    Long known = sizes.get(name);
    if (known != null) {
      return known;
    }
    if (path.contains(name)) {
      path.add(name);
      problems.add(
          new Problem(
              null,
              0,
              "sub-rules",
              "",
              "circular SUB-RULE references: " + String.join(" -> ", path)));
      return -1;
    }
    path.add(name);
    long n = 0;
    for (Rule r : subRules.get(name)) {
      if (r.matcher() instanceof SubRuleRef ref) {
        long inner = size(ref.name(), subRules, sizes, path, problems);
        if (inner < 0) {
          return -1;
        }
        n = Math.min(MAX_FLATTENED + 1, n + inner);
      } else {
        n = Math.min(MAX_FLATTENED + 1, n + 1);
      }
    }
    path.remove(path.size() - 1);
    sizes.put(name, n);
    return n;
  }
}
