package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * mihomo's {@code type: dns}: what the rules send here is answered by Turnout's own DNS server,
 * whatever resolver the application addressed. A TCP connection is joined to the server's TCP
 * listener (the application already speaks DNS over TCP); each UDP datagram goes to its UDP
 * listener, and the answer returns as coming from the address the application asked ({@link
 * DnsDatagramSession}). So {@code DST-PORT,53,dns-out} does by rule what {@code tun.dns-hijack}
 * does for every query: names get fake IPs, and the rules see the connections that follow.
 *
 * <p>The server is on this host, usually at the TUN's own address, which other outbounds may never
 * dial: this one dials only that address, with a dialer that allows it ({@link
 * Dialer#toThisHost()}). Thread-safe.
 */
public final class DnsOutbound implements Outbound, UdpOutbound {
  private final String name;
  private final Dialer dialer;
  private final InetSocketAddress server;

  /**
   * @param server the DNS server's listener (TCP and UDP), not a wildcard address
   */
  public DnsOutbound(String name, Dialer dialer, InetSocketAddress server) {
    if (server.getAddress() == null || server.getAddress().isAnyLocalAddress()) {
      throw new IllegalArgumentException("not an address to send queries to: " + server);
    }
    this.name = name;
    this.dialer = dialer.toThisHost();
    this.server = server;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return "Dns";
  }

  /** Where queries go. */
  public InetSocketAddress server() {
    return server;
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return dialer.dial(null, server.getAddress(), server.getPort(), loop);
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    return DnsDatagramSession.open(dialer, server, loop, receiver);
  }
}
