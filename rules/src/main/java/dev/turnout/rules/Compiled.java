package dev.turnout.rules;

import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.Matchers.All;
import dev.turnout.rules.Matchers.Asn;
import dev.turnout.rules.Matchers.Cidr;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.GeoIp;
import dev.turnout.rules.Matchers.Keyword;
import dev.turnout.rules.Matchers.Logic;
import dev.turnout.rules.Matchers.LogicOp;
import dev.turnout.rules.Matchers.Process;
import dev.turnout.rules.Matchers.ProcessRegex;
import dev.turnout.rules.Matchers.RuleSetRef;
import dev.turnout.rules.Matchers.SrcMac;
import dev.turnout.rules.Matchers.SubRuleRef;
import dev.turnout.rules.Matchers.Uid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An immutable, compiled rule list that decides in time independent of the number of indexed rules.
 *
 * <p>Every config rule gets its position as its <em>order</em>; every matchable item (a config
 * rule, or one entry of the rule set a RULE-SET rule expands to) gets an id, and its <em>key</em>
 * is {@code order << 32 | id}, so the smallest key is the first rule in config order. Domains,
 * keywords and CIDRs go into indexes that each return their smallest matching key at once. GEOIP,
 * IP-ASN and PROCESS-* entries go into maps that are consulted only when their first rule is
 * reached, because each costs a lookup. Everything else (regex, ports, network, logic...) is
 * checked in order, and only while its order is below the best key found so far; so is the point
 * where a name-only destination is resolved (the first rule needing an IP), after which IP entries
 * from that order on are matched against the resolved IP, exactly as Clash evaluates its list.
 *
 * <p>A SUB-RULE is flattened: each rule of its {@code sub-rules:} list (recursively) becomes an
 * item at the SUB-RULE's order, ANDed with the condition(s), in list order. Those items are all
 * checked in order, and among items of one order the first matching one wins, so the sub-list keeps
 * its own first-match order.
 */
final class Compiled {
  static final long NONE = Long.MAX_VALUE;
  private static final int END = Integer.MAX_VALUE;

  private final GeoDb geo;
  private final Prefix[] fakeRanges;
  private final HostResolver resolver;
  // Item i decides as items' rule i with its policy, reached via its via (see Decision); its
  // Decision is made on first use and kept in decisions[i]. A nested set has no decisions.
  private final Items items = new Items();
  private Decision[] decisions = new Decision[0];
  private boolean nestedSet;
  private final DomainIndex domains = new DomainIndex();
  private final KeywordIndex keywords = new KeywordIndex();
  private final CidrIndex dst = new CidrIndex();
  private final CidrIndex src = new CidrIndex();
  private final Map<String, long[]> geoKeys = new HashMap<>();
  private final Map<Long, long[]> pendingAsnKeys = new HashMap<>();
  private long[] asns = new long[0]; // sorted; asnKeys[i] holds the keys of asns[i]
  private long[][] asnKeys = new long[0][];
  private final Map<String, Long> processNames = new HashMap<>();
  private final Map<String, Long> processPaths = new HashMap<>();
  private int geoAt = END;
  private int asnAt = END;
  private int processAt = END;
  private int resolveAt = END;
  private boolean mayBlock;
  private long[] linearKeys = new long[0];
  private Matcher[] linear = new Matcher[0];
  private long matchAllKey = NONE; // the first MATCH: it ends the list, so it is not in linear
  private int firstStepAt = END; // the lowest order at which the walk in first() has work to do
  private final Map<String, RuleSet> sets = new HashMap<>();
  private Map<String, List<Rule>> subRules = Map.of();
  private final Map<String, Boolean> subRulesResolve = new HashMap<>();
  private final List<Matcher> pendingLinear = new ArrayList<>();
  private final List<Long> pendingLinearKeys = new ArrayList<>();
  private final int ruleCount;

  /** A rule set's current entries, as seen from a RULE-SET rule. */
  static final class RuleSet {
    private final boolean needsResolve;
    private final Compiled nested; // only for sets used inside AND/OR/NOT

    RuleSet(boolean needsResolve, Compiled nested) {
      this.needsResolve = needsResolve;
      this.nested = nested;
    }

    boolean needsResolve() {
      return needsResolve;
    }

