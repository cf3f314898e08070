package dev.turnout.relay.tcp;

/**
 * Every {@link RelayServerTest} case again with the splice relay taking over DIRECT connections
 * after the dial: the same bytes, half-close, idle timeout, release and failure handling.
 */
class SplicedRelayTest extends RelayServerTest {
  @Override
  int spliceThreads() {
    return 1;
  }
}
