package dev.turnout.fakedns;

/**
 * Finds the named domain sets that {@code fake-ip-filter}, {@code nameserver-policy} and {@code
 * fallback-filter} refer to as {@code geosite:NAME} and {@code rule-set:NAME}. The launcher
 * implements it with the rule engine (GEOSITE data and rule providers), so that this module does
 * not depend on the rules. Called while a configuration is built, never per query.
 */
@FunctionalInterface
public interface DomainSets {
  /** Where a set comes from. */
  enum Kind {
    GEOSITE("geosite"),
    RULE_SET("rule-set");

    final String prefix;

    Kind(String prefix) {
      this.prefix = prefix;
    }
  }

  /** Knows no set: every reference is an error. */
  DomainSets NONE =
      (kind, name) -> {
        throw new IllegalArgumentException(
            kind.prefix + ":" + name + " cannot be used here: no " + kind.prefix + " data");
      };

  /**
   * The set {@code kind}:{@code name}.
   *
   * @throws IllegalArgumentException with the reason when there is no such set (an unknown
   *     provider, a provider of IP ranges, no geosite data)
   */
  DomainSet named(Kind kind, String name);
}
