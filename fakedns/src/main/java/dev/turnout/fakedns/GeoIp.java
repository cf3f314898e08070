package dev.turnout.fakedns;

import java.net.InetAddress;

/**
 * Country lookups for {@code fallback-filter.geoip}, from the MaxMind database the rules use for
 * GEOIP; the launcher implements it with the rule engine so that this module does not depend on the
 * rules. Implementations are thread-safe and do not block.
 */
@FunctionalInterface
public interface GeoIp {
  /** No database: no address is in any country. */
  GeoIp NONE = (address, country) -> false;

  /** Whether the database places {@code address} in {@code country} (ISO code, any case). */
  boolean inCountry(InetAddress address, String country);
}
