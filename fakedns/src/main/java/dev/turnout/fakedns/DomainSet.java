package dev.turnout.fakedns;

/**
 * A set of domain names defined outside this module: a {@code geosite:} category or the domain
 * entries of a {@code rule-set:} provider, resolved by name through {@link DomainSets}. {@code
 * name} is lower case without a trailing dot. Implementations are thread-safe, do not block and may
 * change their contents over time (a provider that refreshes).
 */
@FunctionalInterface
public interface DomainSet {
  boolean contains(String name);
}