    boolean matchesAny(Ctx c) {
      return nested.first(c, false) != NONE;
    }
  }

  private Compiled(GeoDb geo, List<Prefix> fakeRanges, HostResolver resolver, int ruleCount) {
    this.geo = geo;
    this.fakeRanges = fakeRanges.toArray(new Prefix[0]);
    this.resolver = resolver;
    this.ruleCount = ruleCount;
  }

  /**
   * Compiles {@code rules} (config order); {@code sets} holds every provider's entries by name and
   * must contain each set that a RULE-SET rule names.
   */
  static Compiled build(
      List<Rule> rules,
      Map<String, List<Rule>> sets,
      GeoDb geo,
      List<Prefix> fakeRanges,
      HostResolver resolver) {
    return build(rules, sets, Map.of(), geo, fakeRanges, resolver);
  }

  /**
   * As above, with the {@code sub-rules:} lists that SUB-RULE rules name (checked to be acyclic,
   * every name present).
   */
  static Compiled build(
      List<Rule> rules,
      Map<String, List<Rule>> sets,
      Map<String, List<Rule>> subRules,
      GeoDb geo,
      List<Prefix> fakeRanges,
      HostResolver resolver) {
    Compiled c = new Compiled(geo, fakeRanges, resolver, rules.size());
    c.subRules = subRules;
    Set<String> usedInLogic = new HashSet<>();
    for (Rule r : rules) {
      collectNestedSets(r.matcher(), usedInLogic, true);
    }
    for (List<Rule> list : subRules.values()) { // flattened into ANDs: all nested
      list.forEach(r -> collectNestedSets(r.matcher(), usedInLogic, false));
    }
    for (List<Rule> entries : sets.values()) { // a GEOSITE entry in a classical provider
      unpacked(entries).forEach(r -> collectNestedSets(r.matcher(), usedInLogic, false));
    }
    for (Map.Entry<String, List<Rule>> e : sets.entrySet()) {
      List<Rule> entries = e.getValue();
      boolean resolves = unpacked(entries).stream().anyMatch(r -> r.matcher().needsResolve(c));
      Compiled nested = null;
      if (usedInLogic.contains(e.getKey())) {
        nested = new Compiled(geo, fakeRanges, resolver, entries.size());
        nested.nestedSet = true;
        for (int i = 0; i < entries.size(); i++) {
          nested.add(i, entries.get(i).matcher(), null, null, null);
        }
        nested.freeze();
      }
      c.sets.put(e.getKey(), new RuleSet(resolves, nested));
    }
    c.expect(rules, sets);
    for (int order = 0; order < rules.size(); order++) {
      Rule r = rules.get(order);
      if (r.matcher() instanceof RuleSetRef ref) {
        c.addAll(order, sets.get(ref.name()), r.policy(), r.line() + " (" + r.source() + ")");
      } else if (r.matcher() instanceof SubRuleRef sub) {
        c.flatten(order, sub.condition(), sub.name(), r.line() + " (" + r.source() + ")");
      } else {
        c.add(order, r.matcher(), r, r.policy(), null);
      }
      if (c.resolveAt == END && r.matcher().needsResolve(c)) {
        c.resolveAt = order;
      }
    }
    c.mayBlock =
        c.resolveAt != END
            || rules.stream().anyMatch(r -> c.asksProcess(r.matcher()))
            || sets.values().stream()
                .flatMap(l -> unpacked(l).stream())
                .anyMatch(r -> c.asksProcess(r.matcher()));
    return c.freeze();
  }

  /** Sizes the item and domain arrays for the rules and the sets they use, rather than growing. */
  private void expect(List<Rule> rules, Map<String, List<Rule>> sets) {
    int domainCount = 0;
    for (Rule r : rules) {
      if (r.matcher() instanceof RuleSetRef ref) {
        List<Rule> set = sets.get(ref.name());
        domainCount += set instanceof ProviderEntries p ? p.packedCount() : set.size();
      } else if (r.matcher() instanceof Domain) {
        domainCount++;
      }
    }
    items.expect(rules.size());
    domains.expect(domainCount);
  }

  /** The entries of {@code list} that are not packed domains (which never resolve nor nest). */
  private static List<Rule> unpacked(List<Rule> list) {
    return list instanceof ProviderEntries p ? p.others() : list;
  }

