package dev.turnout.fakedns;

import java.util.Locale;

/** Canonical form of a domain name as used by the pool and the filter. */
final class Names {
  private Names() {}

  /**
   * Lower-cases {@code name} (ASCII rules, so results never depend on the default locale) and drops
   * one trailing dot, so {@code "WWW.Example.COM."} and {@code "www.example.com"} are the same key.
   */
  static String normalize(String name) {
    int end = name.length();
    if (end > 0 && name.charAt(end - 1) == '.') {
      end--;
    }
    return name.substring(0, end).toLowerCase(Locale.ROOT);
  }
}
