package dev.turnout.outbound.wireguard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Lets the kernel accept the tunnel's replies on its device: their sources (any address on the
 * internet) are not routed through the device, so reverse-path filtering would drop them. Turns it
 * off for the device; the kernel applies the stricter of the device's and {@code all}'s setting, so
 * a host that enforces strict mode for all interfaces gets a warning (loose mode passes them). The
 * setting goes with the device.
 */
final class ReversePath {
  private static final Path CONF = Path.of("/proc/sys/net/ipv4/conf");

  private ReversePath() {}

  static void allow(String device) throws IOException {
    Files.writeString(CONF.resolve(device).resolve("rp_filter"), "0");
    String all = Files.readString(CONF.resolve("all").resolve("rp_filter")).trim();
    if ("1".equals(all)) { // strict; loose (2) passes replies from anywhere the host routes
      LoggerFactory.getLogger(ReversePath.class)
          .warn(
              "net.ipv4.conf.all.rp_filter is 1 (strict): the kernel may drop WireGuard replies"
                  + " on {}; set it to 0 or 2",
              device);
    }
  }
}
