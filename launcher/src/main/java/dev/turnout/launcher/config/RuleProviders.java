package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.rules.ProviderSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@code rule-providers:}, a map from provider name to its fields. {@code proxy:} other than
 * DIRECT is accepted with a warning: the list is downloaded directly.
 */
final class RuleProviders {
  private RuleProviders() {}

  static List<ProviderSpec> read(MappingReader section, Path home) {
    List<ProviderSpec> specs = new ArrayList<>();
    for (String name : section.keys()) {
      MappingReader entry = section.mapping(name);
      int line = section.keyAt(name).line();
      String type = entry.choice("type", null, List.of("file", "http"));
      String behavior = entry.choice("behavior", null, List.of("domain", "ipcidr", "classical"));
      String pathText = entry.string("path", null);
      String urlText = entry.string("url", null);
      String format = entry.choice("format", "yaml", List.of("yaml", "text"));
      String proxy = entry.string("proxy", "DIRECT");
      if (!proxy.equals("DIRECT")) {
        entry.warning(
            "proxy",
            "accepted and ignored: rule lists are downloaded directly, not through " + proxy);
      }
      Duration interval = entry.seconds("interval", 0, 0, Integer.MAX_VALUE);
      entry.reportUnread(KeyPolicy.RULE_PROVIDER);
      if (type == null) {
        entry.problem("type", "required: file or http");
        continue;
      }
      if (behavior == null) {
        entry.problem("behavior", "required: domain, ipcidr or classical");
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
              ProviderSpec.Behavior.valueOf(behavior.toUpperCase(Locale.ROOT)),
              ProviderSpec.Format.valueOf(format.toUpperCase(Locale.ROOT)),
              pathText == null ? null : home.resolve(pathText).normalize(),
              url,
              interval,
              section.problems().file(),
              line));
    }
    return List.copyOf(specs);
  }
}
