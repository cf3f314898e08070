package dev.turnout.fakedns;

import dev.turnout.netbase.Cidr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code fallback-filter}: when the {@code fallback} servers' answer is used instead of the {@code
 * nameserver} one (mihomo semantics).
 *
 * <ul>
 *   <li>{@code domain} patterns and {@code geosite} categories: a matching name is asked of the
 *       fallback servers only ({@link #fallbackOnly});
 *   <li>{@code geoip} with {@code geoip-code}: an answer address outside that country, unless it is
 *       a private, loopback, link-local, multicast or unspecified one, is not trusted;
 *   <li>{@code ipcidr}: an answer address inside one of the ranges is not trusted ({@link
 *       #distrusts}).
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class FallbackFilter {
  /** Nothing filtered: the fallback answer is used only when the nameserver answer has no IP. */
  public static final FallbackFilter NONE =
      new FallbackFilter(null, GeoIp.NONE, List.of(), DomainFilter.empty());

  private final String geoipCode; // null: geoip off
  private final GeoIp geoip;
  private final List<Cidr> ranges;
  private final DomainFilter domains;

  private FallbackFilter(String geoipCode, GeoIp geoip, List<Cidr> ranges, DomainFilter domains) {
    this.geoipCode = geoipCode;
    this.geoip = geoip;
    this.ranges = ranges;
    this.domains = domains;
  }

  /** A filter without {@code geosite} categories. */
  public static Builder builder() {
    return new Builder(DomainSets.NONE);
  }

  /** A filter whose {@code geosite} categories are found through {@code sets}. */
  public static Builder builder(DomainSets sets) {
    return new Builder(sets);
  }

  /** Whether {@code name} is asked of the fallback servers only. */
  public boolean fallbackOnly(String name) {
    return domains.matches(name);
  }

  /** Whether an answer holding {@code address} is replaced by the fallback servers' answer. */
  public boolean distrusts(InetAddress address) {
    if (geoipCode != null && !isLan(address) && !geoip.inCountry(address, geoipCode)) {
      return true;
    }
    for (Cidr range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** Addresses mihomo never judges by country: they are not on the Internet. */
  static boolean isLan(InetAddress a) {
    return a.isSiteLocalAddress()
        || a.isLoopbackAddress()
        || a.isAnyLocalAddress()
        || a.isMulticastAddress()
        || a.isLinkLocalAddress()
        || (a instanceof Inet6Address && (a.getAddress()[0] & 0xfe) == 0xfc); // fc00::/7
  }

  /** Collects the filter. Not thread-safe; build once. */
  public static final class Builder {
    private String geoipCode;
    private GeoIp geoip = GeoIp.NONE;
    private final List<Cidr> ranges = new ArrayList<>();
    private final List<String> domains = new ArrayList<>();
    private final DomainSets sets;

    private Builder(DomainSets sets) {
      this.sets = Objects.requireNonNull(sets);
    }

    /** {@code geoip: true} with {@code geoip-code}; {@code lookup} knows the countries. */
    public Builder geoip(String countryCode, GeoIp lookup) {
      this.geoipCode = countryCode.strip().toUpperCase(Locale.ROOT);
      this.geoip = Objects.requireNonNull(lookup);
      return this;
    }

    /**
     * One {@code ipcidr} entry.
     *
     * @throws IllegalArgumentException if it is not a CIDR (or a single address)
     */
    public Builder ipcidr(String cidr) {
      String text = cidr.strip();
      ranges.add(Cidr.parseMasking(text.indexOf('/') >= 0 ? text : text + "/" + hostBits(text)));
      return this;
    }

    private static int hostBits(String text) {
      return text.indexOf(':') >= 0 ? 128 : 32;
    }

    /** One {@code domain} pattern (checked at {@link #build}). */
    public Builder domain(String pattern) {
      domains.add(pattern);
      return this;
    }

    /** One {@code geosite} category, found through the builder's sets at {@link #build}. */
    public Builder geosite(String category) {
      domains.add("geosite:" + category.strip());
      return this;
    }

    /**
     * @throws IllegalArgumentException naming a bad domain pattern or an unknown category
     */
    public FallbackFilter build() {
      return new FallbackFilter(
          geoipCode, geoip, List.copyOf(ranges), DomainFilter.of(domains, sets));
    }
  }
}
