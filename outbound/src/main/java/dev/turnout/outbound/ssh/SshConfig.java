package dev.turnout.outbound.ssh;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Clash/mihomo {@code type: ssh}: {@code username}, and {@code password} or {@code private-key}
 * (the key's text, or a path to it, absolute or from the directory Turnout runs in; {@code
 * private-key-passphrase} opens an encrypted one), {@code host-key} (keys as in {@code
 * authorized_keys}; any key is accepted without them, as mihomo does) and {@code
 * host-key-algorithms}. A key or host key that cannot be read is an error: ignoring it would log in
 * differently, or trust any server, against what is written.
 */
public final class SshConfig implements ProxyType {
  private static final Set<String> KEYS =
      Set.of(
          "username",
          "password",
          "private-key",
          "private-key-passphrase",
          "host-key",
          "host-key-algorithms");

  @Override
  public String name() {
    return "ssh";
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    String username = f.string("username", true);
    String password = f.string("password", false);
    UserKey key = privateKey(f);
    if (password == null && key == null && !f.has("private-key")) {
      f.error("password", "an ssh proxy needs a password or a private-key");
    }
    if (common.udp()) {
      f.warn("udp", "SSH forwards TCP only: UDP through this proxy is refused");
    }
    List<byte[]> pins = new ArrayList<>();
    Set<String> pinnedTypes = new LinkedHashSet<>();
    for (String line : f.stringOrList("host-key")) {
      byte[] blob = authorizedKey(line);
      if (blob == null) {
        f.error("host-key", "not a public key as authorized_keys writes it: " + shorten(line));
      } else {
        pins.add(blob);
        pinnedTypes.add(HostKeys.typeOf(blob));
      }
    }
    List<String> algorithms = hostKeyAlgorithms(f, pinnedTypes);
    if (username == null || f.failed() || algorithms.isEmpty()) {
      return null;
    }
    SshSettings settings =
        new SshSettings(
            common.name(),
            username,
            password,
            key,
            new HostKeys(pins),
            algorithms,
            Math.max(dialer.connectTimeoutMillis(), 10_000));
    return new SshOutbound(common.name(), common.server(), common.port(), dialer, settings);
  }

  private static UserKey privateKey(Fields f) {
    String value = f.string("private-key", false);
    if (value == null || value.isBlank()) {
      return null;
    }
    String text = value;
    if (!value.contains("-----BEGIN")) {
      try {
        text = Files.readString(Path.of(value.strip()), StandardCharsets.US_ASCII);
      } catch (IOException | RuntimeException e) {
        f.error("private-key", "cannot read the key file " + value.strip() + ": " + e.getMessage());
        return null;
      }
    }
    try {
      return UserKey.parse(text, f.string("private-key-passphrase", false));
    } catch (IllegalArgumentException e) {
      f.error("private-key", e.getMessage());
      return null;
    }
  }

  /**
   * What the key exchange offers for the server's key: {@code host-key-algorithms} (OpenSSH's
   * names, or rsa, ecdsa, ed25519 for all of that kind), else the kinds of the pinned keys, else
   * all.
   */
  private static List<String> hostKeyAlgorithms(Fields f, Set<String> pinnedTypes) {
    List<String> written = f.stringOrList("host-key-algorithms");
    Set<String> out = new LinkedHashSet<>();
    if (!written.isEmpty()) {
      for (String w : written) {
        List<String> each = forKind(w.strip());
        if (each.isEmpty()) {
          f.warn("host-key-algorithms", w + " is not a host key algorithm Turnout speaks; skipped");
        }
        out.addAll(each);
      }
      if (out.isEmpty()) {
        f.error("host-key-algorithms", "none of these is one Turnout speaks");
      }
    } else if (!pinnedTypes.isEmpty()) {
      pinnedTypes.forEach(t -> out.addAll(forKind(t)));
    } else {
      out.addAll(Kex.HOST_KEY_ALGORITHMS);
    }
    // offered in Turnout's order of preference, which the server's choice follows
    List<String> ordered = new ArrayList<>(Kex.HOST_KEY_ALGORITHMS);
    ordered.retainAll(out);
    return ordered;
  }

  private static List<String> forKind(String name) {
    if (Kex.HOST_KEY_ALGORITHMS.contains(name)) {
      return List.of(name);
    }
    switch (name) {
      case "rsa":
      case "ssh-rsa":
        return List.of("rsa-sha2-512", "rsa-sha2-256");
      case "ecdsa":
        return List.of("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521");
      case "ed25519":
        return List.of("ssh-ed25519");
      default:
        return List.of();
    }
  }

  /** The key blob of an {@code authorized_keys} line ({@code [options] type base64 [comment]}). */
  static byte[] authorizedKey(String line) {
    String[] words = line.strip().split("\\s+");
    for (int i = 0; i + 1 < words.length; i++) {
      if (forKind(words[i]).isEmpty()) {
        continue;
      }
      try {
        byte[] blob = Base64.getDecoder().decode(words[i + 1]);
        return words[i].equals(HostKeys.typeOf(blob)) ? blob : null;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  private static String shorten(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
