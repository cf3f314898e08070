package dev.turnout.outbound.config;

import dev.turnout.config.Problem;
import dev.turnout.config.YamlMapping;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.ConfigProblem.Section;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UnavailableOutbound;
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds the outbounds of the entries a provider serves, exactly as those of {@code proxies:}, but
 * every problem is a warning: the list is someone else's and changes under Turnout, so an entry
 * with an error (or a name served twice) is skipped and the rest is used. Stateless.
 */
final class ProvidedProxies {
  /** The outbounds built, and what was wrong with the list and its entries. */
  record Built(List<Outbound> proxies, List<ConfigProblem> problems, int skipped) {
    int unavailable() {
      return (int) proxies.stream().filter(UnavailableOutbound::is).count();
    }

    /** For logs: {@code 24 proxies (2 unavailable, 1 skipped)}. */
    String describe() {
      String s = proxies.size() + " proxies";
      List<String> notes = new ArrayList<>();
      if (unavailable() > 0) {
        notes.add(unavailable() + " unavailable");
      }
      if (skipped > 0) {
        notes.add(skipped + " skipped");
      }
      return notes.isEmpty() ? s : s + " (" + String.join(", ", notes) + ")";
    }
  }

  private ProvidedProxies() {}

  static Built build(ProxyProviderSpec spec, ProviderLoader.Content content, Dialer dialer) {
    List<ConfigProblem> problems = new ArrayList<>();
    for (Problem p : content.problems()) {
      problems.add(
          new ConfigProblem(
              ConfigProblem.Severity.valueOf(p.severity().name()),
              Section.PROXY_PROVIDERS,
              0,
              spec.name(),
              null,
              p.message(),
              p.file(),
              p.line()));
    }
    List<Outbound> proxies = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    int skipped = 0;
    List<YamlMapping> entries = content.entries();
    for (int i = 0; i < entries.size(); i++) {
      List<ConfigProblem> found = new ArrayList<>();
      Fields f = new Fields(Section.PROVIDED, i, entries.get(i), found);
      Outbound o = OutboundConfig.checkName(f, taken) ? OutboundConfig.proxy(f, dialer) : null;
      boolean failed = o == null || f.failed();
      if (failed) {
        skipped++;
      } else {
        proxies.add(o);
      }
      for (ConfigProblem p : found) {
        problems.add(
            new ConfigProblem(
                ConfigProblem.Severity.WARNING,
                p.section(),
                p.index(),
                p.name(),
                p.field(),
                p.severity() == ConfigProblem.Severity.ERROR
                    ? p.message() + " (skipped)"
                    : p.message(),
                p.file(),
                p.line()));
      }
    }
    return new Built(List.copyOf(proxies), List.copyOf(problems), skipped);
  }
}
