package dev.turnout.outbound.wireguard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * The kernel settings of a tunnel's device, which go with it when it is deleted.
 *
 * <ul>
 *   <li>Reverse-path filtering off: the tunnel's replies come from any address on the internet,
 *       which the host does not route through the device. The kernel applies the stricter of the
 *       device's and {@code all}'s setting, so a host that enforces strict mode for all interfaces
 *       gets a warning (loose mode passes them).
 *   <li>IPv6 off: the tunnel carries IPv4 only, and the kernel would otherwise send router
 *       solicitations and multicast reports into it.
 * </ul>
 */
final class DeviceSettings {
  private static final Path IPV4 = Path.of("/proc/sys/net/ipv4/conf");
  private static final Path IPV6 = Path.of("/proc/sys/net/ipv6/conf");

  private DeviceSettings() {}

  static void apply(String device) throws IOException {
    Files.writeString(IPV4.resolve(device).resolve("rp_filter"), "0");
    Path ipv6 = IPV6.resolve(device).resolve("disable_ipv6");
    if (Files.exists(ipv6)) { // absent when the kernel has no IPv6
      Files.writeString(ipv6, "1");
    }
    String all = Files.readString(IPV4.resolve("all").resolve("rp_filter")).trim();
    if ("1".equals(all)) {
      LoggerFactory.getLogger(DeviceSettings.class)
          .warn(
              "net.ipv4.conf.all.rp_filter is 1 (strict): the kernel may drop WireGuard replies"
                  + " on {}; set it to 0 or 2",
              device);
    }
  }
}
