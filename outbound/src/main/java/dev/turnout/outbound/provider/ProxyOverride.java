package dev.turnout.outbound.provider;

import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlNodes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A proxy provider's {@code override:}: keys written over every entry it serves ({@code udp},
 * {@code skip-cert-verify}, {@code dialer-proxy}, ...), each keeping the line of the configuration
 * where it is written, and the name changed by {@code additional-prefix}, {@code additional-suffix}
 * and then each {@code proxy-name} rename in turn, as mihomo applies them. Immutable.
 *
 * @param values keys to set on every entry, with their nodes
 * @param renames regular expressions replaced in the name, with {@code $1} for groups
 */
public record ProxyOverride(
    Map<String, YamlNode> values, String prefix, String suffix, List<Rename> renames) {
  public static final ProxyOverride NONE = new ProxyOverride(Map.of(), "", "", List.of());

  /** One {@code proxy-name} entry. */
  public record Rename(Pattern pattern, String target) {}

  public ProxyOverride {
    values = Map.copyOf(values);
    renames = List.copyOf(renames);
  }

  /** The name an entry called {@code name} gets. */
  public String name(String name) {
    String out = prefix + name + suffix;
    for (Rename r : renames) {
      out = r.pattern().matcher(out).replaceAll(r.target());
    }
    return out;
  }

  /** {@code entry} with the overrides written over it. */
  public YamlMapping apply(YamlMapping entry) {
    if (this.equals(NONE)) {
      return entry;
    }
    Map<String, YamlNode> replacements = new LinkedHashMap<>(values);
    String name = entry.text("name").orElse(null);
    if (name != null) {
      String renamed = name(name);
      if (!renamed.equals(name)) {
        YamlNode at = entry.get("name").orElseThrow();
        replacements.put("name", YamlNodes.scalar(at.file(), at.line(), renamed));
      }
    }
    return replacements.isEmpty() ? entry : YamlNodes.with(entry, replacements);
  }
}
