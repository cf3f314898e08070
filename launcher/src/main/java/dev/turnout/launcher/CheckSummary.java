package dev.turnout.launcher;

import dev.turnout.config.Problems;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UnavailableOutbound;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code turnout check} found, counted, for the summary it prints at the end: how much of the
 * file Turnout will use, and what it will not (proxies it cannot speak, providers not downloaded
 * yet). Immutable.
 *
 * @param usable proxies Turnout can carry traffic through, from {@code proxies:} and providers
 * @param unsupported proxies it cannot speak, counted by their {@code type:}
 * @param rulesRead false when the rules have errors, so that their providers were not read
 * @param ruleProviderEntries entries read from rule providers, all together
 * @param proxyProviderProxies proxies read from proxy providers, all together
 */
record CheckSummary(
    int usable,
    Map<String, Integer> unsupported,
    int groups,
    Map<String, Integer> unavailableGroups,
    int rules,
    boolean rulesRead,
    int ruleProviders,
    int ruleProviderEntries,
    Set<String> ruleProvidersNotDownloaded,
    int proxyProviders,
    int proxyProviderProxies,
    Set<String> proxyProvidersNotDownloaded) {

  /**
   * The proxies among {@code proxies} that Turnout cannot speak, counted by type, or by type and
   * the key that asks for what Turnout lacks ({@code vmess with ws-opts}).
   */
  static Map<String, Integer> unsupportedByType(Collection<? extends Outbound> proxies) {
    Map<String, Integer> byType = new TreeMap<>();
    for (Outbound p : proxies) {
      if (p instanceof UnavailableOutbound u) {
        byType.merge(u.lacks(), 1, Integer::sum);
      }
    }
    return byType;
  }

  /** " (a 1, b 2)": counts by what each lacks. */
  private static String counted(Map<String, Integer> byLack) {
    return byLack.entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", ", " (", ")"));
  }

  /** The summary, one aspect a line, ending with the count of problems. */
  List<String> lines(Problems problems) {
    List<String> lines = new ArrayList<>();
    int unsupportedCount = unsupported.values().stream().mapToInt(Integer::intValue).sum();
    String proxies = usable + " usable, " + unsupportedCount + " unsupported";
    if (unsupportedCount > 0) {
      proxies += counted(unsupported);
    }
    lines.add(line("proxies", proxies));
    int unavailableCount = unavailableGroups.values().stream().mapToInt(Integer::intValue).sum();
    lines.add(
        line(
            "groups",
            unavailableCount == 0
                ? Integer.toString(groups)
                : groups + ", " + unavailableCount + " unavailable" + counted(unavailableGroups)));
    if (rulesRead) {
      lines.add(
          line("rules", rules + " in the file, " + ruleProviderEntries + " in rule providers"));
      lines.add(line("rule providers", providers(ruleProviders, ruleProvidersNotDownloaded)));
    } else {
      lines.add(line("rules", rules + " in the file, with errors"));
      lines.add(line("rule providers", ruleProviders + " (not read: the rules have errors)"));
    }
    lines.add(
        line(
            "proxy providers",
            providers(proxyProviders, proxyProvidersNotDownloaded)
                + (proxyProviders > 0 ? ", " + proxyProviderProxies + " proxies" : "")));
    lines.add(line("problems", problems.summary()));
    return lines;
  }

  private static String providers(int total, Set<String> notDownloaded) {
    if (total == 0) {
      return "none";
    }
    String s = total + " (" + (total - notDownloaded.size()) + " read";
    if (!notDownloaded.isEmpty()) {
      s += ", " + notDownloaded.size() + " not checked: not downloaded yet: ";
      s += String.join(", ", notDownloaded);
    }
    return s + ")";
  }

  private static String line(String what, String value) {
    return String.format("%-16s %s", what + ":", value);
  }
}
