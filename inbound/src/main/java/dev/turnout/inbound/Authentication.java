package dev.turnout.inbound;

import dev.turnout.netbase.Cidr;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who may use a listener: the {@code user:pass} pairs of {@code authentication} (or a listener's
 * {@code users}), and the client prefixes that need none ({@code skip-auth-prefixes}). With no
 * users, nobody needs to authenticate. Immutable and thread-safe; passwords are compared in
 * constant time.
 */
public final class Authentication {
  /** No users: every client is served without credentials. */
  public static final Authentication NONE = new Authentication(Map.of(), List.of());

  private final Map<String, byte[]> users;
  private final List<Cidr> skip;

  private Authentication(Map<String, byte[]> users, List<Cidr> skip) {
    this.users = users;
    this.skip = skip;
  }

  /**
   * @param users user name to password; empty for no authentication
   * @param skip clients in these prefixes are served without credentials
   */
  public static Authentication of(Map<String, String> users, List<Cidr> skip) {
    Map<String, byte[]> copy = new LinkedHashMap<>();
    users.forEach((user, pass) -> copy.put(user, pass.getBytes(StandardCharsets.UTF_8)));
    return new Authentication(Map.copyOf(copy), List.copyOf(skip));
  }

  /** The client prefixes that need no credentials. */
  public List<Cidr> skipPrefixes() {
    return skip;
  }

  /** Whether any credentials are configured at all. */
  public boolean enabled() {
    return !users.isEmpty();
  }

  /** Whether {@code client} must authenticate. */
  public boolean requiredFor(InetAddress client) {
    if (users.isEmpty()) {
      return false;
    }
    for (Cidr prefix : skip) {
      if (prefix.contains(client)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Each user's password (copies): for protocols whose credential is derived from it (Trojan sends
   * its SHA-224).
   */
  public Map<String, byte[]> passwords() {
    Map<String, byte[]> copy = new LinkedHashMap<>();
    users.forEach((user, password) -> copy.put(user, password.clone()));
    return copy;
  }

  /** Whether {@code user} with {@code password} is one of the configured pairs. */
  public boolean verify(String user, String password) {
    byte[] expected = user == null ? null : users.get(user);
    if (expected == null || password == null) {
      return false;
    }
    return MessageDigest.isEqual(expected, password.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return users.isEmpty() ? "no authentication" : users.size() + " users";
  }

  /** Same users with the same passwords, and the same prefixes (a reload compares listeners). */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Authentication a)
        || !a.skip.equals(skip)
        || !a.users.keySet().equals(users.keySet())) {
      return false;
    }
    return users.entrySet().stream()
        .allMatch(e -> MessageDigest.isEqual(e.getValue(), a.users.get(e.getKey())));
  }

  @Override
  public int hashCode() {
    return users.keySet().hashCode() * 31 + skip.hashCode();
  }
}
