package dev.turnout.rules;

import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.Keyword;
import dev.turnout.rules.Matchers.Regex;
import dev.turnout.rules.Matchers.RuleSetRef;
import dev.turnout.rules.RuleParser.BadRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link DomainSets} over a rule engine's geosite lists and providers. A set is the domain entries
 * of its list compiled into the same indexes the rules use, so a lookup costs what a domain rule
 * costs. A provider's set is recompiled on first use after the provider changed. Thread-safe.
 */
final class EngineDomainSets implements DomainSets {
  private static final String IN = "IN";

  private final GeoSites geosites;
  private final Map<String, Provider> providers;

  EngineDomainSets(GeoSites geosites, Map<String, Provider> providers) {
    this.geosites = geosites;
    this.providers = providers;
  }

  @Override
  public DomainSet resolve(String reference) {
    String ref = reference.strip();
    String lower = ref.toLowerCase(Locale.ROOT);
    if (lower.startsWith("geosite:")) {
      String spec = ref.substring("geosite:".length()).strip();
      boolean not = spec.startsWith("!");
      if (not) {
        spec = spec.substring(1);
      }
      DomainSet set;
      try {
        String key = geosites.load(spec);
        set = compile(geosites.loaded().get(key));
      } catch (BadRule e) {
        throw new IllegalArgumentException(ref + ": " + e.getMessage());
      }
      return not ? host -> !set.contains(host) : set;
    }
    if (lower.startsWith("rule-set:")) {
      String name = ref.substring("rule-set:".length()).strip();
      Provider p = providers.get(name);
      if (p == null) {
        throw new IllegalArgumentException(ref + ": no rule provider named " + name);
      }
      if (p.spec.behavior() == ProviderSpec.Behavior.IPCIDR) {
        throw new IllegalArgumentException(ref + ": an ipcidr provider holds no domains");
      }
      return new ProviderSet(p);
    }
    throw new IllegalArgumentException(
        "not a domain set reference (geosite:NAME or rule-set:NAME): " + ref);
  }

  /** The domain entries of {@code entries} (GEOSITE entries expanded), as one set. */
  private DomainSet compile(List<Rule> entries) {
    List<Rule> domains = new ArrayList<>();
    collect(entries, domains);
    Rule rule = new Rule(new RuleSetRef("set", true), IN, "RULE-SET,set", "", "domain set");
    Compiled c =
        Compiled.build(
            List.of(rule), Map.of("set", domains), GeoDb.NONE, List.of(), HostResolver.NONE);
    return host -> {
      String h = Addresses.normalizeHost(host);
      if (h == null) {
        return false;
      }
      return !c.decide(ConnectionInfo.builder(Network.TCP).host(h).build()).fallback();
    };
  }

  private void collect(List<Rule> entries, List<Rule> out) {
    for (Rule r : entries) {
      Matcher m = r.matcher();
      if (m instanceof Domain || m instanceof Keyword || m instanceof Regex) {
        out.add(r);
      } else if (m instanceof RuleSetRef ref && ref.name().startsWith(GeoSites.KEY_PREFIX)) {
        collect(geosites.loaded().getOrDefault(ref.name(), List.of()), out);
      }
    }
  }

  /** A provider's domains, recompiled when its list changes. */
  private final class ProviderSet implements DomainSet {
    private final Provider provider;
    private volatile Snapshot current;

    private record Snapshot(List<Rule> entries, DomainSet set) {}

    ProviderSet(Provider provider) {
      this.provider = provider;
    }

    @Override
    public boolean contains(String host) {
      List<Rule> entries = provider.entries();
      Snapshot s = current;
      if (s == null || s.entries != entries) {
        s = new Snapshot(entries, compile(entries));
        current = s;
      }
      return s.set.contains(host);
    }
  }
}
