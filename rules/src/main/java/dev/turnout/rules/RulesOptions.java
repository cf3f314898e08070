package dev.turnout.rules;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Files the rule engine reads, as configured for the launcher.
 *
 * @param geoipDatabase MaxMind country database ({@code Country.mmdb}, {@code GeoLite2-Country}),
 *     needed only by {@code GEOIP} rules other than {@code GEOIP,LAN}; null if not configured
 * @param asnDatabase MaxMind ASN database ({@code GeoLite2-ASN.mmdb}), needed only by {@code
 *     IP-ASN}; null if not configured
 * @param providerCacheDir where http rule providers without a {@code path} keep their last good
 *     copy; null means such providers are an error
 * @param fakeIpRanges CIDRs of the fake-IP pool (e.g. {@code 198.18.0.0/16}). A destination IP in
 *     these ranges is never used for IP rules, even if a caller passes one by mistake.
 * @param geositeDatabase v2fly {@code geosite.dat}, needed only by {@code GEOSITE} rules and {@code
 *     geosite:} domain sets; null if not configured. It is read, never downloaded.
 */
public record RulesOptions(
    Path geoipDatabase,
    Path asnDatabase,
    Path providerCacheDir,
    List<String> fakeIpRanges,
    Path geositeDatabase) {

  /** No databases, no cache directory, no fake-IP range. */
  public static final RulesOptions NONE = new RulesOptions(null, null, null, List.of(), null);

  public RulesOptions {
    fakeIpRanges = List.copyOf(Objects.requireNonNullElse(fakeIpRanges, List.of()));
  }

  /** Without a geosite database. */
  public RulesOptions(
      Path geoipDatabase, Path asnDatabase, Path providerCacheDir, List<String> fakeIpRanges) {
    this(geoipDatabase, asnDatabase, providerCacheDir, fakeIpRanges, null);
  }
}
