package dev.turnout.rules;

/**
 * Resolves the domain-set references used in DNS settings to {@link DomainSet}s:
 *
 * <ul>
 *   <li>{@code geosite:cn}, {@code geosite:cn@ads}, {@code geosite:cn/google}: lists of the geosite
 *       database, as {@code GEOSITE,...} rules name them; {@code geosite:!cn} is every name not in
 *       {@code cn}
 *   <li>{@code rule-set:name}: a rule provider; for a {@code classical} one only its domain entries
 *       (DOMAIN, DOMAIN-SUFFIX, DOMAIN-KEYWORD, DOMAIN-REGEX, DOMAIN-WILDCARD, GEOSITE) count, as
 *       in mihomo
 * </ul>
 *
 * Get one from {@link RuleEngine#domainSets()}. Thread-safe.
 */
@FunctionalInterface
public interface DomainSets {
  /** Knows no set: every reference is an error. */
  DomainSets NONE =
      reference -> {
        throw new IllegalArgumentException("no domain sets configured: " + reference);
      };

  /**
   * The set {@code reference} names (the prefix is case-insensitive).
   *
   * @throws IllegalArgumentException with a message for the user: not a {@code geosite:} or {@code
   *     rule-set:} reference, no such provider, an {@code ipcidr} provider, no geosite database or
   *     no such list in it
   */
  DomainSet resolve(String reference);
}
