package dev.turnout.inbound;

import java.net.InetAddress;
import java.util.Optional;

/**
 * The fake-IP pools, as proxy clients meet them: a client that resolved a name through Turnout's
 * DNS (curl {@code --socks5}, a browser without remote DNS) asks for the fake address, which stands
 * for the name. Implementations are thread-safe and never block.
 */
public interface FakeAddresses {
  /** No fake addresses: every address is what it says. */
  FakeAddresses NONE =
      new FakeAddresses() {
        @Override
        public boolean isFake(InetAddress address) {
          return false;
        }

        @Override
        public Optional<String> nameFor(InetAddress address) {
          return Optional.empty();
        }
      };

  /** Whether {@code address} is in a fake-IP range. */
  boolean isFake(InetAddress address);

  /** The name a fake address stands for now; empty when none does. */
  Optional<String> nameFor(InetAddress address);
}
