package dev.turnout.hostnet;

import dev.turnout.netbase.Cidr;
import java.io.IOException;

/**
 * The host side of kernel-forwarded DIRECT flows. The TUN NAT rewrites such a flow to come from an
 * address of its pool (inside the TUN's routed fake range) and writes it into the TUN; the kernel
 * forwards it out of the host's normal interface, masqueraded to that interface's address, and
 * conntrack turns the replies back to the pool address, which routes into the TUN. For that, while
 * Turnout runs, {@link #apply} makes (all through {@link HostChanges}, so journaled and undone):
 *
 * <ol>
 *   <li>{@code net.ipv4.conf.<tun>.forwarding=1};
 *   <li>the nftables table {@code ip turnout_<tun>} ({@link #table}): chain {@code nat} masquerades
 *       what comes from the pool and leaves by another interface, TCP to the session ports of
 *       {@link ForwardedPorts} when there are such, so that it never takes a port the host's own
 *       connections take (the NAT gives forwarded flows such ports already; the masquerade keeps
 *       them, and keeps what it must move within them); when IPv4 forwarding was off, chain {@code
 *       forward} lets the kernel forward only these flows (see 4);
 *   <li>with capture-all routing, {@code ip rule iif <tun> lookup main} ({@link
 *       AutoRoute#fromTheTun}), so forwarded packets leave by the main table instead of looping
 *       back into the TUN;
 *   <li>{@code net.ipv4.ip_forward=1} if it was off. The TUN's own forwarding setting is not
 *       enough: the kernel decides by the <em>input</em> device, and a reply comes in by the uplink
 *       (measured in {@code ForwardedNatIT}). Turning forwarding on for every interface must not
 *       make the host a router, so the {@code forward} chain drops whatever forwarded packet is
 *       neither a pool flow from the TUN nor a reply going back into it. When forwarding was on
 *       already (a Docker host, a router, gateway mode), it is left alone and nothing is filtered.
 * </ol>
 *
 * Apply after {@link AutoRoute#apply}: in gateway mode auto-route turns forwarding on itself, for
 * LAN hosts' traffic into the TUN, which the {@code forward} chain would otherwise drop.
 *
 * <p>A packet must pass every base chain of a hook, and another table's verdict cannot be
 * overruled: where a firewall already drops forwarded packets by default (Docker's and ufw's {@code
 * FORWARD} policy, firewalld's forward chain, which rejects what its zones do not allow), {@link
 * #apply} first opens that chain to what goes through the TUN ({@link TunFirewall#openForward}).
 *
 * <p>Stateless; thread-safety is {@link HostChanges}'.
 */
public final class ForwardedNat {
  /** The nftables family of the table. */
  public static final String FAMILY = "ip";

  private ForwardedNat() {}

  /**
   * Makes the host forward the TUN's pool flows, as the class comment lists.
   *
   * @param device the TUN device
   * @param pool the NAT's IPv4 pool, a CIDR such as {@code 198.19.0.0/16}
   * @param captureAll the capture-all routing in use, or null if there is none
   * @param ports where forwarded TCP's ports go, or null to leave them as the apps chose them
   * @throws IOException naming the step that failed (nothing of it is left; the caller closes
   *     {@code changes}, which undoes the steps before it)
   */
  public static void apply(
      HostChanges changes, String device, String pool, AutoRoute captureAll, ForwardedPorts ports)
      throws IOException {
    Cidr cidr = ipv4(pool);
    if (!Change.DEVICE.matcher(device).matches()) {
      throw new IllegalArgumentException("not an interface name: \"" + device + "\"");
    }
    changes.requireNft();
    step("the firewall's forward chains", () -> TunFirewall.openForward(changes, device));
    String sysctl = "net.ipv4.conf." + device.replace('.', '/') + ".forwarding";
    step("IPv4 forwarding on " + device, () -> changes.setSysctl(sysctl, "1"));
    boolean filter = !Forwarding.isOn(changes, "-4");
    String name = tableName(device);
    step(
        "nftables table " + FAMILY + " " + name,
        () -> changes.addNftTable(FAMILY, name, table(device, cidr, ports, filter)));
    if (captureAll != null) {
      AutoRoute.Step rule = captureAll.fromTheTun("-4");
      step(rule.toString(), () -> changes.addRule(rule.family(), rule.spec()));
    }
    if (filter) {
      step("net.ipv4.ip_forward=1", () -> Forwarding.turnOn(changes, "-4"));
    }
  }

  /** {@code turnout_<device>}, characters nftables does not take in a name made {@code _}. */
  public static String tableName(String device) {
    return "turnout_" + device.replaceAll("[^A-Za-z0-9_]", "_");
  }

  /** The chains of the table, as {@code nft} reads them. */
  static String table(String device, Cidr pool, ForwardedPorts ports, boolean filter) {
    String dev = "\"" + device + "\"";
    String leaving = "    ip saddr " + pool + " oifname != " + dev;
    StringBuilder text = new StringBuilder();
    text.append("  chain nat {\n")
        .append("    type nat hook postrouting priority srcnat; policy accept;\n");
    if (ports != null) {
      text.append(leaving + " meta l4proto tcp masquerade to :")
          .append(ports.sessionFirst() + "-" + ports.sessionLast() + "\n");
    }
    text.append(leaving + " masquerade\n").append("  }\n");
    if (filter) {
      text.append("  chain forward {\n")
          .append("    type filter hook forward priority filter; policy accept;\n")
          .append("    iifname " + dev + " ip saddr " + pool + " accept\n")
          .append("    oifname " + dev + " ip daddr " + pool + " ct direction reply accept\n")
          .append("    drop\n")
          .append("  }\n");
    }
    return text.toString();
  }

  private static Cidr ipv4(String pool) {
    Cidr cidr = Cidr.parseStrict(pool);
    if (!cidr.isIpv4()) {
      throw new IllegalArgumentException("the NAT pool must be IPv4: " + pool);
    }
    return cidr;
  }

  private interface Action {
    void run() throws IOException;
  }

  private static void step(String what, Action step) throws IOException {
    try {
      step.run();
    } catch (IOException e) {
      throw new IOException(what + ": " + e.getMessage(), e);
    }
  }
}
