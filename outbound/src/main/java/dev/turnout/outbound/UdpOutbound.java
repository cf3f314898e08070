package dev.turnout.outbound;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * An outbound that can also carry UDP datagrams (DIRECT, SOCKS5 with UDP ASSOCIATE, Shadowsocks).
 */
public interface UdpOutbound {
  /**
   * Opens a datagram session whose replies are delivered to {@code receiver} on {@code loop}. The
   * future fails if the outbound cannot carry UDP right now (for example a proxy refused UDP
   * ASSOCIATE).
   */
  Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver);
}
