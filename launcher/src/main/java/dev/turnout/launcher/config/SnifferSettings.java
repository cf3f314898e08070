package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.config.YamlScalar;
import dev.turnout.relay.Sniffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code sniffer:}, as mihomo writes it: with {@code enable: true}, TCP connections to literal
 * addresses on the ports of {@code sniff.TLS.ports} and {@code sniff.HTTP.ports} (numbers or ranges
 * such as {@code 8080-8880}), and UDP flows on those of {@code sniff.QUIC.ports}, are routed by the
 * name their first bytes carry ({@link Sniffer}). {@code override-destination} (default true), at
 * the top or per protocol, also dials that name; {@code skip-domain} lists names never used.
 * mihomo's older form, {@code sniffing: [tls, http]} with {@code port-whitelist}, is read too. A
 * protocol without ports sniffs 443 (TLS) or 80 (HTTP), as in mihomo (QUIC: 443). {@code
 * force-dns-mapping} and {@code force-domain} concern names behind fake IPs, which Turnout always
 * takes from its DNS, and {@code parse-pure-ip} the local proxy listeners' connections, which are
 * not sniffed (ignored, with those reasons).
 */
public record SnifferSettings(
    List<Sniffer.Ports> tls,
    List<Sniffer.Ports> http,
    List<Sniffer.Ports> quic,
    boolean overrideTls,
    boolean overrideHttp,
    boolean overrideQuic,
    List<String> skip) {
  public static final SnifferSettings OFF =
      new SnifferSettings(List.of(), List.of(), List.of(), false, false, false, List.of());

  // mihomo's, for a protocol written without ports
  private static final List<Sniffer.Ports> TLS_DEFAULT = List.of(new Sniffer.Ports(443, 443));
  private static final List<Sniffer.Ports> HTTP_DEFAULT = List.of(new Sniffer.Ports(80, 80));

  public SnifferSettings {
    tls = List.copyOf(tls);
    http = List.copyOf(http);
    quic = List.copyOf(quic);
    skip = List.copyOf(skip);
  }

  /** The relay's sniffer for these settings. */
  public Sniffer sniffer() {
    return new Sniffer(tls, http, quic, overrideTls, overrideHttp, overrideQuic, skip);
  }

  static SnifferSettings read(MappingReader top) {
    MappingReader section = top.mapping("sniffer");
    if (!section.bool("enable", false)) {
      return OFF; // the other keys of a disabled sniffer mean nothing
    }
    boolean override = section.bool("override-destination", true);
    List<Sniffer.Ports> tls = new ArrayList<>();
    List<Sniffer.Ports> http = new ArrayList<>();
    List<Sniffer.Ports> quic = new ArrayList<>();
    boolean overrideTls = override;
    boolean overrideHttp = override;
    boolean overrideQuic = override;
    MappingReader sniff = section.mapping("sniff");
    for (String protocol : sniff.keys()) {
      MappingReader entry = sniff.mapping(protocol);
      switch (protocol.toUpperCase(Locale.ROOT)) {
        case "TLS" -> {
          tls.addAll(ports(entry, "ports", TLS_DEFAULT));
          overrideTls = entry.bool("override-destination", override);
        }
        case "HTTP" -> {
          http.addAll(ports(entry, "ports", HTTP_DEFAULT));
          overrideHttp = entry.bool("override-destination", override);
        }
        case "QUIC" -> {
          quic.addAll(ports(entry, "ports", TLS_DEFAULT));
          overrideQuic = entry.bool("override-destination", override);
        }
        default -> sniff.warning(protocol, "unknown protocol: TLS, HTTP or QUIC");
      }
      entry.reportUnread(KeyPolicy.SNIFFER_PROTOCOL);
    }
    // mihomo's older form
    List<Sniffer.Ports> whitelist = ports(section, "port-whitelist", null);
    for (YamlScalar protocol : section.scalars("sniffing")) {
      switch (protocol.text().trim().toLowerCase(Locale.ROOT)) {
        case "tls" -> tls.addAll(whitelist != null ? whitelist : TLS_DEFAULT);
        case "http" -> http.addAll(whitelist != null ? whitelist : HTTP_DEFAULT);
        case "quic" -> quic.addAll(whitelist != null ? whitelist : TLS_DEFAULT);
        default -> section.warning("sniffing", "unknown protocol " + protocol.text());
      }
    }
    List<String> skip = new ArrayList<>();
    for (YamlScalar name : section.scalars("skip-domain")) {
      skip.add(name.text().trim());
    }
    if (tls.isEmpty() && http.isEmpty() && quic.isEmpty()) {
      section.warning(
          "enable", "true, but no TLS, HTTP or QUIC ports to sniff: nothing is sniffed");
    }
    section.reportUnread(KeyPolicy.SNIFFER);
    return new SnifferSettings(tls, http, quic, overrideTls, overrideHttp, overrideQuic, skip);
  }

  /** {@code key}'s ports and ranges; {@code fallback} when absent; bad ones are errors. */
  private static List<Sniffer.Ports> ports(
      MappingReader section, String key, List<Sniffer.Ports> fallback) {
    if (!section.has(key)) {
      return fallback;
    }
    List<Sniffer.Ports> ports = new ArrayList<>();
    for (YamlScalar port : section.scalars(key)) {
      String text = port.text().trim();
      try {
        int dash = text.indexOf('-');
        ports.add(
            dash < 0
                ? new Sniffer.Ports(Integer.parseInt(text), Integer.parseInt(text))
                : new Sniffer.Ports(
                    Integer.parseInt(text.substring(0, dash).trim()),
                    Integer.parseInt(text.substring(dash + 1).trim())));
      } catch (IllegalArgumentException e) {
        section.problems().error(port, section.qualified(key), "not a port or range: " + text);
      }
    }
    return ports;
  }
}
