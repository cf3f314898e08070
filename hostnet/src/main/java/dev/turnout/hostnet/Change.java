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
   * The routes {@link HostChanges#batchRoutes} makes in table {@code table}, all of them tagged
   * {@code proto} ({@link AddressSetRoutes#PROTO}); undone by flushing that table's routes of that
   * protocol, IPv4 and IPv6: thousands of routes, one journal line, whatever they were when the run
   * stopped.
   */
  record RouteSet(String table, String proto) implements Change {
    public String kind() {
      return "routeset";
    }

    public List<String> fields() {
      return List.of(table, proto);
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

  /**
   * An nftables table of Turnout's own, made in one {@code nft} transaction; undone by {@code nft
   * delete table <family> <name>}. Its contents are not journaled: deleting the table removes them.
   */
  record NftTable(String family, String name) implements Change {
    public String kind() {
      return "nft";
    }

    public List<String> fields() {
      return List.of(family, name);
    }
  }

  /**
   * A rule accepting what {@code match} ({@code iifname}: arrives from, {@code oifname}: leaves by)
   * says of {@code device}, inserted at the head of another's base chain {@code family table chain}
   * and marked with {@link #comment}; undone by deleting the rules of that chain that carry the
   * mark, whatever their handles are by then.
   */
  record NftAccept(String family, String table, String chain, String match, String device)
      implements Change {
    public String kind() {
      return "nftaccept";
    }

    public List<String> fields() {
      return List.of(family, table, chain, match, device);
    }

    /** The rule, as nft reads it. */
    String rule() {
      return match + " \"" + device + "\" accept comment \"" + comment() + "\"";
    }

    /** The mark: unique to Turnout, the device and the match, so undo takes no one else's rule. */
    String comment() {
      return Change.comment(match, device);
    }
  }

  /**
   * The same for a chain of iptables-legacy's {@code filter} table, which nft does not see: {@code
   * -i} (arrives from) or {@code -o} (leaves by) {@code device}, accepted at the head of {@code
   * INPUT} or {@code FORWARD} of IPv4 ({@code -4}) or IPv6 ({@code -6}), marked with the same
   * comment; undone by deleting that exact rule while there is one.
   */
  record LegacyAccept(String family, String chain, String match, String device) implements Change {
    public String kind() {
      return "legacyaccept";
    }

    public List<String> fields() {
      return List.of(family, chain, match, device);
    }

    /** {@code iptables-legacy} or {@code ip6tables-legacy}. */
    String command() {
      return family.equals("-6") ? "ip6tables-legacy" : "iptables-legacy";
    }

    /** The rule after its chain, as iptables takes it for -I, -C and -D. */
    List<String> rule() {
      return List.of(
          match, device, "-m", "comment", "--comment", comment(match, device), "-j", "ACCEPT");
    }
  }

  /** An accept's mark, for nft's {@code iifname}/{@code oifname} and iptables' -i/-o alike. */
  static String comment(String match, String device) {
    boolean from = match.equals("iifname") || match.equals("-i");
    return "turnout: accept " + (from ? "from " : "to ") + device;
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
        return validate(kind.equals("rule") ? new Rule(f.get(0), spec) : new Route(f.get(0), spec));
      }
      case "routeset" -> {
        require(f, 2, line);
        return validate(new RouteSet(f.get(0), f.get(1)));
      }
      case "sysctl" -> {
        require(f, 3, line);
        return validate(new Sysctl(f.get(0), f.get(1), f.get(2)));
      }
      case "resolv" -> {
        require(f, 4, line);
        return validate(
            new ResolvConf(f.get(0), f.get(1), Boolean.parseBoolean(f.get(2)), f.get(3)));
      }
      case "linkdns" -> {
        require(f, 1, line);
        return validate(new LinkDns(f.get(0)));
      }
      case "nft" -> {
        require(f, 2, line);
        return validate(new NftTable(f.get(0), f.get(1)));
      }
      case "nftaccept" -> {
        require(f, 5, line);
        return validate(new NftAccept(f.get(0), f.get(1), f.get(2), f.get(3), f.get(4)));
      }
      case "legacyaccept" -> {
        require(f, 4, line);
        return validate(new LegacyAccept(f.get(0), f.get(1), f.get(2), f.get(3)));
      }
      default -> throw new IllegalArgumentException("unknown entry: " + line);
    }
  }

  /**
   * Refuses what Turnout never writes, so a tampered or foreign journal cannot make cleanup delete
   * the kernel's own rules, routes of the main, local or default tables, arbitrary sysctls, files
   * or nftables tables. Checked for every line read back.
   */
  static Change validate(Change change) {
    if (change instanceof Rule rule) {
      int priority = valueAfter(rule.spec(), "priority");
      if (priority < 1 || priority > 32765) {
        throw new IllegalArgumentException("a rule outside priorities 1..32765: " + rule);
      }
      tokens(rule.spec());
    } else if (change instanceof Route route) {
      int table = valueAfter(route.spec(), "table");
      if (table < 1 || table >= 253 && table <= 255) {
        throw new IllegalArgumentException("a route outside Turnout's own table: " + route);
      }
      tokens(route.spec());
    } else if (change instanceof RouteSet set) {
      int table = valueAfter(List.of("table", set.table()), "table");
      if (table < 1 || table >= 253 && table <= 255) {
        throw new IllegalArgumentException("routes outside Turnout's own table: " + set);
      }
      if (!set.proto().equals(Integer.toString(AddressSetRoutes.PROTO))) {
        throw new IllegalArgumentException("routes of a protocol Turnout does not tag: " + set);
      }
    } else if (change instanceof Sysctl sysctl) {
      if (!SYSCTLS.matcher(sysctl.key()).matches()
          || !VALUE.matcher(sysctl.before()).matches()
          || !VALUE.matcher(sysctl.after()).matches()) {
        throw new IllegalArgumentException("a sysctl Turnout does not set: " + sysctl.key());
      }
    } else if (change instanceof ResolvConf resolv) {
      if (!resolv.path().startsWith("/") || !resolv.path().endsWith("/resolv.conf")) {
        throw new IllegalArgumentException("a resolver file Turnout does not replace: " + resolv);
      }
    } else if (change instanceof LinkDns link && !DEVICE.matcher(link.link()).matches()) {
      throw new IllegalArgumentException("not an interface name: " + link.link());
    } else if (change instanceof NftTable table
        && !(NFT_FAMILY.matcher(table.family()).matches()
            && NFT_TABLE.matcher(table.name()).matches())) {
      throw new IllegalArgumentException("not an nftables table of Turnout's: " + table);
    } else if (change instanceof NftAccept accept
        && !(NFT_FAMILY.matcher(accept.family()).matches()
            && NFT_NAME.matcher(accept.table()).matches()
            && NFT_NAME.matcher(accept.chain()).matches()
            && (accept.match().equals("iifname") || accept.match().equals("oifname"))
            && DEVICE.matcher(accept.device()).matches())) {
      throw new IllegalArgumentException("not a chain and device Turnout opens: " + accept);
    } else if (change instanceof LegacyAccept accept
        && !((accept.family().equals("-4") || accept.family().equals("-6"))
            && (accept.chain().equals("INPUT") || accept.chain().equals("FORWARD"))
            && (accept.match().equals("-i") || accept.match().equals("-o"))
            && DEVICE.matcher(accept.device()).matches())) {
      throw new IllegalArgumentException("not a legacy chain and device Turnout opens: " + accept);
    }
    return change;
  }

  /**
   * The sysctls Turnout may set: forwarding (per interface too: kept, see {@link
   * HostChanges#keepSysctl}), and per-interface reverse-path settings.
   */
  java.util.regex.Pattern SYSCTLS =
      java.util.regex.Pattern.compile(
          "net\\.ipv4\\.ip_forward|net\\.ipv[46]\\.conf\\.[A-Za-z0-9_./-]{1,15}\\.forwarding"
              + "|net\\.ipv4\\.conf\\.[A-Za-z0-9_.-]{1,15}\\.(rp_filter|src_valid_mark)");

  /** Turnout's own tables only: a tampered journal must not make cleanup delete another's. */
  java.util.regex.Pattern NFT_TABLE = java.util.regex.Pattern.compile("turnout[A-Za-z0-9_]{0,24}");

  /** Another's table or chain, as nft reads it unquoted. */
  java.util.regex.Pattern NFT_NAME =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

  java.util.regex.Pattern NFT_FAMILY = java.util.regex.Pattern.compile("ip|ip6|inet");
  java.util.regex.Pattern VALUE = java.util.regex.Pattern.compile("[0-9]{1,3}");
  java.util.regex.Pattern DEVICE = dev.turnout.netbase.InterfaceNames.PATTERN;
  java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[A-Za-z0-9_.:/%-]{1,64}");

  private static void tokens(List<String> spec) {
    for (String token : spec) {
      if (!TOKEN.matcher(token).matches()) {
        throw new IllegalArgumentException("not an ip argument Turnout writes: " + token);
      }
    }
  }

  /** The number after {@code keyword} in an ip argument list; -1 if there is none. */
  private static int valueAfter(List<String> spec, String keyword) {
    int at = spec.indexOf(keyword);
    if (at < 0 || at + 1 >= spec.size()) {
      return -1;
    }
    try {
      return Integer.parseInt(spec.get(at + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void require(List<String> fields, int count, String line) {
    if (fields.size() != count) {
      throw new IllegalArgumentException("bad entry: " + line);
    }
  }
}
