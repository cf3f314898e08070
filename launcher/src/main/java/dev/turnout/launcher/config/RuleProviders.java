package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.rules.ProviderSpec;
import dev.turnout.rules.RuleLine;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@code rule-providers:}, a map from provider name to its fields. {@code format} absent is
 * {@code AUTO} (detected from the content: ACL4SSR's {@code .list} files have none); {@code type:
 * inline} takes its entries from {@code payload:}. {@code proxy:} names the proxy or group an http
 * list is downloaded through; {@code size-limit} the bytes a download may have (0: no limit).
 */
final class RuleProviders {
  private RuleProviders() {}

  static List<ProviderSpec> read(MappingReader section, Path home) {
    List<ProviderSpec> specs = new ArrayList<>();
    for (String name : section.keys()) {
      MappingReader entry = section.mapping(name);
      int line = section.keyAt(name).line();
      String type = entry.choice("type", null, List.of("file", "http", "inline"));
      String behavior = entry.choice("behavior", null, List.of("domain", "ipcidr", "classical"));
      String format = entry.choice("format", "auto", List.of("yaml", "text", "mrs"));
      String pathText = entry.string("path", null);
      String urlText = entry.string("url", null);
      Duration interval = entry.seconds("interval", 0, 0, Integer.MAX_VALUE);
      String proxy = entry.string("proxy", null);
      long sizeLimit = entry.integer("size-limit", 0, 0, Integer.MAX_VALUE);
      List<RuleLine> payload = "inline".equals(type) ? payload(entry, section) : null;
      if (payload == null && entry.has("payload")) {
        entry.value("payload");
        entry.warning("payload", "only used by type: inline; ignored");
      }
      entry.reportUnread(KeyPolicy.RULE_PROVIDER);
      if (type == null) {
        entry.problem("type", "required: file or http");
        continue;
      }
      if (behavior == null) {
        entry.problem("behavior", "required: domain, ipcidr or classical");
        continue;
      }
      ProviderSpec.Behavior b = ProviderSpec.Behavior.valueOf(behavior.toUpperCase(Locale.ROOT));
      if (format.equals("mrs") && b == ProviderSpec.Behavior.CLASSICAL) {
        entry.problem("format", "mrs holds only domain and ipcidr lists");
        continue;
      }
      if (payload != null) {
        specs.add(ProviderSpec.inline(name, b, payload, section.problems().file(), line));
        continue;
      }
      URI url = null;
      if (type.equals("http")) {
        if (urlText == null) {
          entry.problem("url", "required for type: http");
          continue;
        }
        try {
          url = new URI(urlText);
          if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            entry.problem("url", "expected an http:// or https:// URL");
            continue;
          }
        } catch (URISyntaxException e) {
          entry.problem("url", "not a valid URL: " + e.getReason());
          continue;
        }
      } else if (pathText == null) {
        entry.problem("path", "required for type: file");
        continue;
      } else if (urlText != null) {
        entry.problem("url", "only for type: http");
        continue;
      }
      specs.add(
          new ProviderSpec(
              name,
              ProviderSpec.Type.valueOf(type.toUpperCase(Locale.ROOT)),
              b,
              ProviderSpec.Format.valueOf(format.toUpperCase(Locale.ROOT)),
              pathText == null ? null : home.resolve(pathText).normalize(),
              url,
              interval,
              section.problems().file(),
              line,
              List.of(),
              proxy,
              sizeLimit));
    }
    return List.copyOf(specs);
  }

  private static List<RuleLine> payload(MappingReader entry, MappingReader section) {
    List<RuleLine> lines = new ArrayList<>();
    YamlNode list = entry.value("payload").orElse(null);
    if (!(list instanceof YamlSequence seq)) {
      entry.problem("payload", "required for type: inline: a list of entries");
      return lines;
    }
    for (YamlNode item : seq.items()) {
      if (item instanceof YamlScalar s) {
        lines.add(new RuleLine(s.text(), section.problems().file(), s.line()));
      } else {
        entry.problem("payload", "entries are plain values");
      }
    }
    return lines;
  }
}
