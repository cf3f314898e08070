package dev.turnout.hostnet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
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
 * after every change to the ruleset, puts back what is missing and adds nothing else. The same is
 * done for iptables-legacy's {@code filter} table ({@code INPUT}, {@code FORWARD}), which {@code
 * nft} does not list; its reloads send no message, so they are caught on a timer.
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
   *     is open already (nft and iptables-legacy alike)
   * @throws IOException if nft fails (the chains opened before stay journaled)
   */
  public static List<String> openInput(HostChanges changes, String device) throws IOException {
    return open(changes, nftListing(changes), legacyFamilies(changes), device, "input", INPUT);
  }

  /**
   * Opens each forward chain that drops by default to what arrives from {@code device} and what
   * leaves by it. Opening a chain twice (gateway mode and direct-nat) adds nothing.
   *
   * @return the chains opened or opened again, as "family table chain"; empty if none drops, each
   *     is open already (nft and iptables-legacy alike)
   * @throws IOException if nft fails (the chains opened before stay journaled)
   */
  public static List<String> openForward(HostChanges changes, String device) throws IOException {
    return open(changes, nftListing(changes), legacyFamilies(changes), device, "forward", FORWARD);
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
    return openHooks(changes, nftListing(changes), device, forward);
  }

  /**
   * As {@link #reopen}, for iptables-legacy's chains only: what {@link FirewallWatch} has done on a
   * timer where there are such chains, since reloading them sends no message.
   *
   * @return the chains opened or opened again
   * @throws IOException if iptables-legacy fails
   */
  public static List<String> reopenLegacy(HostChanges changes, String device, boolean forward)
      throws IOException {
    return openHooks(changes, null, device, forward);
  }

  /**
   * Whether the kernel lists an iptables-legacy {@code filter} table in this process's network
   * namespace: two small files read, nothing run, so that a timer can ask often. {@link
   * HostChanges#hasLegacyFilter} asks the same through its commands, for the namespace they run in.
   */
  public static boolean legacyTablesListed() {
    for (String names : List.of("/proc/net/ip_tables_names", "/proc/net/ip6_tables_names")) {
      try {
        if (Files.readAllLines(Path.of(names)).contains("filter")) {
          return true;
        }
      } catch (IOException e) { // no legacy modules loaded: no file
      }
    }
    return false;
  }

  /**
   * The input chains, and with {@code forward} the forward ones, from one look at each firewall.
   */
  private static List<String> openHooks(
      HostChanges changes, String listing, String device, boolean forward) throws IOException {
    List<String> legacy = legacyFamilies(changes);
    List<String> opened = new ArrayList<>(open(changes, listing, legacy, device, "input", INPUT));
    if (forward) {
      opened.addAll(open(changes, listing, legacy, device, "forward", FORWARD));
    }
    return opened;
  }

  /** {@code nft list chains}, or null where there is no nft. */
  private static String nftListing(HostChanges changes) throws IOException {
    return changes.hasNft() ? changes.nftChains() : null;
  }

  /** The families ({@code -4}, {@code -6}) that have an iptables-legacy {@code filter} table. */
  private static List<String> legacyFamilies(HostChanges changes) throws IOException {
    List<String> families = new ArrayList<>();
    for (String family : List.of("-4", "-6")) {
      if (changes.hasLegacyFilter(family)) {
        families.add(family);
      }
    }
    return families;
  }

  /**
   * Opens the chains of {@code listing} ({@code nft list chains}; null if there is no nft) on
   * {@code hook}, then those of iptables-legacy's {@code filter} tables of {@code legacy}.
   */
  private static List<String> open(
      HostChanges changes,
      String listing,
      List<String> legacy,
      String device,
      String hook,
      List<String> matches)
      throws IOException {
    List<String> opened = new ArrayList<>();
    if (listing != null) {
      for (BaseChains.Chain chain : BaseChains.dropping(listing, hook)) {
        EnumSet<HostChanges.Accepted> done = EnumSet.noneOf(HostChanges.Accepted.class);
        for (String match : matches) {
          done.add(changes.accept(chain.family(), chain.table(), chain.name(), match, device));
        }
        report(done, hook, chain.toString(), device, matches, opened);
      }
    }
    String legacyChain = hook.toUpperCase(Locale.ROOT);
    for (String family : legacy) {
      if (!BaseChains.legacyDrops(changes.legacyRules(family, legacyChain), legacyChain)) {
        continue;
      }
      EnumSet<HostChanges.Accepted> done = EnumSet.noneOf(HostChanges.Accepted.class);
      for (String match : matches) {
        done.add(
            changes.legacyAccept(
                family, legacyChain, match.equals("iifname") ? "-i" : "-o", device));
      }
      String name = (family.equals("-6") ? "ip6tables" : "iptables") + "-legacy filter ";
      report(done, hook, name + legacyChain, device, matches, opened);
    }
    return opened;
  }

  /** Logs what opening {@code chain} did, and adds it to {@code opened} if it did anything. */
  private static void report(
      EnumSet<HostChanges.Accepted> done,
      String hook,
      String chain,
      String device,
      List<String> matches,
      List<String> opened) {
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
      return;
    }
    opened.add(chain);
  }
}
