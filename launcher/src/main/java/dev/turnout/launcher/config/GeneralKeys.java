package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Clash keys whose values Turnout accepts in more forms than it acts on: each value either works,
 * is accepted with a warning that says what Turnout does instead, or is refused because Turnout
 * would route other than the file says. Kept apart from {@link ConfigLoader} so that each decision
 * is in one place.
 */
final class GeneralKeys {
  private GeneralKeys() {}

  /** {@code mode: Rule|Global|Direct} in any letter case, as mihomo reads it. */
  static TurnoutConfig.Mode mode(MappingReader top) {
    Optional<YamlScalar> value = top.scalar("mode");
    if (value.isEmpty()) {
      return TurnoutConfig.Mode.RULE;
    }
    String text = value.get().text().strip().toLowerCase(Locale.ROOT);
    switch (text) {
      case "rule" -> {
        return TurnoutConfig.Mode.RULE;
      }
      case "global" -> {
        return TurnoutConfig.Mode.GLOBAL;
      }
      case "direct" -> {
        return TurnoutConfig.Mode.DIRECT;
      }
      case "script" ->
          top.problem("mode", "script mode (Clash Premium) is not supported; use Rule");
      default ->
          top.problem(
              "mode", "expected Rule, Global or Direct, got \"" + value.get().text() + "\"");
    }
    return TurnoutConfig.Mode.RULE;
  }

  /**
   * {@code find-process-mode}: Turnout looks up the owning process only for rules that need it,
   * which is mihomo's {@code strict} (and gives the same answers as {@code always}). With {@code
   * off} mihomo's process rules never match and Turnout's would, so off is refused when the file
   * has such rules.
   */
  static void findProcessMode(MappingReader top) {
    String mode = top.choice("find-process-mode", "strict", List.of("strict", "always", "off"));
    if (!mode.equals("off")) {
      return;
    }
    boolean processRules =
        top.node()
            .flatMap(m -> m.get("rules"))
            .filter(YamlSequence.class::isInstance)
            .map(r -> ((YamlSequence) r).items().stream().anyMatch(GeneralKeys::isProcessRule))
            .orElse(false);
    if (processRules) {
      top.problem(
          "find-process-mode",
          "with off, mihomo never matches PROCESS-NAME or PROCESS-PATH rules and Turnout would;"
              + " remove this key or those rules");
    }
  }

  private static boolean isProcessRule(YamlNode rule) {
    return rule instanceof YamlScalar s && s.text().toUpperCase(Locale.ROOT).contains("PROCESS-");
  }

  /** {@code profile.store-selected}: Turnout always keeps select choices in its state directory. */
  static void storeSelected(MappingReader profile) {
    if (!profile.bool("store-selected", true)) {
      profile.warning(
          "store-selected", "select choices are always kept in the state directory; ignored");
    }
  }

  /** {@code tun.stack}: every stack name is accepted; Turnout always uses the kernel's. */
  static void stack(MappingReader tun) {
    Optional<YamlScalar> value = tun.scalar("stack");
    if (value.isEmpty()) {
      return;
    }
    switch (value.get().text().strip().toLowerCase(Locale.ROOT)) {
      case "system" -> {}
      case "gvisor", "mixed" ->
          tun.warning(
              "stack",
              "accepted; Turnout always uses the kernel's own TCP/IP stack (system), whose"
                  + " routing is the same");
      default ->
          tun.problem(
              "stack", "expected one of system, gvisor, mixed, got \"" + value.get().text() + "\"");
    }
  }

  /**
   * {@code KEY} (user ids) and {@code KEY-range} ({@code FIRST:LAST}), as {@code A-B} ranges; a bad
   * entry is an error.
   */
  static List<String> uids(MappingReader section, String key) {
    List<String> ranges = new ArrayList<>();
    for (YamlScalar uid : section.scalars(key)) {
      long value = uid.asLong().orElse(-1);
      if (value >= 0 && value <= 0xFFFF_FFFFL) {
        ranges.add(value + "-" + value);
      } else {
        section
            .problems()
            .error(uid, section.qualified(key), "expected a user id, got " + uid.text());
      }
    }
    ranges.addAll(uidRanges(section, key + "-range"));
    return List.copyOf(ranges);
  }

  /** mihomo's {@code exclude-uid-range: ["1000:1099"]} as {@code from-to} ranges. */
  static List<String> uidRanges(MappingReader section, String key) {
    List<String> ranges = new ArrayList<>();
    for (YamlScalar range : section.scalars(key)) {
      String[] parts = range.text().strip().split(":", -1);
      long from = parts.length == 2 ? uid(parts[0]) : -1;
      long to = parts.length == 2 ? uid(parts[1]) : -1;
      if (from < 0 || to < from) {
        section
            .problems()
            .error(
                range,
                section.qualified(key),
                "expected FIRST:LAST user ids such as 1000:1099, got \"" + range.text() + "\"");
      } else {
        ranges.add(from + "-" + to);
      }
    }
    return ranges;
  }

  /**
   * {@code KEY} (ports) and {@code KEY-range} ({@code FIRST:LAST}, or {@code FIRST-LAST}), as
   * {@code A-B} ranges; a bad entry is an error.
   */
  static List<String> portRanges(MappingReader section, String key) {
    List<String> ranges = new ArrayList<>();
    for (String k : List.of(key, key + "-range")) {
      for (YamlScalar port : section.scalars(k)) {
        String[] parts = port.text().strip().split("[:-]", -1);
        int from = parts.length <= 2 ? port(parts[0]) : -1;
        int to = parts.length == 2 ? port(parts[1]) : from;
        if (from < 1 || to < from) {
          section
              .problems()
              .error(
                  port,
                  section.qualified(k),
                  "expected a port or FIRST:LAST ports such as 1000:1099, got \""
                      + port.text()
                      + "\"");
        } else {
          ranges.add(from + "-" + to);
        }
      }
    }
    return List.copyOf(ranges);
  }

  /** A port 1..65535 written as {@code text}, else -1. */
  static int port(String text) {
    try {
      int value = Integer.parseInt(text.strip());
      return value >= 1 && value <= 65535 ? value : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static long uid(String text) {
    try {
      long value = Long.parseLong(text.strip());
      return value >= 0 && value <= 0xFFFF_FFFFL ? value : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
