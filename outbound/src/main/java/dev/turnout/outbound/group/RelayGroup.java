package dev.turnout.outbound.group;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.List;

/**
 * {@code relay}: a chain of proxies. The first member is reached as it always is; each next one is
 * reached through the connection the previous ones built (its handshake and codecs layered over
 * theirs in the same pipeline), and the last one connects to the destination. Every member after
 * the first is a proxy with a server. TCP only. Thread-safe, immutable.
 */
public final class RelayGroup implements Group {
  private final String name;
  private final List<Outbound> members;
  private final Outbound chain;

  RelayGroup(String name, List<Outbound> members) {
    if (members.size() < 1) {
      throw new IllegalArgumentException("a relay needs members");
    }
    this.name = name;
    this.members = List.copyOf(members);
    Outbound hop = members.get(0);
    for (Outbound next : members.subList(1, members.size())) {
      hop = new Hop((ProxyOutbound) next, hop);
    }
    this.chain = hop;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return "Relay";
  }

  @Override
  public List<String> members() {
    return members.stream().map(Outbound::name).toList();
  }

  /** The last member: the one that connects to destinations. */
  @Override
  public String now() {
    return members.get(members.size() - 1).name();
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return chain.connect(destination, loop);
  }

  /** {@code proxy} reached through {@code via}. */
  private record Hop(ProxyOutbound proxy, Outbound via) implements Outbound {
    @Override
    public String name() {
      return via.name() + " -> " + proxy.name();
    }

    @Override
    public Future<Channel> connect(Destination destination, EventLoop loop) {
      return proxy.connect(destination, loop, via);
    }
  }
}