  /**
   * Adds the entries of a rule set at {@code order}, deciding with {@code policy} via {@code via};
   * packed domain entries go into the index straight from their bytes.
   */
  private void addAll(int order, List<Rule> entries, String policy, String via) {
    int first = items.addAll(entries, policy, via);
    ProviderEntries packed = entries instanceof ProviderEntries p ? p : null;
    for (int i = 0; i < entries.size(); i++) {
      long key = (long) order << 32 | (first + i);
      if (packed != null && packed.packed(i)) {
        domains.add(packed.names(i), packed.nameFrom(i), packed.nameTo(i), packed.mode(i), key);
      } else {
        index(order, entries.get(i).matcher(), key);
      }
    }
  }

  /**
   * Adds the rules of sub-rules list {@code name} at {@code order}, each ANDed with {@code cond}.
   */
  private void flatten(int order, Matcher cond, String name, String via) {
    for (Rule s : subRules.get(name)) {
      if (s.matcher() instanceof SubRuleRef inner) {
        Matcher both = and(cond, inner.condition());
        flatten(order, both, inner.name(), s.line() + " (" + s.source() + ") in " + via);
      } else {
        Matcher m = s.matcher() instanceof All ? cond : and(cond, s.matcher());
        add(order, m, s, s.policy(), via);
      }
    }
  }

  private static Matcher and(Matcher a, Matcher b) {
    List<Matcher> both = new ArrayList<>();
    for (Matcher m : List.of(a, b)) {
      if (m instanceof Logic l && l.op() == LogicOp.AND) {
        both.addAll(l.rules());
      } else {
        both.add(m);
      }
    }
    return new Logic(LogicOp.AND, List.copyOf(both));
  }

  /** True if reaching a rule of sub-rules list {@code name} resolves a name-only destination. */
  boolean subRulesNeedResolve(String name) {
    Boolean known = subRulesResolve.get(name);
    if (known == null) {
      List<Rule> list = subRules.getOrDefault(name, List.of());
      known = list.stream().anyMatch(r -> r.matcher().needsResolve(this));
      subRulesResolve.put(name, known);
    }
    return known;
  }

  private boolean asksProcess(Matcher m) {
    if (m instanceof Process
        || m instanceof ProcessRegex
        || m instanceof Uid
        || m instanceof SrcMac) {
      return true;
    }
    if (m instanceof Logic logic) {
      return logic.rules().stream().anyMatch(this::asksProcess);
    }
    if (m instanceof SubRuleRef sub) {
      return asksProcess(sub.condition())
          || subRules.getOrDefault(sub.name(), List.of()).stream()
              .anyMatch(r -> asksProcess(r.matcher()));
    }
    return false;
  }

  /**
   * True if some decision may call the {@link HostResolver} or the process lookup, both of which
   * may block; false means every decision is pure computation.
   */
  boolean mayBlock() {
    return mayBlock;
  }

  /** Sets named anywhere but as a top-level RULE-SET or GEOSITE rule itself. */
  private static void collectNestedSets(Matcher m, Set<String> out, boolean top) {
    if (m instanceof RuleSetRef ref && !top) {
      out.add(ref.name());
    } else if (m instanceof Logic logic) {
      logic.rules().forEach(sub -> collectNestedSets(sub, out, false));
    } else if (m instanceof SubRuleRef sub) {
      collectNestedSets(sub.condition(), out, false);
    }
  }

  /** Adds an item: {@code m}, deciding as {@code r} with {@code policy} via {@code via}. */
  private void add(int order, Matcher m, Rule r, String policy, String via) {
    index(order, m, (long) order << 32 | items.add(r, policy, via));
  }

  /** Puts {@code m}, of item key {@code key} at {@code order}, into its index or the checks. */
  private void index(int order, Matcher m, long key) {
    if (m instanceof Domain dm) {
      domains.add(dm.domain(), dm.mode(), key);
    } else if (m instanceof Keyword k && KeywordIndex.indexable(k.keyword())) {
      keywords.add(k.keyword(), key);
    } else if (m instanceof Cidr cidr) {
      (cidr.source() ? src : dst).add(cidr.prefix(), key);
    } else if (m instanceof GeoIp g) {
      geoKeys.merge(g.code(), new long[] {key}, Compiled::concat);
      geoAt = Math.min(geoAt, order);
    } else if (m instanceof Asn a) {
      pendingAsnKeys.merge(a.asn(), new long[] {key}, Compiled::concat);
      asnAt = Math.min(asnAt, order);
    } else if (m instanceof Process p) {
      String value = p.value().toLowerCase(Locale.ROOT);
      (p.path() ? processPaths : processNames).merge(value, key, Math::min);
      processAt = Math.min(processAt, order);
    } else {
      pendingLinear.add(m);
      pendingLinearKeys.add(key);
    }
  }

