package dev.turnout.rules;

/**
 * One rule condition, evaluated on its own. This is the parsed form of every rule; {@link Compiled}
 * moves the indexable ones (domains, keywords, CIDRs, GEOIP, ASN, processes) into indexes and
 * evaluates the rest in order through this interface. Implementations are immutable.
 */
interface Matcher {
  boolean matches(Ctx c);

  /**
   * True if reaching this rule makes Clash resolve a name-only destination: IP-based and without
   * {@code no-resolve}. Rule sets answer from their current contents in {@code rules}.
   */
  default boolean needsResolve(Compiled rules) {
    return false;
  }
}
