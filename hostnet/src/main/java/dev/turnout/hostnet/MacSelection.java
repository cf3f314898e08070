package dev.turnout.hostnet;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code tun.include-mac-address} and {@code tun.exclude-mac-address}: which devices of the LAN
 * auto-route captures, told by the source MAC address of what they send. Routing rules cannot see a
 * MAC address, so the nftables table {@code inet turnout_mac_<tun>} ({@link #tableName}) marks, at
 * {@code prerouting} before the routing decision, what arrives from a device left out with
 * Turnout's routing mark; auto-route's first rule ({@code fwmark M lookup main}) then forwards it
 * by the main table, as if Turnout were not there. With {@code exclude-mac-address} the listed
 * devices are left out; with {@code include-mac-address} every device not listed is (this host's
 * own traffic has no MAC address and is not concerned); a device both lists name is left out.
 *
 * <p>Only what arrives by an Ethernet-like interface carries a source MAC ({@code iiftype ether});
 * packets that come back to this host's own connections are delivered by the local table whatever
 * their mark. The table is made through {@link HostChanges}: journaled and undone at exit, by the
 * next start after a crash and by {@code turnout cleanup}. Stateless.
 */
public final class MacSelection {
  /** A MAC address as nftables reads it: six pairs of hex digits, colon-separated. */
  public static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

  private MacSelection() {}

  /**
   * Marks with {@code mark} what arrives from devices left out, as the class comment says; does
   * nothing when both lists are empty.
   *
   * @throws IOException if nft is missing or fails (nothing of the table is left)
   * @throws IllegalArgumentException for a malformed MAC address, device name or a zero mark
   */
  public static void apply(
      HostChanges changes, String device, int mark, List<String> include, List<String> exclude)
      throws IOException {
    if (include.isEmpty() && exclude.isEmpty()) {
      return;
    }
    if (mark == 0) {
      throw new IllegalArgumentException("leaving devices out needs auto-route's routing mark");
    }
    changes.addNftTable("inet", tableName(device), table(mark, include, exclude));
  }

  /** {@code turnout_mac_<device>}, characters nftables does not take in a name made {@code _}. */
  public static String tableName(String device) {
    if (!Change.DEVICE.matcher(device).matches()) {
      throw new IllegalArgumentException("not an interface name: \"" + device + "\"");
    }
    return "turnout_mac_" + device.replaceAll("[^A-Za-z0-9_]", "_");
  }

  /** The chain of the table, as {@code nft} reads it. */
  static String table(int mark, List<String> include, List<String> exclude) {
    String set = "0x" + Integer.toHexString(mark);
    StringBuilder text = new StringBuilder();
    text.append("  chain prerouting {\n")
        .append("    type filter hook prerouting priority mangle; policy accept;\n");
    if (!exclude.isEmpty()) {
      text.append(mark("", exclude, set));
    }
    if (!include.isEmpty()) {
      text.append(mark("!= ", include, set));
    }
    return text.append("  }\n").toString();
  }

  /** The rule that marks what arrives from the devices {@code macs} ({@code "!= "}: all others). */
  private static String mark(String match, List<String> macs, String set) {
    return "    iiftype ether ether saddr " + match + macs(macs) + " meta mark set " + set + "\n";
  }

  private static String macs(List<String> macs) {
    for (String mac : macs) {
      if (!MAC.matcher(mac).matches()) {
        throw new IllegalArgumentException("not a MAC address: \"" + mac + "\"");
      }
    }
    return "{ " + String.join(", ", macs).toLowerCase(Locale.ROOT) + " }";
  }
}
