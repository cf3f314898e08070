package dev.turnout.hostnet;

import java.io.IOException;
import java.util.Map;

/**
 * The host-wide forwarding switch ({@code net.ipv4.ip_forward}, {@code
 * net.ipv6.conf.all.forwarding}), turned on through {@link HostChanges} so that undoing it restores
 * every interface's own setting too. Stateless.
 */
final class Forwarding {
  private static final String ON = "1";

  private Forwarding() {}

  /** The switch for {@code family} ({@code -4} or {@code -6}). */
  static String sysctl(String family) {
    return family.equals("-4") ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding";
  }

  static boolean isOn(HostChanges changes, String family) throws IOException {
    return ON.equals(changes.sysctl(sysctl(family)));
  }

  /**
   * Turns the switch on. Turning it off again turns every interface's forwarding (and the default)
   * off with it: those that are on are journaled first, so undoing sets them on again afterwards.
   */
  static void turnOn(HostChanges changes, String family) throws IOException {
    String conf = family.equals("-4") ? "net\\.ipv4\\.conf\\." : "net\\.ipv6\\.conf\\.";
    for (Map.Entry<String, String> e :
        changes.sysctls("^" + conf + "[^.]+\\.forwarding$").entrySet()) {
      if (ON.equals(e.getValue()) && !e.getKey().contains(".all.")) {
        changes.keepSysctl(e.getKey());
      }
    }
    changes.setSysctl(sysctl(family), ON);
  }
}
