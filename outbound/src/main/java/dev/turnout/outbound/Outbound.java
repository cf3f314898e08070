package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * A policy that carries connections somewhere: DIRECT, REJECT, an upstream proxy or a group.
 *
 * <p>{@link #connect} opens a channel on the given event loop that, once the future succeeds,
 * carries the application's bytes to the destination: the caller reads and writes plaintext {@code
 * ByteBuf}s through a handler it adds at the tail of the pipeline (encrypting protocols keep their
 * codec handlers in front of it). Any proxy handshake is done; auto-read is off, TCP_NODELAY and
 * half-closure are on. Bytes the proxy sent right after its handshake are held and delivered on the
 * caller's first {@code read()}. The caller owns the channel and must close it. Implementations are
 * thread-safe.
 */
public interface Outbound {
  String name();

  /** The Clash type name shown to dashboards: Direct, Reject, Socks5, Http, Shadowsocks, .... */
  default String type() {
    return getClass().getSimpleName();
  }

  Future<Channel> connect(Destination destination, EventLoop loop);
}
