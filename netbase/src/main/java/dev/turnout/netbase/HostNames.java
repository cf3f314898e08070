package dev.turnout.netbase;

/**
 * What Turnout takes as a host name from those it serves (a proxy client's request, a name asked of
 * the fake DNS): 1 to 253 ASCII letters, digits, {@code -}, {@code _} and {@code .} — what DNS
 * names are, so that nothing else reaches the rules, the resolver, a proxy's request or a log.
 * Stateless.
 */
public final class HostNames {
  private HostNames() {}

  public static boolean valid(String host) {
    if (host == null || host.isEmpty() || host.length() > 253) {
      return false;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean letterOrDigit =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!letterOrDigit && c != '-' && c != '_' && c != '.') {
        return false;
      }
    }
    return true;
  }
}
