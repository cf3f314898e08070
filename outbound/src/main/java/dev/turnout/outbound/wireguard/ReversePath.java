package dev.turnout.outbound.wireguard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Lets the kernel accept the tunnel's replies on its device: their sources (any address on the
 * internet) are not routed through the device, so reverse-path filtering would drop them. Turns it
 * off for the device; the kernel applies the stricter of the device's and {@code all}'s setting, so
 * a host that enforces it for all interfaces gets a warning. The setting goes with the device.
 */
final class ReversePath {
  private static final Path CONF = Path.of("/proc/sys/net/ipv4/conf");

  private ReversePath() {}

  static void allow(String device) throws IOException {
    Files.writeString(CONF.resolve(device).resolve("rp_filter"), "0");
    String all = Files.readString(CONF.resolve("all").resolve("rp_filter")).trim();
    if (!"0".equals(all)) {
      LoggerFactory.getLogger(ReversePath.class)
          .warn(
              "net.ipv4.conf.all.rp_filter is {}: the kernel may drop WireGuard replies on {};"
                  + " set it to 0",
              all,
              device);
    }
  }
}
