package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.config.Problems;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.netbase.HostNames;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * mihomo's {@code tunnels:}, local port forwards: each entry listens on {@code address} and sends
 * what connects there to {@code target}, through {@code proxy} or, without one, as the rules say.
 * Both of mihomo's forms are read: {@code tcp/udp,127.0.0.1:6553,203.0.113.53:53,proxy} and a
 * mapping with {@code network} (a list), {@code address}, {@code target} and {@code proxy}; TCP,
 * UDP or both are carried, as {@code network} says. An entry that cannot be read is skipped with a
 * warning on its line, as is one whose proxy does not exist ({@code InboundAssembly}): the port
 * stays closed, which routes nothing differently from what is written. mihomo's own example has
 * both. The inbound name rules see ({@code IN-NAME}) is {@code DEFAULT-TUNNEL}.
 */
final class Tunnels {
  private Tunnels() {}

  /** The tunnels of {@code top}, each with where its proxy is written when it has one. */
  static List<Tunnel> read(MappingReader top) {
    List<Tunnel> out = new ArrayList<>();
    for (YamlNode item : top.items("tunnels")) {
      Tunnel t =
          item instanceof YamlMapping m
              ? mapping(MappingReader.of(m, top.problems()))
              : item instanceof YamlScalar s ? line(s, top.problems()) : null;
      if (t == null && !(item instanceof YamlMapping) && !(item instanceof YamlScalar)) {
        top.problems()
            .warning(item, "tunnels", "expected a line such as tcp,ADDRESS,TARGET,PROXY; skipped");
      }
      if (t != null) {
        out.add(t);
      }
    }
    return out;
  }

  /** A tunnel's listener, and where its proxy is written (null when the rules decide). */
  record Tunnel(ListenerSpec spec, YamlNode proxyAt) {}

  private static Tunnel line(YamlScalar item, Problems problems) {
    String[] parts = item.text().split(",", -1);
    if (parts.length != 3 && parts.length != 4) {
      problems.warning(
          item,
          "tunnels",
          "expected NETWORK,ADDRESS,TARGET[,PROXY], got \"" + item.text() + "\"; skipped");
      return null;
    }
    List<String> networks = List.of(parts[0].trim().toLowerCase(Locale.ROOT).split("/"));
    String proxy = parts.length == 4 ? parts[3].trim() : "";
    return build(item, problems, networks, parts[1].trim(), parts[2].trim(), proxy, item);
  }

  private static Tunnel mapping(MappingReader entry) {
    List<String> networks = networks(entry);
    String address = entry.string("address", null);
    String target = entry.string("target", null);
    String proxy = entry.string("proxy", "");
    entry.reportUnread(KeyPolicy.PROXY); // unknown keys are warnings, as mihomo ignores them
    YamlNode at = entry.node().orElseThrow();
    if (address == null || target == null) {
      entry
          .problems()
          .warning(
              at, entry.path(), "a tunnel needs address and target (and network: [tcp]); skipped");
      return null;
    }
    YamlNode proxyAt = entry.has("proxy") ? entry.at("proxy") : at;
    return build(at, entry.problems(), networks, address.trim(), target.trim(), proxy, proxyAt);
  }

  /** {@code network: [tcp, udp]}, or one value such as {@code tcp/udp}; absent: none. */
  static List<String> networks(MappingReader entry) {
    List<String> out = new ArrayList<>();
    if (entry.value("network").orElse(null) instanceof YamlScalar one) {
      for (String n : one.text().split("/")) {
        out.add(n.trim().toLowerCase(Locale.ROOT));
      }
      return out;
    }
    for (YamlScalar s : entry.scalars("network")) {
      out.add(s.text().trim().toLowerCase(Locale.ROOT));
    }
    return out;
  }

  private static Tunnel build(
      YamlNode at,
      Problems problems,
      List<String> networks,
      String address,
      String target,
      String proxy,
      YamlNode proxyAt) {
    for (String n : networks) {
      if (!n.equals("tcp") && !n.equals("udp")) {
        problems.warning(at, "tunnels", "network \"" + n + "\": expected tcp or udp; skipped");
        return null;
      }
    }
    InetSocketAddress bind = bind(address);
    if (bind == null) {
      problems.warning(
          at,
          "tunnels",
          "address: expected IP:PORT to listen on, got \"" + address + "\"; skipped");
      return null;
    }
    Destination to = target(target);
    if (to == null) {
      problems.warning(
          at, "tunnels", "target: expected HOST:PORT, got \"" + target + "\"; skipped");
      return null;
    }
    if (networks.isEmpty()) {
      problems.warning(at, "tunnels", "no network (tcp, udp): nothing to listen for; skipped");
      return null;
    }
    String name = ListenerSpec.Kind.TUNNEL.defaultName();
    ListenerSpec spec =
        ListenerSpec.tunnel(
            name,
            bind,
            to,
            proxy.isEmpty() ? null : proxy,
            networks.contains("tcp"),
            networks.contains("udp"));
    return new Tunnel(spec, proxy.isEmpty() ? null : proxyAt);
  }

  /** {@code 127.0.0.1:6553}, {@code [::1]:6553}; null unless an IP literal and a port. */
  static InetSocketAddress bind(String text) {
    HostPort hp = HostPort.split(text);
    InetAddress address = hp == null ? null : IpLiterals.parseHostOrNull(hp.host());
    return address == null ? null : new InetSocketAddress(address, hp.port());
  }

  /** {@code example.com:443}, {@code 203.0.113.53:53}, {@code [2001:db8::1]:53}; else null. */
  static Destination target(String text) {
    HostPort hp = HostPort.split(text);
    if (hp == null) {
      return null;
    }
    InetAddress literal = IpLiterals.parseHostOrNull(hp.host());
    if (literal != null) {
      return new Destination(null, literal, hp.port());
    }
    return HostNames.valid(hp.host())
        ? new Destination(hp.host().toLowerCase(Locale.ROOT), null, hp.port())
        : null;
  }

  /** {@code HOST:PORT} split at its last colon; the host is as written (brackets kept). */
  private record HostPort(String host, int port) {
    /** Null without a host, or without a port from 1 to 65535. */
    static HostPort split(String text) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        return null;
      }
      try {
        int port = Integer.parseInt(text.substring(colon + 1).trim());
        return port >= 1 && port <= 65535 ? new HostPort(text.substring(0, colon), port) : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }
}