  private Compiled freeze() {
    items.freeze();
    decisions = new Decision[items.size()];
    // a nested set's entries have no decision: nothing to read ahead
    domains.freeze(nestedSet ? null : decisions);
    keywords.freeze();
    dst.freeze(resolveAt); // the only floor other than 0 that first() passes
    src.freeze(END);
    geoKeys.values().forEach(Arrays::sort);
    asns = pendingAsnKeys.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    asnKeys = new long[asns.length][];
    for (int i = 0; i < asns.length; i++) {
      asnKeys[i] = pendingAsnKeys.get(asns[i]);
      Arrays.sort(asnKeys[i]);
    }
    pendingAsnKeys.clear();
    // Keys ascend: added in key order. Nothing after the first MATCH can win, and MATCH itself
    // needs no context, so it becomes a constant and the list stops before it.
    int n = 0;
    while (n < pendingLinear.size() && !(pendingLinear.get(n) instanceof All)) {
      n++;
    }
    matchAllKey = n < pendingLinear.size() ? pendingLinearKeys.get(n) : NONE;
    linear = pendingLinear.subList(0, n).toArray(new Matcher[0]);
    linearKeys = pendingLinearKeys.subList(0, n).stream().mapToLong(Long::longValue).toArray();
    pendingLinear.clear();
    pendingLinearKeys.clear();
    firstStepAt = Math.min(linear.length > 0 ? order(linearKeys[0]) : END, geoAt);
    firstStepAt = Math.min(firstStepAt, Math.min(asnAt, processAt));
    return this;
  }

