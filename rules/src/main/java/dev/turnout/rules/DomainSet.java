package dev.turnout.rules;

/**
 * A set of domain names from the rules' data — a geosite list or a rule provider — as other parts
 * of Turnout use them (DNS {@code nameserver-policy}, {@code fake-ip-filter}). Thread-safe; a set
 * backed by a rule provider follows its refreshes.
 */
@FunctionalInterface
public interface DomainSet {
  /** A set with no names. */
  DomainSet EMPTY = host -> false;

  /**
   * True if {@code host} (any case, with or without a trailing dot) is in the set. Allocates a
   * little; never blocks.
   */
  boolean contains(String host);
}
