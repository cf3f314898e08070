package dev.turnout.outbound.wireguard;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Clash/mihomo {@code type: wireguard}: one peer, given at the top level or as the only entry of
 * {@code peers:}. What Turnout cannot do the same way is refused per proxy (an unavailable member):
 * several peers, {@code remote-dns-resolve} (names would resolve elsewhere), AmneziaWG, {@code
 * dialer-proxy}, an entry without an IPv4 {@code ip}. What it can only approximate is a warning:
 * {@code ipv6} (IPv6 destinations are not carried), {@code refresh-server-ip-interval}.
 */
public final class WireGuardConfig implements ProxyType {
  /** mihomo's default MTU for WireGuard. */
  static final int DEFAULT_MTU = 1408;

  private static final Set<String> PEER_KEYS =
      Set.of("server", "port", "public-key", "pre-shared-key", "reserved", "allowed-ips");

  private static final Set<String> KEYS =
      Set.of(
          "ip",
          "ipv6",
          "private-key",
          "public-key",
          "pre-shared-key",
          "reserved",
          "allowed-ips",
          "mtu",
          "persistent-keepalive",
          "dns",
          "remote-dns-resolve",
          "peers",
          "workers",
          "amnezia-wg-option",
          "refresh-server-ip-interval");

  @Override
  public String name() {
    return "wireguard";
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    f.unsupported("amnezia-wg-option", "AmneziaWG changes the wire format");
    f.unsupported("dialer-proxy", "a WireGuard proxy cannot be reached through another proxy");
    if (f.bool("remote-dns-resolve", false)) {
      f.unsupported(
          "remote-dns-resolve", "names would be resolved by the tunnel's DNS, not Turnout's");
    }
    List<Fields> peers = f.mappings("peers");
    if (peers.size() > 1) {
      f.unsupported("peers", "only one peer is supported, this proxy has " + peers.size());
    }
    Fields peer = peers.isEmpty() ? f : peers.get(0);
    if (!peers.isEmpty()) {
      peer.unknownKeys(PEER_KEYS);
    }
    String server = peers.isEmpty() ? common.server() : peer.string("server", true);
    int port = peers.isEmpty() ? common.port() : peer.port("port");
    Inet4Address address = address(f);
    if (f.has("ipv6")) {
      f.warn("ipv6", "IPv6 is not carried: connections to IPv6 addresses through it fail");
    }
    if (f.has("refresh-server-ip-interval")) {
      f.warn(
          "refresh-server-ip-interval",
          "not honoured: the server's name is resolved once, when the tunnel starts");
    }
    byte[] privateKey = key(f, "private-key", true);
    byte[] publicKey = key(peer, "public-key", true);
    byte[] psk = key(peer, "pre-shared-key", false);
    byte[] reserved = reserved(peer);
    List<Cidr> allowed = allowedIps(peer);
    int mtu = f.integer("mtu", DEFAULT_MTU, 576, 65535);
    int keepalive = f.integer("persistent-keepalive", 0, 0, 65535);
    if (f.unavailable() != null || f.failed() || privateKey == null || publicKey == null) {
      return null;
    }
    StaticKeys keys;
    try {
      keys = new StaticKeys(privateKey, publicKey, psk);
    } catch (IllegalArgumentException e) {
      f.error("private-key", e.getMessage());
      return null;
    }
    return new WireGuardOutbound(
        common.name(),
        server,
        port,
        address,
        new Peer(keys, reserved, allowed, mtu, keepalive),
        common.udp(),
        dialer);
  }

  private static Inet4Address address(Fields f) {
    String ip = f.string("ip", false);
    if (ip == null) {
      if (f.has("ipv6")) {
        f.unsupported("ipv6", "no IPv4 address (ip) for the tunnel; IPv6-only is not supported");
      } else {
        f.error("ip", "missing; expected the tunnel's IPv4 address");
      }
      return null;
    }
    String literal = ip.contains("/") ? ip.substring(0, ip.indexOf('/')) : ip;
    InetAddress a = IpLiterals.parseOrNull(literal);
    if (!(a instanceof Inet4Address v4)) {
      f.error("ip", "expected an IPv4 address, got \"" + ip + "\"");
      return null;
    }
    return v4;
  }

  /** A base64 key of 32 bytes, or null (with an error when required or malformed). */
  static byte[] key(Fields f, String field, boolean required) {
    String text = f.string(field, required);
    if (text == null || text.isEmpty() && !required) {
      return null;
    }
    try {
      byte[] key = Base64.getDecoder().decode(text.trim());
      if (key.length == 32) {
        return key;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    f.error(field, "expected a base64 key of 32 bytes");
    return null;
  }

  /** {@code reserved}: three numbers, or three bytes in base64 (as mihomo reads both). */
  static byte[] reserved(Fields f) {
    byte[] out = new byte[3];
    if (!f.has("reserved")) {
      return out;
    }
    List<String> items = f.stringOrList("reserved");
    try {
      if (items.size() == 1) {
        byte[] decoded = Base64.getDecoder().decode(items.get(0).trim());
        if (decoded.length == 3) {
          return decoded;
        }
      } else if (items.size() == 3) {
        for (int i = 0; i < 3; i++) {
          int v = Integer.parseInt(items.get(i).trim());
          if (v < 0 || v > 255) {
            throw new NumberFormatException();
          }
          out[i] = (byte) v;
        }
        return out;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    f.error("reserved", "expected three numbers 0-255 or three bytes in base64");
    return out;
  }

  /** {@code allowed-ips}, by default everything (as mihomo). */
  static List<Cidr> allowedIps(Fields f) {
    List<String> written = f.stringOrList("allowed-ips");
    List<Cidr> out = new ArrayList<>();
    if (written.isEmpty()) {
      out.add(Cidr.parseMasking("0.0.0.0/0"));
      out.add(Cidr.parseMasking("::/0"));
      return out;
    }
    for (String s : written) {
      try {
        out.add(Cidr.parseMasking(s.trim()));
      } catch (IllegalArgumentException e) {
        f.error("allowed-ips", "not an address range: \"" + s + "\"");
      }
    }
    return out;
  }
}
