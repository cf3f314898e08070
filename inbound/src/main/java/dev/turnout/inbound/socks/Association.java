package dev.turnout.inbound.socks;

import dev.turnout.inbound.UdpFlow;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One SOCKS5 UDP ASSOCIATE: the TCP control connection it lives as long as, the client it belongs
 * to — known by address from the control connection, by port from its first datagram (or from the
 * request, when the client named it) — and its flows, one per destination, least recently used
 * first. Confined to the UDP relay's event loop.
 */
final class Association {
  final Channel control;
  final InetAddress clientAddress;
  final int requestedPort; // 0: any
  final Inbound kind;
  InetSocketAddress client; // null until the first datagram
  boolean ended;
  private final Map<Destination, UdpFlow> flows = new LinkedHashMap<>(8, 0.75f, true);

  Association(Channel control, InetAddress clientAddress, int requestedPort, Inbound kind) {
    this.control = control;
    this.clientAddress = clientAddress;
    this.requestedPort = requestedPort;
    this.kind = kind;
  }

  /** Whether a first datagram from {@code sender} is this client's. */
  boolean accepts(InetSocketAddress sender) {
    return client == null
        && sender.getAddress().equals(clientAddress)
        && (requestedPort == 0 || requestedPort == sender.getPort());
  }

  UdpFlow flow(Destination destination) {
    return flows.get(destination);
  }

  int flowCount() {
    return flows.size();
  }

  void add(UdpFlow flow) {
    flows.put(flow.requested, flow);
  }

  void remove(UdpFlow flow) {
    flows.remove(flow.requested, flow);
  }

  /** The least recently used flow, or null. */
  UdpFlow eldest() {
    Iterator<UdpFlow> it = flows.values().iterator();
    return it.hasNext() ? it.next() : null;
  }

  /** Removes and returns the flows idle since before {@code cutoff}. */
  List<UdpFlow> expire(long now, long idleNanos) {
    List<UdpFlow> expired = new ArrayList<>();
    Iterator<UdpFlow> it = flows.values().iterator();
    while (it.hasNext()) {
      UdpFlow flow = it.next();
      if (flow.idle(now, idleNanos)) {
        it.remove();
        expired.add(flow);
      }
    }
    return expired;
  }

  /** Removes and returns every flow. */
  List<UdpFlow> drain() {
    List<UdpFlow> all = new ArrayList<>(flows.values());
    flows.clear();
    return all;
  }
}
