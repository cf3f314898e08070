package dev.turnout.hostnet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Lets the host's firewall take what the TUN delivers to this host. Every connection Turnout
 * relays, and every DNS query it hijacks, reaches Turnout's listeners as a new connection arriving
 * from the TUN, so it passes the {@code input} hook; a firewall that drops new inbound connections
 * by default (ufw's {@code default deny incoming}, firewalld's zones, an nftables.conf with {@code
 * policy drop}) would drop them all, and with auto-route every program's connections would fail.
 *
 * <p>{@link #apply} inserts {@code iifname "<tun>" accept} at the head of each such chain, through
 * {@link HostChanges#acceptFrom}: journaled and undone at exit, by the next start after a crash and
 * by {@code turnout cleanup}. That opens nothing else: only Turnout writes into its TUN (the kernel
 * fast path included), and what it writes is its own NAT'ed flows. A chain reloaded by its firewall
 * meanwhile loses the rule; Turnout's next start puts it back.
 *
 * <p>Only what {@code nft} lists is seen: rules loaded by iptables-legacy are not.
 *
 * <p>Stateless; thread-safety is {@link HostChanges}'.
 */
public final class TunInput {
  private TunInput() {}

  /**
   * Whether some input chain drops by default, so that {@link #apply} has work to do: without it,
   * no journal needs opening. False where {@code nft} is missing or fails.
   */
  public static boolean needed(Commands commands) {
    try {
      Commands.Result chains = commands.run(List.of("nft", "list", "chains"));
      return chains.exit() == 0 && !BaseChains.dropping(chains.stdout(), "input").isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Opens each input chain that drops by default ({@link BaseChains#dropping}) to what arrives from
   * {@code device}.
   *
   * @return the chains opened, as "family table chain"; empty if none drops
   * @throws IOException if nft is missing or fails (the chains opened before stay journaled)
   */
  public static List<String> apply(HostChanges changes, String device) throws IOException {
    List<String> opened = new ArrayList<>();
    for (BaseChains.Chain chain : BaseChains.dropping(changes.nftChains(), "input")) {
      changes.acceptFrom(chain.family(), chain.table(), chain.name(), device);
      opened.add(chain.toString());
    }
    return opened;
  }
}
