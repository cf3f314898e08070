package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@link DatagramSession} for proxy protocols whose UDP runs over one stream per destination
 * (VMess and VLESS): the first datagram to a destination opens a connection for it through {@code
 * open}, whose pipeline already turns each written payload into one datagram and each datagram read
 * into one message; replies on that connection come from that destination. At most {@value
 * #MAX_DESTINATIONS} destinations and {@value #MAX_PENDING} datagrams waiting per connection that
 * is still opening; beyond that datagrams are dropped. Runs on one event loop; {@link #send} may be
 * called from any thread.
 */
public final class StreamDatagramSession implements DatagramSession {
  static final int MAX_DESTINATIONS = 64;
  static final int MAX_PENDING = 16;

  private final EventLoop loop;
  private final int maxDatagram;
  private final Function<Destination, Future<Channel>> open;
  private final Receiver receiver;
  private final Map<Destination, Flow> flows = new HashMap<>();
  private final Promise<Void> closed;

  /**
   * @param maxDatagram the longest payload the protocol's framing carries whole; longer ones are
   *     dropped
   * @param open opens the connection that carries datagrams to one destination
   */
  public StreamDatagramSession(
      EventLoop loop,
      int maxDatagram,
      Function<Destination, Future<Channel>> open,
      Receiver receiver) {
    this.loop = loop;
    this.maxDatagram = maxDatagram;
    this.open = open;
    this.receiver = receiver;
    this.closed = loop.newPromise();
  }

  /** The datagrams to one destination: its connection once open, what waits until then. */
  private final class Flow {
    final Destination destination;
    Channel channel;
    final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();

    Flow(Destination destination) {
      this.destination = destination;
    }
  }

  @Override
  public void send(Destination destination, ByteBuf payload) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> send(destination, payload));
      return;
    }
    if (closed.isDone() || payload.readableBytes() > maxDatagram) {
      payload.release();
      return;
    }
    Flow flow = flows.get(destination);
    if (flow == null) {
      if (flows.size() >= MAX_DESTINATIONS) {
        payload.release();
        return;
      }
      flow = new Flow(destination);
      flows.put(destination, flow);
      start(flow);
    }
    if (flow.channel != null) {
      flow.channel.writeAndFlush(payload);
    } else if (flow.pending.size() < MAX_PENDING) {
      flow.pending.add(payload);
    } else {
      payload.release();
    }
  }

  private void start(Flow flow) {
    open.apply(flow.destination)
        .addListener(
            f -> {
              if (!f.isSuccess() || closed.isDone()) {
                if (f.isSuccess()) {
                  ((Channel) f.getNow()).close();
                }
                forget(flow);
                return;
              }
              Channel ch = (Channel) f.getNow();
              flow.channel = ch;
              ch.pipeline().addLast(new Deliver(flow.destination));
              ch.closeFuture().addListener(c -> loop.execute(() -> forget(flow)));
              ch.config().setAutoRead(true);
              for (ByteBuf b; (b = flow.pending.poll()) != null; ) {
                ch.write(b);
              }
              ch.flush();
            });
  }

  private void forget(Flow flow) {
    if (flows.get(flow.destination) == flow) {
      flows.remove(flow.destination);
    }
    flow.pending.forEach(ReferenceCountUtil::release);
    flow.pending.clear();
  }

  @Override
  public void close() {
    if (!loop.inEventLoop()) {
      loop.execute(this::close);
      return;
    }
    if (!closed.trySuccess(null)) {
      return;
    }
    for (Flow flow : flows.values().toArray(Flow[]::new)) {
      if (flow.channel != null) {
        flow.channel.close();
      }
      forget(flow);
    }
  }

  @Override
  public Future<?> closeFuture() {
    return closed;
  }

  /** Hands each datagram read on one destination's connection to the receiver. */
  private final class Deliver extends SimpleChannelInboundHandler<ByteBuf> {
    private final Destination source;

    Deliver(Destination source) {
      super(false);
      this.source = source;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf payload) {
      receiver.received(source, payload);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
        ctx.close(); // the server ended this flow
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
