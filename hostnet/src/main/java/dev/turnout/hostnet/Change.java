package dev.turnout.hostnet;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One change to the host, as journaled before it is made. Its journal line is a kind followed by
 * URL-encoded fields separated by spaces, so any value (a sysctl with tabs, a path) survives.
 */
sealed interface Change {
  String kind();

  List<String> fields();

  /** {@code ip -4|-6 rule add <spec>}; undone by {@code ip rule del <spec>} (priority included). */
  record Rule(String family, List<String> spec) implements Change {
    public String kind() {
      return "rule";
    }

    public List<String> fields() {
      List<String> f = new ArrayList<>(List.of(family));
      f.addAll(spec);
      return f;
    }
  }

  /** {@code ip -4|-6 route add <spec>}; undone by {@code ip route del <spec>}. */
  record Route(String family, List<String> spec) implements Change {
    public String kind() {
      return "route";
    }

    public List<String> fields() {
      List<String> f = new ArrayList<>(List.of(family));
      f.addAll(spec);
      return f;
    }
  }

  /**
   * A sysctl set from {@code before} to {@code after}; undone only if it still reads {@code after}.
   */
  record Sysctl(String key, String before, String after) implements Change {
    public String kind() {
      return "sysctl";
    }

    public List<String> fields() {
      return List.of(key, before, after);
    }
  }

  /**
   * A resolver file replaced by ours (SHA-256 {@code oursSha256}); the original is in {@code
   * backup} (its content, or for a symlink its target with {@code symlink} true). Undone only if
   * the file still holds our content.
   */
  record ResolvConf(String path, String backup, boolean symlink, String oursSha256)
      implements Change {
    public String kind() {
      return "resolv";
    }

    public List<String> fields() {
      return List.of(path, backup, Boolean.toString(symlink), oursSha256);
    }
  }

  /** systemd-resolved per-link DNS set with resolvectl; undone by {@code resolvectl revert}. */
  record LinkDns(String link) implements Change {
    public String kind() {
      return "linkdns";
    }

    public List<String> fields() {
      return List.of(link);
    }
  }

  static String encode(Change change) {
    StringBuilder line = new StringBuilder(change.kind());
    for (String field : change.fields()) {
      line.append(' ').append(URLEncoder.encode(field, StandardCharsets.UTF_8));
    }
    return line.toString();
  }

  /**
   * Parses one journal line.
   *
   * @throws IllegalArgumentException if it is not a change this version writes
   */
  static Change decode(String line) {
    String[] parts = line.split(" ", -1);
    List<String> f = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      f.add(URLDecoder.decode(parts[i], StandardCharsets.UTF_8));
    }
    String kind = parts[0];
    switch (kind) {
      case "rule", "route" -> {
        if (f.size() < 2 || !(f.get(0).equals("-4") || f.get(0).equals("-6"))) {
          throw new IllegalArgumentException("bad " + kind + " entry: " + line);
        }
        List<String> spec = List.copyOf(f.subList(1, f.size()));
        return kind.equals("rule") ? new Rule(f.get(0), spec) : new Route(f.get(0), spec);
      }
      case "sysctl" -> {
        require(f, 3, line);
        return new Sysctl(f.get(0), f.get(1), f.get(2));
      }
      case "resolv" -> {
        require(f, 4, line);
        return new ResolvConf(f.get(0), f.get(1), Boolean.parseBoolean(f.get(2)), f.get(3));
      }
      case "linkdns" -> {
        require(f, 1, line);
        return new LinkDns(f.get(0));
      }
      default -> throw new IllegalArgumentException("unknown entry: " + line);
    }
  }

  private static void require(List<String> fields, int count, String line) {
    if (fields.size() != count) {
      throw new IllegalArgumentException("bad entry: " + line);
    }
  }
}
