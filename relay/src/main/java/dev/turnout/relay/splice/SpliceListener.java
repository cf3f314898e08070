package dev.turnout.relay.splice;

/** What a spliced connection reports; called on its {@link SpliceLoop}'s thread. */
public interface SpliceListener {
  /** {@code bytes} more went toward the upstream ({@code upstream}) or toward the client. */
  void transferred(boolean upstream, long bytes);

  /**
   * The connection ended (both ways finished, a socket failed, idle timeout, or shutdown); the
   * relay has let go of both sockets, whose owner closes them now. {@code failure} is null after a
   * clean end.
   */
  void closed(Exception failure);
}
