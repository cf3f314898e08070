package dev.turnout.launcher;

import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.outbound.ConfigProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The problems the outbound module found, as the launcher shows them: each with its file and line.
 * An unknown key that many proxies share (subscriptions write {@code tfo} or {@code
 * client-fingerprint} into every entry) is shown once, at its first place, with how many more
 * proxies have it, instead of once per proxy.
 */
final class OutboundProblems {
  private OutboundProblems() {}

  static void add(List<ConfigProblem> found, String configFile, Problems problems) {
    Map<String, List<ConfigProblem>> unknownKeys = new LinkedHashMap<>();
    List<ConfigProblem> others = new ArrayList<>();
    for (ConfigProblem p : found) {
      if (p.severity() == ConfigProblem.Severity.WARNING
          && p.field() != null
          && p.message().startsWith("unknown key")) {
        unknownKeys
            .computeIfAbsent(p.section().key() + "\0" + p.field(), k -> new ArrayList<>())
            .add(p);
      } else {
        others.add(p);
      }
    }
    others.forEach(p -> add(p, p.toString(), configFile, problems));
    for (List<ConfigProblem> same : unknownKeys.values()) {
      ConfigProblem first = same.get(0);
      String text = first.toString();
      if (same.size() > 1) {
        text += " (and in " + (same.size() - 1) + " more)";
      }
      add(first, text, configFile, problems);
    }
  }

  private static void add(ConfigProblem p, String text, String configFile, Problems problems) {
    problems.add(
        Severity.valueOf(p.severity().name()),
        p.file() == null ? configFile : p.file(),
        p.line(),
        p.section().key(),
        text);
  }
}
