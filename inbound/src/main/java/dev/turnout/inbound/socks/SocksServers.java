package dev.turnout.inbound.socks;

import dev.turnout.inbound.Dispatch;
import io.netty.channel.ChannelPipeline;

/** Sets up a client's pipeline for the SOCKS version its first byte announced. */
public final class SocksServers {
  /** The first byte of a SOCKS5 greeting. */
  public static final byte SOCKS5 = 5;

  /** The first byte of a SOCKS4 or SOCKS4a request. */
  public static final byte SOCKS4 = 4;

  private SocksServers() {}

  /**
   * A SOCKS5 server; {@code udp} serves UDP ASSOCIATE, or null where the listener has no UDP (the
   * request is then refused with 0x07).
   */
  public static void socks5(ChannelPipeline pipeline, Dispatch dispatch, UdpAssociations udp) {
    Socks5Server.install(pipeline, dispatch, udp);
  }

  /** A SOCKS4/4a server (CONNECT only). */
  public static void socks4(ChannelPipeline pipeline, Dispatch dispatch) {
    Socks4Server.install(pipeline, dispatch);
  }
}
