package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * A policy that carries connections somewhere: DIRECT, REJECT, or an upstream proxy.
 *
 * <p>{@link #connect} opens a channel on the given event loop that, once the future succeeds,
 * carries the application's bytes to the destination unchanged (any proxy handshake is done). The
 * channel is returned with auto-read off; the caller owns it and must close it. Implementations are
 * thread-safe.
 */
public interface Outbound {
  String name();

  Future<Channel> connect(Destination destination, EventLoop loop);
}
