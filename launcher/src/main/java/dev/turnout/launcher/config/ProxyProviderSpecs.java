package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlSequence;
import dev.turnout.outbound.group.ExpectedStatus;
import dev.turnout.outbound.group.HealthCheck;
import dev.turnout.outbound.provider.ProxyFilter;
import dev.turnout.outbound.provider.ProxyOverride;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads {@code proxy-providers:}, a map from provider name to its keys (see {@link
 * ProxyProviderSpec}). An entry with an error is left out; the groups that {@code use:} it then
 * report it.
 */
final class ProxyProviderSpecs {
  /** {@code override:} keys written over each proxy, which the proxy reader then reads. */
  private static final List<String> OVERRIDDEN =
      List.of("udp", "udp-over-tcp", "skip-cert-verify", "dialer-proxy");

  /** {@code override:} keys Turnout has no per-proxy setting for, with what it does instead. */
  private static final Map<String, String> NOT_OVERRIDDEN =
      Map.of(
          "tfo", "TCP Fast Open is not used",
          "mptcp", "Multipath TCP is not used",
          "up", "bandwidth hints are for hysteria proxies, which Turnout does not speak",
          "down", "bandwidth hints are for hysteria proxies, which Turnout does not speak",
          "interface-name", "proxies use the top-level interface-name",
          "routing-mark", "proxies use the top-level routing-mark",
          "ip-version", "proxy servers are dialled at every address their name has");

  private ProxyProviderSpecs() {}

  static List<ProxyProviderSpec> read(MappingReader section, Path home) {
    List<ProxyProviderSpec> specs = new ArrayList<>();
    for (String name : section.keys()) {
      ProxyProviderSpec spec = entry(name, section.mapping(name), section.keyAt(name).line(), home);
      if (spec != null) {
        specs.add(spec);
      }
    }
    return List.copyOf(specs);
  }

  private static ProxyProviderSpec entry(String name, MappingReader entry, int line, Path home) {
    int errors = entry.problems().errorCount();
    String type = entry.choice("type", null, List.of("http", "file", "inline"));
    URI url = url(entry, "url");
    String pathText = entry.string("path", null); // http: Turnout keeps its copy in its state
    Duration interval = entry.seconds("interval", 0, 0, Integer.MAX_VALUE);
    String proxy = entry.string("proxy", null);
    Map<String, List<String>> headers = headers(entry.mapping("header"));
    ProxyFilter filter = filter(entry);
    HealthCheck check = healthCheck(entry.mapping("health-check"));
    ProxyOverride override = override(entry.mapping("override"));
    List<YamlMapping> payload = entry.mappings("payload");
    entry.reportUnread(KeyPolicy.PROXY_PROVIDER);
    if (type == null && !entry.has("type")) {
      entry.problem("type", "required: http, file or inline");
    } else if (type == null) {
      return null; // reported
    } else if (type.equals("http") && url == null && !entry.has("url")) {
      entry.problem("url", "required for type: http");
    } else if (type.equals("file") && pathText == null) {
      entry.problem("path", "required for type: file");
    } else if (type.equals("inline") && payload.isEmpty() && !entry.has("payload")) {
      entry.problem("payload", "required for type: inline: the proxies themselves");
    }
    if (entry.problems().errorCount() > errors) {
      return null;
    }
    Path path = pathText == null ? null : home.resolve(pathText).normalize();
    return new ProxyProviderSpec(
        name,
        ProxyProviderSpec.Type.valueOf(type.toUpperCase(Locale.ROOT)),
        type.equals("http") ? url : null,
        path,
        interval,
        proxy,
        headers,
        filter,
        check,
        override,
        type.equals("inline") ? payload : List.of(),
        entry.problems().file(),
        line);
  }

  private static URI url(MappingReader entry, String key) {
    String text = entry.string(key, null);
    if (text == null) {
      return null;
    }
    try {
      URI url = new URI(text);
      if (("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
          && url.getHost() != null) {
        return url;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    entry.problem(key, "expected an http:// or https:// URL, got \"" + text + "\"");
    return null;
  }

  /** {@code header: {User-Agent: [clash.meta], Authorization: [token x]}}. */
  private static Map<String, List<String>> headers(MappingReader header) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : header.keys()) {
      Optional<YamlNode> value = header.value(name);
      List<String> values = new ArrayList<>();
      if (value.isPresent() && value.get() instanceof YamlSequence) {
        header.scalars(name).forEach(v -> values.add(v.text()));
      } else {
        values.add(header.string(name, ""));
      }
      headers.put(name, List.copyOf(values));
    }
    return headers;
  }

  private static ProxyFilter filter(MappingReader entry) {
    try {
      return ProxyFilter.of(
          entry.string("filter", null),
          entry.string("exclude-filter", null),
          entry.string("exclude-type", null));
    } catch (ProxyFilter.BadPattern e) {
      entry.problem(e.key(), e.getMessage());
      return ProxyFilter.ALL;
    }
  }

  /**
   * {@code health-check:}; null unless enabled. Its url, interval, lazy, timeout and
   * expected-status are lent to the url-test, fallback and load-balance groups that use this
   * provider and have no url of their own.
   */
  private static HealthCheck healthCheck(MappingReader hc) {
    boolean enable = hc.bool("enable", false);
    URI url = url(hc, "url");
    Duration interval = hc.seconds("interval", 300, 1, 86_400);
    boolean lazy = hc.bool("lazy", true);
    int timeout = hc.integer("timeout", 5000, 1, 60_000);
    ExpectedStatus expected = ExpectedStatus.ANY;
    String status = hc.string("expected-status", null);
    if (status != null) {
      try {
        expected = ExpectedStatus.parse(status);
      } catch (IllegalArgumentException e) {
        hc.problem("expected-status", e.getMessage());
      }
    }
    hc.reportUnread(KeyPolicy.PROXY_PROVIDER);
    if (!enable) {
      return null;
    }
    if (url == null) {
      if (!hc.has("url")) {
        hc.problem(
            "url", "required with enable: true; Turnout never probes a built-in address for you");
      }
      return null;
    }
    return new HealthCheck(
        url, interval, Duration.ofMillis(Math.min(timeout, interval.toMillis())), lazy, expected);
  }

  private static ProxyOverride override(MappingReader ov) {
    Map<String, YamlNode> values = new LinkedHashMap<>();
    for (String key : OVERRIDDEN) {
      ov.value(key).ifPresent(v -> values.put(key, v));
    }
    NOT_OVERRIDDEN.forEach(
        (key, why) -> {
          if (ov.value(key).isPresent()) {
            ov.warning(key, "accepted and ignored: " + why);
          }
        });
    String prefix = ov.string("additional-prefix", "");
    String suffix = ov.string("additional-suffix", "");
    List<ProxyOverride.Rename> renames = new ArrayList<>();
    for (YamlMapping rename : ov.mappings("proxy-name")) {
      Optional<String> pattern = rename.text("pattern");
      if (pattern.isEmpty()) {
        ov.problems().error(rename, ov.qualified("proxy-name"), "each entry needs a pattern");
        continue;
      }
      try {
        renames.add(
            new ProxyOverride.Rename(
                Pattern.compile(pattern.get()), rename.text("target").orElse("")));
      } catch (PatternSyntaxException e) {
        ov.problems()
            .error(
                rename.get("pattern").orElse(rename),
                ov.qualified("proxy-name"),
                "not a valid regular expression: " + e.getDescription());
      }
    }
    ov.reportUnread(KeyPolicy.PROXY_PROVIDER);
    return new ProxyOverride(values, prefix, suffix, renames);
  }
}
