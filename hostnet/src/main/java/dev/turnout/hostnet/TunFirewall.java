package dev.turnout.hostnet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the host's firewall pass what Turnout's TUN carries, where a chain would drop it by default
 * ({@link BaseChains#dropping}):
 *
 * <ul>
 *   <li>{@link #openInput}, always: every connection Turnout relays, and every DNS query it
 *       hijacks, reaches Turnout's listeners as a new connection arriving from the TUN, so it
 *       passes the {@code input} hook. A firewall that drops new inbound connections by default
 *       (ufw's {@code default deny incoming}, firewalld's zones, an nftables.conf with {@code
 *       policy drop}) would drop them all, and with auto-route every program's connections would
 *       fail.
 *   <li>{@link #openForward}, in gateway mode and with {@code tun.direct-nat}: LAN hosts' packets
 *       are forwarded into the TUN, and flows the kernel forwards for Turnout leave it; Docker's
 *       and ufw's {@code FORWARD} policy drop, and firewalld's forward chain rejects, both.
 * </ul>
 *
 * Each such chain gets {@code iifname "<tun>" accept} (and for forward {@code oifname "<tun>"
 * accept}) at its head, through {@link HostChanges#accept}: journaled and undone at exit, by the
 * next start after a crash and by {@code turnout cleanup}. That opens nothing else: only Turnout
 * writes into its TUN (the kernel fast path included), and what it writes is its own NAT'ed flows;
 * what is forwarded into it comes from hosts the user made Turnout the gateway of, and is dropped
 * there unless {@code allow-lan} is on. A chain its firewall reloads meanwhile loses the rule, and
 * a firewall started meanwhile has none: opening again, as {@link FirewallWatch} has Turnout do
 * after every change to the ruleset, puts back what is missing and adds nothing else. Only what
 * {@code nft} lists is seen: rules loaded by iptables-legacy are not.
 *
 * <p>Stateless; thread-safety is {@link HostChanges}'.
 */
public final class TunFirewall {
  private static final Logger log = LoggerFactory.getLogger(TunFirewall.class);

  private static final List<String> INPUT = List.of("iifname");
  private static final List<String> FORWARD = List.of("iifname", "oifname");

  private TunFirewall() {}

  /**
   * Opens each input chain that drops by default to what arrives from {@code device}.
   *
   * @return the chains opened or opened again, as "family table chain"; empty if none drops, each
   *     is open already or there is no nft
   * @throws IOException if nft fails (the chains opened before stay journaled)
   */
  public static List<String> openInput(HostChanges changes, String device) throws IOException {
    return open(changes, device, "input", INPUT);
  }

  /**
   * Opens each forward chain that drops by default to what arrives from {@code device} and what
   * leaves by it. Opening a chain twice (gateway mode and direct-nat) adds nothing.
   *
   * @return the chains opened or opened again, as "family table chain"; empty if none drops, each
   *     is open already or there is no nft
   * @throws IOException if nft fails (the chains opened before stay journaled)
   */
  public static List<String> openForward(HostChanges changes, String device) throws IOException {
    return open(changes, device, "forward", FORWARD);
  }

  /**
   * {@link #openInput}, and with {@code forward} {@link #openForward}, from one listing of the
   * chains: what {@link FirewallWatch} has done after each change to the ruleset.
   *
   * @return the chains opened or opened again, as "family table chain"
   * @throws IOException if nft fails (the chains opened before stay journaled)
   */
  public static List<String> reopen(HostChanges changes, String device, boolean forward)
      throws IOException {
    if (!changes.hasNft()) {
      return List.of(); // no nftables: no chain nft could list
    }
    String listing = changes.nftChains();
    List<String> opened = new ArrayList<>(open(changes, listing, device, "input", INPUT));
    if (forward) {
      opened.addAll(open(changes, listing, device, "forward", FORWARD));
    }
    return opened;
  }

  private static List<String> open(
      HostChanges changes, String device, String hook, List<String> matches) throws IOException {
    if (!changes.hasNft()) {
      return List.of(); // no nftables: no chain nft could list
    }
    return open(changes, changes.nftChains(), device, hook, matches);
  }

  /** Opens the chains of {@code listing} ({@code nft list chains}) on {@code hook}. */
  private static List<String> open(
      HostChanges changes, String listing, String device, String hook, List<String> matches)
      throws IOException {
    List<String> opened = new ArrayList<>();
    for (BaseChains.Chain chain : BaseChains.dropping(listing, hook)) {
      EnumSet<HostChanges.Accepted> done = EnumSet.noneOf(HostChanges.Accepted.class);
      for (String match : matches) {
        done.add(changes.accept(chain.family(), chain.table(), chain.name(), match, device));
      }
      String what =
          matches.size() == 1 ? "what arrives from " + device : "what goes through " + device;
      if (done.contains(HostChanges.Accepted.INSERTED)) {
        log.info(
            "host: the firewall's {} chain {} drops by default: it accepts {} while Turnout runs",
            hook,
            chain,
            what);
      } else if (done.contains(HostChanges.Accepted.PUT_BACK)) {
        log.warn(
            "host: the firewall's {} chain {} was reloaded without Turnout's accept: it accepts {}"
                + " again",
            hook,
            chain,
            what);
      } else {
        continue;
      }
      opened.add(chain.toString());
    }
    return opened;
  }
}
