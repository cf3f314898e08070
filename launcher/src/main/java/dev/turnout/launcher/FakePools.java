package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import java.net.InetAddress;
import java.util.Objects;

/**
 * The fake-IP pools a flow's destination may come from: the IPv4 pool, and the IPv6 pool when AAAA
 * queries get fake answers ({@code v6} null otherwise). Thread-safe, as the pools are.
 */
record FakePools(FakeIpPool v4, FakeIpPool v6) {
  FakePools {
    Objects.requireNonNull(v4, "v4");
  }

  /** The pool whose range holds {@code address}, or null for a real address. */
  FakeIpPool owner(InetAddress address) {
    if (v4.contains(address)) {
      return v4;
    }
    return v6 != null && v6.contains(address) ? v6 : null;
  }
}
