package dev.turnout.outbound;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses IP literals without ever touching the system resolver. */
public final class Literals {
  private Literals() {}

  /** Returns the address for an IPv4/IPv6 literal, or null when {@code host} is a name. */
  public static InetAddress parse(String host) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(h);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
