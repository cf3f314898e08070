package dev.turnout.hostnet;

import dev.turnout.netbase.Cidr;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Capture-all routing ({@code tun.auto-route}): a routing table holding {@code default dev <tun>}
 * and a contiguous block of {@code ip rule}s in front of the main table, applied through {@link
 * HostChanges} so that every rule and route is journaled and undone. In priority order:
 *
 * <ol>
 *   <li>{@code fwmark M lookup main}, then {@code fwmark M unreachable} — Turnout's own sockets
 *       (relay, upstream DNS, health checks) carry {@code SO_MARK} M and never re-enter the TUN,
 *       not even when main has no route for them (a failed lookup falls through to later rules);
 *       and {@code iif NAME lookup main} per {@code exclude-interface}, so that what arrives by
 *       that interface is forwarded as before; with {@code include-interface}, what arrives by none
 *       of those interfaces (this host's own traffic too, unless {@code lo} is one) skips the block
 *       to a {@code nop} at its last priority;
 *   <li>{@code to CIDR lookup main} per {@code route-exclude-address} (without a main route for it,
 *       such traffic falls through to the TUN like any other);
 *   <li>{@code uidrange A-B lookup main} per {@code exclude-uid} range, and {@code sport|dport A-B
 *       lookup main} per {@code exclude-src-port} and {@code exclude-dst-port} port or range;
 *   <li>with DNS hijack, {@code ipproto udp|tcp dport 53 lookup T} — DNS to local resolvers (a LAN
 *       router, a resolver on a connected subnet) enters the TUN too, so it can be hijacked;
 *   <li>{@code lookup main suppress_prefixlength 0} — everything the main table routes more
 *       specifically than its default route (LAN, VPNs, docker bridges, the fake range itself)
 *       keeps that route;
 *   <li>{@code lookup T} — everything else goes to the TUN.
 * </ol>
 *
 * With {@code include-uid} ({@link Builder#includeUids}), the DNS hijack rules and the last one are
 * made once per user range, with {@code uidrange A-B}: only those users' traffic is captured.
 *
 * <p>With {@code route-address} ({@link Builder#routeAddress}), table T holds a route into the TUN
 * per listed CIDR instead of the default route: a lookup that matches none of them falls through to
 * main, so only those destinations are captured (DNS to other resolvers then goes unhijacked).
 *
 * <p>With {@link Builder#ipv6} the table holds an IPv6 default route into the TUN too, and the same
 * block of rules is made for IPv6 ({@code ip -6}), IPv6 excludes among them: IPv6 is captured like
 * IPv4. Without it, {@code strictRoute} keeps IPv6 from leaking around the TUN: marked sockets,
 * link-local and multicast keep the main table, everything else is {@code unreachable}. (With IPv6
 * captured there is nothing left for strict routing to block: whatever main does not route more
 * specifically goes to the TUN, and marked sockets never fall through to it.)
 *
 * <p>Gateway mode ({@code allow-lan}) needs {@code net.ipv4.ip_forward=1}. When it was off, turning
 * it on must not make the host a router for everything: two more rules at {@code priority + 1},
 * ahead of the exclusions, let forwarding serve the TUN only — packets the TUN hands back ({@code
 * iif <tun>}) keep the main table, and every other packet not sent by this host ({@code not iif
 * lo}) looks up T, so another host's traffic is relayed under the rules (exclusions and main's
 * specific routes included) instead of being forwarded around Turnout. When forwarding was on
 * already (a Docker host, a router), something else relies on it, and it is left alone. With IPv6
 * captured, {@code net.ipv6.conf.all.forwarding} is handled the same way, with the same two rules
 * for IPv6. A firewall's forward chain that drops by default (Docker's, ufw's) is opened to what
 * goes through the TUN ({@link TunFirewall#openForward}).
 *
 * <p>Reverse-path filtering: with {@code rp_filter=1} (strict) on the TUN, packets the NAT writes
 * back (source = the remote address) pass, because the reverse route of any remote address is
 * {@code default dev <tun>} in table T for an unmarked lookup. Gateway mode needs {@code
 * net.ipv4.ip_forward=1} ({@link #gateway}); LAN interfaces with strict rp_filter also pass, since
 * LAN sources keep their main-table routes (rule 5). Strict mode on the interface of main's default
 * route does not: a reply to one of Turnout's own marked sockets arrives there unmarked, and its
 * reverse route is the TUN, so the kernel drops it. Loose mode (2) is never a problem. Turnout does
 * not change rp_filter.
 *
 * <p>Immutable; build with {@link #builder}.
 */
public final class AutoRoute {
  public static final int DEFAULT_TABLE = 2022;
  public static final int DEFAULT_PRIORITY = 9000;

  /** Size of the priority block; rules use {@code priority .. priority + BLOCK - 1}. */
  public static final int BLOCK = 10;

  private final String device;
  private final int table;
  private final int priority;
  private final int mark;
  private final List<String> excludeAddresses;
  private final List<String> routeAddresses;
  private final List<String> excludeUids;
  private final List<String> excludePorts; // "sport A-B" or "dport A-B"
  private final List<String> includeUids;
  private final List<String> excludeInterfaces;
  private final List<String> includeInterfaces;
  private final boolean dnsHijack;
  private final boolean strictRoute;
  private final boolean gateway;
  private final boolean ipv6;
  private final boolean routedBySets;

  private AutoRoute(Builder b) {
    this.device = b.device;
    this.table = b.table;
    this.priority = b.priority;
    this.mark = b.mark;
    this.excludeAddresses = List.copyOf(b.excludeAddresses);
    this.routeAddresses = List.copyOf(b.routeAddresses);
    this.excludeUids = List.copyOf(b.excludeUids);
    this.excludePorts = List.copyOf(b.excludePorts);
    this.includeUids = List.copyOf(b.includeUids);
    this.excludeInterfaces = List.copyOf(b.excludeInterfaces);
    this.includeInterfaces = List.copyOf(b.includeInterfaces);
    this.dnsHijack = b.dnsHijack;
    this.strictRoute = b.strictRoute;
    this.gateway = b.gateway;
    this.ipv6 = b.ipv6;
    this.routedBySets = b.routedBySets;
  }

  public static Builder builder(String device) {
    return new Builder(device);
  }

  /** One {@code ip} change: a rule or a route, for one family. */
  public record Step(boolean rule, String family, List<String> spec) {
    @Override
    public String toString() {
      return "ip " + family + (rule ? " rule add " : " route add ") + String.join(" ", spec);
    }
  }

  /** The rules and routes this configuration makes, in the order they are applied. */
  public List<Step> plan() {
    List<Step> steps = new ArrayList<>();
    capture("-4", steps);
    if (ipv6) {
      capture("-6", steps);
    } else if (strictRoute) {
      if (mark != 0) {
        steps.add(rule("-6", priority, "fwmark", hex(mark), "lookup", "main"));
      }
      steps.add(rule("-6", priority + 7, "to", "fe80::/10", "lookup", "main"));
      steps.add(rule("-6", priority + 7, "to", "ff00::/8", "lookup", "main"));
      steps.add(rule("-6", priority + 8, "unreachable"));
    }
    return steps;
  }

  /** The default route into the TUN and the rule block, for one family ({@code -4}, {@code -6}). */
  private void capture(String family, List<Step> steps) {
    String t = Integer.toString(table);
    if (routeAddresses.isEmpty() && !routedBySets) {
      steps.add(new Step(false, family, List.of("default", "dev", device, "table", t)));
    }
    for (String cidr : routeAddresses) { // route-address: these instead of the default route
      if (cidr.contains(":") == family.equals("-6")) {
        steps.add(new Step(false, family, List.of(cidr, "dev", device, "table", t)));
      }
    }
    int p = priority;
    if (mark != 0) {
      steps.add(rule(family, p, "fwmark", hex(mark), "lookup", "main"));
      // A lookup without a match falls through to the next rule: without this one, marked traffic
      // would reach the TUN whenever main has no route (network down) and loop.
      steps.add(rule(family, p + 1, "fwmark", hex(mark), "unreachable"));
    }
    // exclude-interface: what arrives by these keeps main, ahead even of gateway mode's capture of
    // forwarded traffic (priority + 1)
    for (String name : excludeInterfaces) {
      steps.add(rule(family, p, "iif", name, "lookup", "main"));
    }
    // include-interface: what arrives by these goes on through the block, everything else, this
    // host's own traffic (iif lo) too, skips it to the nop at its end. The last interface's rule is
    // the inverted one, so that every rule names an interface: ip rule del matches a rule by what
    // its command names, and a bare "goto" would delete the first goto rule of the priority. A goto
    // whose target priority holds no rule is skipped by the kernel, hence the nop at p + 1.
    if (!includeInterfaces.isEmpty()) {
      steps.add(rule(family, p + 1, "nop"));
      int last = includeInterfaces.size() - 1;
      for (String name : includeInterfaces.subList(0, last)) {
        steps.add(rule(family, p, "iif", name, "goto", Integer.toString(p + 1)));
      }
      String end = Integer.toString(priority + BLOCK - 1);
      steps.add(rule(family, p, "not", "iif", includeInterfaces.get(last), "goto", end));
      steps.add(rule(family, priority + BLOCK - 1, "nop"));
    }
    p += 2;
    for (String cidr : excludeAddresses) {
      if (cidr.contains(":") == family.equals("-6")) {
        steps.add(rule(family, p, "to", cidr, "lookup", "main"));
      }
    }
    p++;
    for (String uids : excludeUids) {
      steps.add(rule(family, p, "uidrange", uids, "lookup", "main"));
    }
    for (String ports : excludePorts) {
      String[] selector = ports.split(" ");
      steps.add(rule(family, p, selector[0], selector[1], "lookup", "main"));
    }
    p++;
    // include-uid: only those users' traffic is captured (a rule per range); else everyone's.
    List<List<String>> users = new ArrayList<>();
    for (String uids : includeUids) {
      users.add(List.of("uidrange", uids));
    }
    if (users.isEmpty()) {
      users.add(List.of());
    }
    for (List<String> user : users) {
      if (dnsHijack) {
        steps.add(rule(family, p, with(user, "ipproto", "udp", "dport", "53", "lookup", t)));
        steps.add(rule(family, p, with(user, "ipproto", "tcp", "dport", "53", "lookup", t)));
      }
    }
    p++;
    steps.add(rule(family, p, "lookup", "main", "suppress_prefixlength", "0"));
    p++;
    for (List<String> user : users) {
      steps.add(rule(family, p, with(user, "lookup", t)));
    }
  }

  private static String[] with(List<String> user, String... selector) {
    List<String> all = new ArrayList<>(user);
    all.addAll(List.of(selector));
    return all.toArray(String[]::new);
  }

  /**
   * The keeper of this table's routes from rule sets ({@code route-address-set}, {@code
   * route-exclude-address-set}), which never replaces a route {@link #plan} makes.
   */
  public AddressSetRoutes addressSetRoutes() {
    List<Cidr> fixed = new ArrayList<>();
    if (routeAddresses.isEmpty() && !routedBySets) {
      fixed.add(Cidr.parseStrict("0.0.0.0/0"));
      fixed.add(Cidr.parseStrict("::/0"));
    }
    for (String cidr : routeAddresses) {
      fixed.add(Cidr.parseMasking(cidr));
    }
    return new AddressSetRoutes(device, table, ipv6, fixed);
  }

  /**
   * Gateway mode when IPv4 forwarding was off: the rules that make forwarding serve the TUN only
   * (see the class comment), applied before forwarding is turned on.
   */
  public List<Step> forwardOnlyIntoTheTun() {
    return forwardOnlyIntoTheTun("-4");
  }

  /** {@link #forwardOnlyIntoTheTun()} for {@code family} ({@code -4} or {@code -6}). */
  public List<Step> forwardOnlyIntoTheTun(String family) {
    return List.of(
        fromTheTun(family),
        rule(family, priority + 1, "not", "iif", "lo", "lookup", Integer.toString(table)));
  }

  /**
   * {@code iif <tun> lookup main}: what the TUN hands the kernel to forward leaves by the main
   * table instead of looping back into the TUN (gateway mode, and flows forwarded by {@link
   * ForwardedNat}).
   */
  public Step fromTheTun(String family) {
    return rule(family, priority + 1, "iif", device, "lookup", "main");
  }

  /**
   * Applies the plan (and, in gateway mode, {@code net.ipv4.ip_forward=1} with {@link
   * #forwardOnlyIntoTheTun} when forwarding was off, and the same for IPv6 with {@code
   * net.ipv6.conf.all.forwarding}) through {@code changes}. On failure the caller closes {@code
   * changes}, which undoes what was applied.
   */
  public void apply(HostChanges changes) throws IOException {
    if (gateway) {
      TunFirewall.openForward(changes, device); // a Docker host's FORWARD policy drops, say
      forwardIntoTheTun(changes, "-4");
      if (ipv6) {
        // Note: while on, interfaces with accept_ra=1 ignore router advertisements; a host that
        // learns its own IPv6 route from them needs accept_ra=2 to keep it.
        forwardIntoTheTun(changes, "-6");
      }
    }
    for (Step step : plan()) {
      if (step.rule()) {
        changes.addRule(step.family(), step.spec());
      } else {
        changes.addRoute(step.family(), step.spec());
      }
    }
  }

  /** Turns forwarding on, serving the TUN only, unless it is on already. */
  private void forwardIntoTheTun(HostChanges changes, String family) throws IOException {
    if (Forwarding.isOn(changes, family)) {
      return; // something else relies on it: left alone
    }
    for (Step step : forwardOnlyIntoTheTun(family)) {
      changes.addRule(step.family(), step.spec());
    }
    Forwarding.turnOn(changes, family);
  }

  private static Step rule(String family, int priority, String... selector) {
    List<String> spec = new ArrayList<>(List.of("priority", Integer.toString(priority)));
    spec.addAll(List.of(selector));
    return new Step(true, family, spec);
  }

  private static String hex(int mark) {
    return "0x" + Integer.toHexString(mark);
  }

  /** Settings of an {@link AutoRoute}; not thread-safe. */
  public static final class Builder {
    private final String device;
    private int table = DEFAULT_TABLE;
    private int priority = DEFAULT_PRIORITY;
    private int mark;
    private final List<String> excludeAddresses = new ArrayList<>();
    private final List<String> routeAddresses = new ArrayList<>();
    private final List<String> excludeUids = new ArrayList<>();
    private final List<String> excludePorts = new ArrayList<>();
    private final List<String> includeUids = new ArrayList<>();
    private final List<String> excludeInterfaces = new ArrayList<>();
    private final List<String> includeInterfaces = new ArrayList<>();
    private boolean dnsHijack;
    private boolean strictRoute;
    private boolean gateway;
    private boolean ipv6;
    private boolean routedBySets;

    private Builder(String device) {
      this.device = interfaceName(Objects.requireNonNull(device));
    }

    /** The routing table holding the TUN's default route (1..2^32-1, not 253-255). */
    public Builder table(int table) {
      if (table < 1 || table >= 253 && table <= 255) {
        throw new IllegalArgumentException("bad routing table " + table);
      }
      this.table = table;
      return this;
    }

    /** First priority of the rule block ({@code priority .. priority + 9}). */
    public Builder priority(int priority) {
      if (priority < 1 || priority + BLOCK > 32766) {
        throw new IllegalArgumentException("priority block must lie within 1..32765");
      }
      this.priority = priority;
      return this;
    }

    /**
     * The {@code routing-mark} Turnout's own sockets carry; 0 for none (then nothing is exempt).
     */
    public Builder mark(int mark) {
      this.mark = mark;
      return this;
    }

    /**
     * An IPv4 or IPv6 CIDR that keeps the main table's route ({@code route-exclude-address}); host
     * bits are allowed, as {@code ip rule} allows them. An IPv6 one takes effect with {@link
     * #ipv6}.
     *
     * @throws IllegalArgumentException if {@code cidr} is not a CIDR as {@link Cidr} reads, or an
     *     IPv4-mapped IPv6 one (which {@code ip -4} would not take in that form)
     */
    public Builder excludeAddress(String cidr) {
      excludeAddresses.add(checkedCidr(cidr));
      return this;
    }

    private static String checkedCidr(String cidr) {
      Cidr parsed;
      try {
        parsed = Cidr.parseMasking(cidr);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a CIDR: " + cidr + " (" + e.getMessage() + ")");
      }
      if (parsed.isIpv4() == cidr.contains(":")) {
        throw new IllegalArgumentException("write an IPv4-mapped range as IPv4: " + cidr);
      }
      return cidr;
    }

    /**
     * An IPv4 or IPv6 CIDR routed into the TUN instead of the default route ({@code
     * route-address}): once one is given, table T holds only these, so only they (and the fake
     * ranges, routed by main) are captured; a family none of them is of is not captured at all.
     *
     * @throws IllegalArgumentException as {@link #excludeAddress} does
     */
    public Builder routeAddress(String cidr) {
      routeAddresses.add(checkedCidr(cidr));
      return this;
    }

    /**
     * Routes from rule sets ({@code route-address-set}, see {@link AddressSetRoutes}) decide what
     * is captured: as with {@link #routeAddress}, table T holds no default route.
     */
    public Builder routedBySets(boolean on) {
      this.routedBySets = on;
      return this;
    }

    /** Capture IPv6 too: the TUN has an IPv6 address and Turnout serves IPv6. */
    public Builder ipv6(boolean on) {
      this.ipv6 = on;
      return this;
    }

    /**
     * Ports whose traffic keeps the main table ({@code exclude-src-port}, {@code exclude-dst-port}
     * and their ranges): this host's own source ports, or destination ports, {@code from..to}.
     */
    public Builder excludePorts(boolean source, int from, int to) {
      if (from < 1 || to > 65535 || to < from) {
        throw new IllegalArgumentException("bad port range " + from + "-" + to);
      }
      excludePorts.add((source ? "sport " : "dport ") + from + (to == from ? "" : "-" + to));
      return this;
    }

    /**
     * Users whose traffic alone is captured ({@code include-uid}); once one is given, the rules
     * that send traffic into the TUN (and hijacked DNS) carry a {@code uidrange} per range, so
     * other users' traffic keeps the main table. (Forwarded packets count as user 0.)
     */
    public Builder includeUids(int from, int to) {
      if (from < 0 || to < from) {
        throw new IllegalArgumentException("bad uid range " + from + "-" + to);
      }
      includeUids.add(from + "-" + to);
      return this;
    }

    /**
     * An interface whose arriving traffic keeps the main table ({@code exclude-interface}): other
     * hosts' or containers' traffic that this host forwards from it is not captured.
     */
    public Builder excludeInterface(String name) {
      excludeInterfaces.add(interfaceName(name));
      return this;
    }

    /**
     * An interface whose arriving traffic alone is captured ({@code include-interface}; {@code lo}
     * stands for this host's own traffic): traffic arriving by any other keeps the main table.
     */
    public Builder includeInterface(String name) {
      includeInterfaces.add(interfaceName(name));
      return this;
    }

    private static String interfaceName(String name) {
      if (!Change.DEVICE.matcher(name).matches()) {
        throw new IllegalArgumentException("bad interface name: " + name);
      }
      return name;
    }

    /** Users whose traffic keeps the main table ({@code exclude-uid}); {@code from <= to}. */
    public Builder excludeUids(int from, int to) {
      if (from < 0 || to < from) {
        throw new IllegalArgumentException("bad uid range " + from + "-" + to);
      }
      excludeUids.add(from + "-" + to);
      return this;
    }

    /** Send DNS (port 53) to any address into the TUN, even on connected subnets. */
    public Builder dnsHijack(boolean on) {
      this.dnsHijack = on;
      return this;
    }

    /**
     * Block what cannot be captured: without {@link #ipv6}, IPv6 is unreachable except link-local,
     * multicast and marked sockets.
     */
    public Builder strictRoute(boolean on) {
      this.strictRoute = on;
      return this;
    }

    /**
     * Gateway mode: also route LAN hosts' traffic (sets {@code net.ipv4.ip_forward=1}, and with
     * {@link #ipv6} {@code net.ipv6.conf.all.forwarding=1}).
     */
    public Builder gateway(boolean on) {
      this.gateway = on;
      return this;
    }

    public AutoRoute build() {
      return new AutoRoute(this);
    }
  }
}
