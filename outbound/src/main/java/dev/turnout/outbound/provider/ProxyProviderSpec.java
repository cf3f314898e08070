package dev.turnout.outbound.provider;

import dev.turnout.config.YamlMapping;
import dev.turnout.outbound.group.HealthCheck;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of {@code proxy-providers:}, read and checked by the launcher:
 *
 * <pre>
 * proxy-providers:
 *   sub:                                  # name
 *     type: http                          # http | file | inline
 *     url: https://sub.example/clash      # http: where to download
 *     path: ./proxies/sub.yaml            # file: what to read (http: ignored, see below)
 *     interval: 3600                      # seconds between refreshes; 0: never
 *     proxy: DIRECT                       # download through this proxy or group
 *     header: {User-Agent: [clash.meta]}  # added to the download request
 *     filter: "HK|SG"                     # see ProxyFilter
 *     health-check: {enable: true, url: https://cp.example/generate_204, interval: 300}
 *     override: {udp: true, additional-prefix: "[sub] "}
 *     payload: [...]                      # inline: the proxies themselves
 * </pre>
 *
 * <p>An http provider's copy is kept in Turnout's state directory, not at {@code path}: it holds
 * the passwords of every proxy, so it is written 0600 in a 0700 directory. {@code healthCheck} is
 * null without {@code health-check.enable}. {@code file} and {@code line} say where the entry is
 * written. Immutable.
 */
public record ProxyProviderSpec(
    String name,
    Type type,
    URI url,
    Path path,
    Duration interval,
    String proxy,
    Map<String, List<String>> headers,
    ProxyFilter filter,
    HealthCheck healthCheck,
    ProxyOverride override,
    List<YamlMapping> payload,
    String file,
    int line) {

  /** Where the proxies come from. */
  public enum Type {
    HTTP,
    FILE,
    INLINE
  }

  public ProxyProviderSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    interval = interval == null ? Duration.ZERO : interval;
    headers = Map.copyOf(headers);
    filter = filter == null ? ProxyFilter.ALL : filter;
    override = override == null ? ProxyOverride.NONE : override;
    payload = List.copyOf(payload);
    if (type == Type.HTTP && url == null) {
      throw new IllegalArgumentException("http provider " + name + " needs a url");
    }
    if (type == Type.FILE && path == null) {
      throw new IllegalArgumentException("file provider " + name + " needs a path");
    }
  }

  /** {@code file:line} of the entry in the configuration. */
  public String position() {
    return file + ":" + line;
  }
}
