package dev.turnout.hostnet;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code nft list chains} for the base chains of a hook that drop what they do not accept:
 * those with {@code policy drop} (ufw's and Docker's through iptables-nft, a hand-written
 * nftables.conf), and firewalld's, whose chains accept by policy but end in a reject for what its
 * zones do not allow. A packet must pass every base chain of its hook, and no table can overrule
 * another's drop, so each of these is where Turnout's own packets could be lost. Turnout's own
 * tables are never counted.
 */
final class BaseChains {
  /** A chain as {@code nft} names it. */
  record Chain(String family, String table, String name) {
    @Override
    public String toString() {
      return family + " " + table + " " + name;
    }
  }

  private BaseChains() {}

  /**
   * The chains of {@code listing} on {@code hook} ({@code input}, {@code forward}) that drop by
   * default, in listing order.
   */
  static List<Chain> dropping(String listing, String hook) {
    List<Chain> found = new ArrayList<>();
    String family = "";
    String table = "";
    String chain = "";
    for (String line : listing.split("\n")) {
      String text = line.strip();
      if (text.startsWith("table ")) {
        String[] words = text.substring(6).replace("{", "").strip().split("\\s+");
        family = words[0];
        table = words.length > 1 ? words[1] : "";
      } else if (text.startsWith("chain ")) {
        chain = text.substring(6).replace("{", "").strip();
      } else if (text.contains("hook " + hook + " ")
          && !table.startsWith("turnout")
          && (text.contains("policy drop") || table.equals("firewalld"))) {
        found.add(new Chain(family, table, chain));
      }
    }
    return found;
  }

  /**
   * Whether iptables-legacy's {@code chain}, as {@code iptables-legacy -S CHAIN} lists it, drops
   * what it does not accept: its policy is {@code DROP} (ufw, Docker), or its last rule drops or
   * rejects everything (firewalld's and hand-written iptables files' {@code -j REJECT}).
   */
  static boolean legacyDrops(String rules, String chain) {
    String last = "";
    for (String line : rules.split("\n")) {
      String text = line.strip();
      if (text.equals("-P " + chain + " DROP")) {
        return true;
      }
      if (text.startsWith("-A " + chain + " ")) {
        last = text;
      }
    }
    return last.equals("-A " + chain + " -j DROP") || last.startsWith("-A " + chain + " -j REJECT");
  }
}
