package dev.turnout.outbound;

/**
 * One problem found in {@code proxies:}, {@code proxy-groups:} or {@code proxy-providers:} (and the
 * proxies they serve). {@code index} is the position of the entry in its list; {@code name} is the
 * entry's name when it has one; {@code field} is the key at fault, or null when the problem is the
 * entry as a whole. {@code file} and {@code line} say where the offending value (else key, else
 * entry) is written; null and 0 when unknown.
 */
public record ConfigProblem(
    Severity severity,
    Section section,
    int index,
    String name,
    String field,
    String message,
    String file,
    int line) {
  /** A problem not tied to a place in a file, such as a server that does not answer. */
  public ConfigProblem(
      Severity severity, Section section, int index, String name, String field, String message) {
    this(severity, section, index, name, field, message, null, 0);
  }

  public enum Severity {
    ERROR,
    WARNING
  }

  public enum Section {
    PROXIES("proxies", "proxy"),
    PROXY_GROUPS("proxy-groups", "proxy-group"),
    /** A provider itself: its {@code proxy}, its list as a whole. */
    PROXY_PROVIDERS("proxy-providers", "proxy-provider"),
    /** One proxy a provider serves. */
    PROVIDED("proxy-providers", "proxy");

    private final String key;
    private final String singular;

    Section(String key, String singular) {
      this.key = key;
      this.singular = singular;
    }

    /** The YAML key of the list: {@code proxies} or {@code proxy-groups}. */
    public String key() {
      return key;
    }
  }

  /** For example {@code proxy "hk1": field "cipher": expected one of aes-128-gcm, ...}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(section.singular);
    if (name != null) {
      s.append(" \"").append(name).append('"');
    } else {
      s.append(" #").append(index + 1);
    }
    if (field != null) {
      s.append(": field \"").append(field).append('"');
    }
    return s.append(": ").append(message).toString();
  }
}
