package dev.turnout.rules;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One entry of the config's {@code rule-providers:} map, already read from YAML by the launcher:
 *
 * <pre>
 * rule-providers:
 *   ads:                      # name
 *     type: http              # Type
 *     behavior: domain        # Behavior
 *     format: yaml            # Format; absent: AUTO
 *     url: https://example.com/ads.yaml
 *     path: ./ruleset/ads.yaml
 *     interval: 86400         # seconds; 0 or absent = never refreshed
 *     proxy: Proxy            # downloaded through this proxy or group; absent = DIRECT
 *     size-limit: 1048576     # bytes a download may have; 0 or absent = no limit
 *   direct:
 *     type: inline            # the entries are in the config itself
 *     behavior: domain
 *     payload: ['+.example.com', 'example.net']
 * </pre>
 *
 * <p>For {@code type: file}, {@code path} is the list to read and {@code url} must be null. For
 * {@code type: http}, {@code path} is where the last good download is kept (as in Clash); when
 * null, the engine uses {@code <providerCacheDir>/<name>.yaml|txt}. Relative paths must already be
 * resolved by the caller. For {@code type: inline}, {@code payload} holds the entries with their
 * lines in the config, and {@code path} and {@code url} are null. {@code file} and {@code line}
 * locate the spec in the config for errors. {@code proxy} (null: DIRECT) is handed to the {@link
 * ListFetcher}, which knows the proxies; {@code sizeLimit} (0: none) refuses a larger download.
 */
public record ProviderSpec(
    String name,
    Type type,
    Behavior behavior,
    Format format,
    Path path,
    URI url,
    Duration interval,
    String file,
    int line,
    List<RuleLine> payload,
    String proxy,
    long sizeLimit) {

  /** Where the list comes from. */
  public enum Type {
    FILE,
    HTTP,
    /** The config's own {@code payload:} list. */
    INLINE
  }

  /** What each entry of the list is. */
  public enum Behavior {
    /**
     * {@code example.com} (exact), {@code +.example.com}, {@code .example.com}, {@code *.x.com}.
     */
    DOMAIN,
    /** {@code 192.0.2.0/24}, {@code 2001:db8::/32}. */
    IPCIDR,
    /**
     * Rules without a policy: {@code DOMAIN-SUFFIX,example.com}, {@code IP-CIDR,...,no-resolve}.
     */
    CLASSICAL
  }

  /** How the list is written. */
  public enum Format {
    /** A YAML document with a {@code payload:} list of strings. */
    YAML,
    /**
     * One entry per line; blank lines and lines starting with {@code #} or {@code //} are skipped.
     */
    TEXT,
    /** mihomo's binary rule set (zstd), for domain and ipcidr lists. */
    MRS,
    /**
     * No {@code format:} written: an mrs file if it is a zstd stream, YAML if it is a mapping with
     * {@code payload:}, text otherwise (ACL4SSR's {@code .list} files, for one).
     */
    AUTO
  }

  public ProviderSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(behavior, "behavior");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(file, "file");
    interval = interval == null ? Duration.ZERO : interval;
    if (interval.isNegative()) {
      throw new IllegalArgumentException("negative interval for provider " + name);
    }
    if (type == Type.FILE && path == null) {
      throw new IllegalArgumentException("file provider " + name + " needs a path");
    }
    if (type == Type.HTTP && url == null) {
      throw new IllegalArgumentException("http provider " + name + " needs a url");
    }
    payload = List.copyOf(payload == null ? List.of() : payload);
    if ("DIRECT".equals(proxy)) {
      proxy = null;
    }
    if (sizeLimit < 0) {
      throw new IllegalArgumentException("negative size-limit for provider " + name);
    }
  }

  /** A file or http provider, downloaded DIRECT without a size limit. */
  public ProviderSpec(
      String name,
      Type type,
      Behavior behavior,
      Format format,
      Path path,
      URI url,
      Duration interval,
      String file,
      int line) {
    this(name, type, behavior, format, path, url, interval, file, line, List.of(), null, 0);
  }

  /** An inline provider: {@code payload} as written in the config. */
  public static ProviderSpec inline(
      String name, Behavior behavior, List<RuleLine> payload, String file, int line) {
    return new ProviderSpec(
        name,
        Type.INLINE,
        behavior,
        Format.TEXT,
        null,
        null,
        Duration.ZERO,
        file,
        line,
        payload,
        null,
        0);
  }

  /** {@code file:line} of the spec in the config. */
  public String position() {
    return file + ":" + line;
  }
}
