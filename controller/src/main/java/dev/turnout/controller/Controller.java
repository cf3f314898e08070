package dev.turnout.controller;

import dev.turnout.controller.spi.Control;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The external controller: an HTTP/1.1 and WebSocket server speaking the Clash/mihomo API, so that
 * the dashboards people already use (yacd, metacubexd) and scripts can watch and steer a running
 * Turnout. It runs on one thread of its own, so no request or stream ever delays a relay. Request
 * bodies are limited to {@value #MAX_BODY} bytes (a configuration sent to {@code PUT /configs}
 * included); idle keep-alive connections close after {@value #IDLE_SECONDS} s. Thread-safe.
 */
public final class Controller implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);
  static final int MAX_BODY = 16 << 20;
  static final int IDLE_SECONDS = 300;

  private final EventLoopGroup group;
  private final Channel server;

  private Controller(EventLoopGroup group, Channel server) {
    this.group = group;
    this.server = server;
  }

  /**
   * Binds {@code settings.listen()} and serves {@code control}.
   *
   * @throws IOException if the address cannot be bound or the dashboard directory is unusable
   */
  public static Controller start(ControllerSettings settings, Control control) throws IOException {
    StaticFiles ui = settings.ui() == null ? null : new StaticFiles(settings.ui());
    Routes routes = new Routes();
    ProxyApi proxies = new ProxyApi(control.proxies());
    new GeneralApi(control.config(), settings.version()).register(routes);
    proxies.register(routes);
    new ProviderApi(control.providers(), proxies).register(routes);
    new RuleApi(control.rules()).register(routes);
    new ConnectionApi(control.connections()).register(routes);
    new StreamApi(control.connections(), control.logs(), ProcessMemory.self()).register(routes);
    new DnsApi(control.dns()).register(routes);
    RequestHandler handler =
        new RequestHandler(
            routes,
            new Auth(settings.secret()),
            new Cors(settings.allowOrigins(), settings.allowPrivateNetwork()),
            ui);
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("turnout-controller", true), NioIoHandler.newFactory());
    try {
      Channel server =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                          .addLast(new HttpServerCodec())
                          .addLast(new HttpObjectAggregator(MAX_BODY))
                          .addLast(handler);
                    }
                  })
              .bind(settings.listen())
              .syncUninterruptibly()
              .channel();
      log.info(
          "controller: listening on http://{}{}{}",
          hostPort((InetSocketAddress) server.localAddress()),
          settings.secret().isEmpty() ? " (no secret)" : " (secret required)",
          ui == null ? "" : ", dashboard at /ui/ from " + settings.ui());
      return new Controller(group, server);
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot listen on " + settings.listen() + ": " + e.getMessage(), e);
    }
  }

  /** The bound address (the port chosen when the settings named port 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) server.localAddress();
  }

  private static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Stops listening and closes every connection and stream. */
  @Override
  public void close() {
    server.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
