package dev.turnout.inbound;

import dev.turnout.outbound.Destination;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A {@link Dispatch} for handler tests: origins as the real one builds them, every TCP hand-over
 * recorded (with a stand-in for the relay that keeps what the client sends after its request), and
 * routes answered at once with {@link #route}.
 */
public final class FakeDispatch implements Dispatch {
  public final Connections connections = new Connections(List::of);
  public final List<Relayed> relayed = new ArrayList<>();
  public volatile Router.Route route;
  private final RelayDispatch real;

  /** A TCP flow handed to the relay, and the bytes the relay received from the client. */
  public record Relayed(Channel client, Origin origin, TcpRelay.Handshake reply, Catcher caught) {}

  public FakeDispatch(ListenerSpec listener) {
    this(listener, FakeAddresses.NONE);
  }

  public FakeDispatch(ListenerSpec listener, FakeAddresses fakes) {
    TcpRelay tcp =
        new TcpRelay(null, Runnable::run, connections, RelaySettings.DEFAULTS.withSpliceThreads(0));
    real = new RelayDispatch(listener, tcp, null, Runnable::run, fakes, null, new InboundStats());
  }

  /** A listener of {@code kind} on 127.0.0.1:7890 with {@code authentication}. */
  public static ListenerSpec listener(ListenerSpec.Kind kind, Authentication authentication) {
    return new ListenerSpec(
        kind.defaultName(),
        kind,
        ClientChannel.LISTENER,
        kind != ListenerSpec.Kind.HTTP,
        authentication,
        ClientFilter.ALL,
        null,
        null);
  }

  @Override
  public ListenerSpec listener() {
    return real.listener();
  }

  @Override
  public InboundStats stats() {
    return real.stats();
  }

  @Override
  public Origin origin(boolean udp, InetSocketAddress client, Destination target, Inbound kind) {
    return real.origin(udp, client, target, kind);
  }

  @Override
  public void relay(Channel client, Origin origin, TcpRelay.Handshake reply) {
    Catcher catcher = new Catcher();
    client.pipeline().addLast(catcher);
    relayed.add(new Relayed(client, origin, reply, catcher));
  }

  @Override
  public void route(Origin origin, EventLoop loop, BiConsumer<Router.Route, Throwable> done) {
    done.accept(route, route == null ? new IllegalStateException("no route") : null);
  }

  @Override
  public Connection open(Origin origin, Router.Route route, Runnable closer) {
    return real.open(origin, route, closer);
  }

  public Relayed last() {
    return relayed.get(relayed.size() - 1);
  }

  /** Stands where the relay's handler would: keeps the client's bytes. */
  public static final class Catcher extends ChannelInboundHandlerAdapter {
    private final StringBuilder bytes = new StringBuilder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf)) {
        throw new AssertionError("the relay got a message that is not bytes: " + msg);
      }
      bytes.append(buf.toString(StandardCharsets.ISO_8859_1));
      buf.release();
    }

    public String text() {
      return bytes.toString();
    }
  }
}
