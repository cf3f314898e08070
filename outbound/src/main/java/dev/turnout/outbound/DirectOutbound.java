package dev.turnout.outbound;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Predicate;

/**
 * DIRECT: connects straight to the destination. Names are resolved through Turnout's own upstream
 * resolver; the addresses are tried in order until one connects. Addresses that {@code forbidden}
 * accepts (Turnout's own TUN range) are refused so that a DIRECT connection can never loop back
 * into Turnout.
 */
public final class DirectOutbound implements Outbound {
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  private final HostResolver resolver;
  private final Predicate<InetAddress> forbidden;

  public DirectOutbound(HostResolver resolver, Predicate<InetAddress> forbidden) {
    this.resolver = resolver;
    this.forbidden = forbidden;
  }

  @Override
  public String name() {
    return "DIRECT";
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    Promise<Channel> promise = loop.newPromise();
    if (destination.address() != null) {
      tryAddresses(List.of(destination.address()), 0, destination.port(), loop, promise);
      return promise;
    }
    resolver
        .resolve(destination.host())
        .whenComplete(
            (addresses, error) ->
                loop.execute(
                    () -> {
                      if (error != null) {
                        promise.tryFailure(error);
                      } else {
                        tryAddresses(addresses, 0, destination.port(), loop, promise);
                      }
                    }));
    return promise;
  }

  private void tryAddresses(
      List<InetAddress> addresses, int index, int port, EventLoop loop, Promise<Channel> promise) {
    if (index >= addresses.size()) {
      promise.tryFailure(new ConnectException("no address to connect to"));
      return;
    }
    InetAddress address = addresses.get(index);
    if (forbidden.test(address)) {
      promise.tryFailure(
          new ConnectException(
              "refusing to dial " + address.getHostAddress() + ": inside Turnout's own range"));
      return;
    }
    ChannelFuture connect =
        new Bootstrap()
            .group(loop)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(new InetSocketAddress(address, port));
    connect.addListener(
        f -> {
          if (f.isSuccess()) {
            if (!promise.trySuccess(connect.channel())) {
              connect.channel().close();
            }
          } else if (index + 1 < addresses.size()) {
            tryAddresses(addresses, index + 1, port, loop, promise);
          } else {
            promise.tryFailure(f.cause());
          }
        });
  }
}
