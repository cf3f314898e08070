package dev.turnout.launcher;

import dev.turnout.fakedns.DnsTransport;
import dev.turnout.fakedns.Upstream;
import dev.turnout.launcher.config.DnsSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.fetch.HttpFetcher;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The geodata a configuration's rules need and its directory lacks, downloaded before {@code run}
 * builds anything, as mihomo downloads them at start: from {@code geox-url} ({@code mmdb}, {@code
 * asn}, {@code geosite}), else from mihomo's default addresses, into the configuration's directory
 * under the names Turnout then finds there ({@code Country.mmdb}, {@code GeoLite2-ASN.mmdb}, {@code
 * GeoSite.dat}). DIRECT, with the configuration's own nameservers and routing mark. A failed
 * download is a warning: the start then fails where the rules need the file, saying so.
 */
final class GeoDownloads {
  private static final Logger log = LoggerFactory.getLogger(GeoDownloads.class);

  /** A database: its geox-url key, the file it becomes, and mihomo's default address. */
  enum Database {
    MMDB(
        "mmdb",
        "Country.mmdb",
        "https://github.com/MetaCubeX/meta-rules-dat/releases/download/latest/country.mmdb"),
    ASN(
        "asn",
        "GeoLite2-ASN.mmdb",
        "https://github.com/xishang0128/geoip/releases/download/latest/GeoLite2-ASN.mmdb"),
    GEOSITE(
        "geosite",
        "GeoSite.dat",
        "https://github.com/MetaCubeX/meta-rules-dat/releases/download/latest/geosite.dat");

    final String key;
    final String file;
    final String defaultUrl;

    Database(String key, String file, String defaultUrl) {
      this.key = key;
      this.file = file;
      this.defaultUrl = defaultUrl;
    }
  }

  private GeoDownloads() {}

  /** The databases {@code config} needs (its rules and DNS keys name them) and has not found. */
  static List<Database> missing(TurnoutConfig config) {
    List<String> texts = new ArrayList<>();
    config.rules().forEach(r -> texts.add(r.text().toUpperCase(Locale.ROOT)));
    config
        .subRules()
        .values()
        .forEach(l -> l.forEach(r -> texts.add(r.text().toUpperCase(Locale.ROOT))));
    DnsSettings dns = config.dns().settings();
    List<String> dnsNames = new ArrayList<>(config.dns().fakeIpFilter());
    dns.nameserverPolicy().forEach(p -> dnsNames.add(p.key()));
    dnsNames.addAll(dns.fallbackFilter().geosite());
    List<Database> out = new ArrayList<>();
    TurnoutConfig.Files files = config.files();
    boolean fallbackGeoip = !dns.fallback().isEmpty() && dns.fallbackFilter().geoip();
    if (files.geoipDatabase() == null
        && (fallbackGeoip || texts.stream().anyMatch(t -> t.contains("GEOIP,")))) {
      out.add(Database.MMDB);
    }
    if (files.asnDatabase() == null && texts.stream().anyMatch(t -> t.contains("IP-ASN,"))) {
      out.add(Database.ASN);
    }
    if (files.geositeDatabase() == null
        && (texts.stream().anyMatch(t -> t.contains("GEOSITE,"))
            || !dns.fallbackFilter().geosite().isEmpty()
            || dnsNames.stream()
                .anyMatch(n -> n.toLowerCase(Locale.ROOT).startsWith("geosite:")))) {
      out.add(Database.GEOSITE);
    }
    return out;
  }

  /**
   * Downloads {@code needed} into {@code home}; true when at least one file was written (the
   * configuration must then be loaded again to find it).
   */
  static boolean fetch(TurnoutConfig config, Path home, List<Database> needed) {
    if (needed.isEmpty()) {
      return false;
    }
    EventLoopGroup loops =
        new MultiThreadIoEventLoopGroup(
            1, Assembly.daemonThreads("turnout-geodata"), EpollIoHandler.newFactory());
    DnsTransport transport = DnsTransport.builder().soMark(config.tun().routingMark()).build();
    boolean wrote = false;
    try {
      Upstream resolver = resolver(config, transport);
      DirectOutbound direct =
          new DirectOutbound(
              new Dialer(
                  resolver,
                  a -> false,
                  config.tun().routingMark(),
                  config.proxies().interfaceName(),
                  10_000));
      HttpFetcher fetcher = new HttpFetcher(loops);
      for (Database d : needed) {
        String url = config.files().geoxUrls().getOrDefault(d.key, d.defaultUrl);
        try {
          byte[] body = fetcher.get(URI.create(url), direct, Map.of(), null, null).body();
          Path target = home.resolve(d.file);
          Path part = home.resolve(d.file + ".part");
          Files.write(part, body);
          Files.move(
              part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          log.info("geodata: downloaded {} ({} bytes) from {}", target, body.length, url);
          wrote = true;
        } catch (IOException | IllegalArgumentException e) {
          log.warn("geodata: cannot download {} from {}: {}", d.file, url, e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      log.warn("geodata: cannot download: {}", e.toString());
    } finally {
      transport.close();
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    return wrote;
  }

  /** The configuration's nameservers, with default-nameserver resolving any given by name. */
  private static Upstream resolver(TurnoutConfig config, DnsTransport transport) {
    List<String> defaults = config.dns().settings().defaultNameservers();
    Upstream.Builder b = Upstream.builder(config.dns().nameservers()).transport(transport);
    if (!defaults.isEmpty()) {
      b.bootstrap(Upstream.builder(defaults).transport(transport).build());
    }
    return b.build();
  }
}