  private static long[] concat(long[] a, long[] b) {
    long[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  static int order(long key) {
    return (int) (key >>> 32);
  }

  /**
   * Decides {@code conn}. The indexes answer from the connection itself; a {@link Ctx} is created
   * only if a rule checked in order, a lazy lookup or the resolution comes before their answer, so
   * a decision made by the indexes (or by MATCH) allocates nothing.
   */
  Decision decide(ConnectionInfo conn) {
    String host = conn.host();
    Ip ip = conn.destination();
    boolean fake = ip != null && isFakeIp(ip); // Ctx drops (and logs) it
    long best = indexed(host, conn.source(), fake ? null : ip);
    boolean pending = (ip == null || fake) && host != null && resolveAt != END;
    if (Math.min(firstStepAt, pending ? resolveAt : END) >= order(best)) {
      return decision(best);
    }
    Ctx c = new Ctx(conn, this);
    long key = walk(c, true, best);
    Decision d = decision(key);
    return c.resolved.isEmpty() ? d : d.withResolved(c.resolved);
  }

  private Decision decision(long key) {
    if (key == NONE) {
      return Decision.FALLBACK;
    }
    Decision d = decisions[(int) key];
    return d != null ? d : firstDecision((int) key);
  }

  /**
   * Makes item {@code i}'s decision on its first use and keeps it. Threads may race to make it:
   * each makes an equal one, and a Decision is immutable, so any of them may be kept and seen.
   */
  private Decision firstDecision(int i) {
    Rule r = items.rule(i);
    Decision d =
        new Decision(items.policy(i), r.text(), r.source(), items.via(i), List.of(), false);
    decisions[i] = d;
    return d;
  }

  /** The smallest key the indexes and MATCH hold for these fields, with IP floor 0. */
  private long indexed(String host, Ip source, Ip destination) {
    long best = matchAllKey;
    if (host != null) {
      best = Math.min(best, domains.lookup(host, keywords));
    }
    best = Math.min(best, src.lookup(source, 0));
    return Math.min(best, dst.lookup(destination, 0));
  }

  /**
   * The smallest key matching {@code c}, or {@link #NONE}. Only the top level resolves names; a
   * rule set inside a logic rule sees the destination IP as the enclosing rule does.
   */
  long first(Ctx c, boolean top) {
    long best = indexed(c.host, c.conn.source(), null);
    return walk(c, top, Math.min(best, dst.lookup(c.dst, top ? c.ipFloor : 0)));
  }

  /**
   * Continues {@link #first} from {@code best}, the indexes' answer: runs, in order and while below
   * the best key, the rules checked one by one, the lazy lookups and the resolution.
   */
  private long walk(Ctx c, boolean top, long best) {
    int floor = top ? c.ipFloor : 0;
    boolean pending = top && c.dst == null && c.host != null && resolveAt != END;
    int geoNext = geoAt;
    int asnNext = asnAt;
    int processNext = processAt;
    int i = 0;
    while (true) {
      int limit = order(best);
      int lin = i < linear.length ? order(linearKeys[i]) : END;
      int at = Math.min(Math.min(lin, pending ? resolveAt : END), Math.min(geoNext, asnNext));
      at = Math.min(at, processNext);
      if (at >= limit) {
        return best;
      }
      if (pending && at == resolveAt) {
        pending = false;
        floor = resolveAt;
        c.resolve(resolver, floor);
        if (c.dst != null) {
          best = Math.min(best, dst.lookup(c.dst, floor));
          if (geoNext == END && geoAt < floor) { // passed earlier without an IP
            best = Math.min(best, geoLookup(c, floor));
          }
          if (asnNext == END && asnAt < floor) {
            best = Math.min(best, asnLookup(c, floor));
          }
        }
      } else if (at == geoNext) {
        geoNext = END;
        best = Math.min(best, geoLookup(c, floor));
      } else if (at == asnNext) {
        asnNext = END;
        best = Math.min(best, asnLookup(c, floor));
      } else if (at == processNext) {
        processNext = END;
        best = Math.min(best, processLookup(c));
      } else {
        if (linear[i].matches(c)) {
          best = Math.min(best, linearKeys[i]);
        }
        i++;
      }
    }
  }

  private long geoLookup(Ctx c, int floor) {
    if (c.dst == null) {
      return NONE;
    }
    long best = NONE;
    long[] lan = geoKeys.get("LAN");
    if (lan != null && c.dst.isLan()) {
      best = atLeast(lan, floor);
    }
    if (geoKeys.size() > (lan == null ? 0 : 1)) {
      for (String code : c.countries()) {
        long[] keys = geoKeys.get(code);
        if (keys != null) {
          best = Math.min(best, atLeast(keys, floor));
        }
      }
    }
    return best;
  }

  private long asnLookup(Ctx c, int floor) {
    if (c.dst == null || asns.length == 0) {
      return NONE;
    }
    int i = Arrays.binarySearch(asns, c.asn());
    return i < 0 ? NONE : atLeast(asnKeys[i], floor);
  }

  private long processLookup(Ctx c) {
    ProcessInfo p = c.process();
    if (p == null) {
      return NONE;
    }
    long byName = p.name() == null ? NONE : processNames.getOrDefault(lower(p.name()), NONE);
    long byPath = p.path() == null ? NONE : processPaths.getOrDefault(lower(p.path()), NONE);
    return Math.min(byName, byPath);
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  private static long atLeast(long[] sorted, int floor) {
    long floorKey = (long) floor << 32;
    for (long k : sorted) { // short lists: one GEOIP or IP-ASN value rarely repeats
      if (k >= floorKey) {
        return k;
      }
    }
    return NONE;
  }

  RuleSet ruleSet(String name) {
    return sets.get(name);
  }

  GeoDb geo() {
    return geo;
  }

  boolean isFakeIp(Ip ip) {
    for (Prefix p : fakeRanges) { // an array: no iterator
      if (p.contains(ip)) {
        return true;
      }
    }
    return false;
  }

  int ruleCount() {
    return ruleCount;
  }

  /** Sizes for logs: domain patterns, keywords, CIDRs, rules checked in order. */
  String stats() {
    return String.format(
        "%d rules: %d domain patterns, %d keywords, %d CIDRs, %d checked in order",
        ruleCount, domains.size(), keywords.size(), dst.size() + src.size(), linear.length);
  }
}
