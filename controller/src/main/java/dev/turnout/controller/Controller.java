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
import io.netty.handler.ssl.SslContext;
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
  private final Channel plain; // null when only HTTPS is served
  private final Channel secure; // null when only plain HTTP is

  private Controller(EventLoopGroup group, Channel plain, Channel secure) {
    this.group = group;
    this.plain = plain;
    this.secure = secure;
  }

  /**
   * Binds {@code settings.listen()} (plain HTTP) and {@code settings.tlsListen()} (HTTPS), those
   * given, and serves {@code control} on both.
   *
   * @throws IOException if the address cannot be bound
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
    Channel plain = null;
    InetSocketAddress binding = settings.listen();
    try {
      if (binding != null) {
        plain = bind(group, binding, handler, null);
        announce("http", plain, settings, ui);
      }
      binding = settings.tlsListen();
      Channel secure = null;
      if (binding != null) {
        secure = bind(group, binding, handler, settings.tls());
        announce("https", secure, settings, ui);
      }
      return new Controller(group, plain, secure);
    } catch (RuntimeException e) {
      if (plain != null) {
        plain.close();
      }
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot listen on " + binding + ": " + e.getMessage(), e);
    }
  }

  /**
   * A server socket on {@code address}; each connection starts with TLS when {@code tls} is set.
   */
  private static Channel bind(
      EventLoopGroup group, InetSocketAddress address, RequestHandler handler, SslContext tls) {
    return new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                if (tls != null) {
                  ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                }
                ch.pipeline()
                    .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(MAX_BODY))
                    .addLast(handler);
              }
            })
        .bind(address)
        .syncUninterruptibly()
        .channel();
  }

  private static void announce(
      String scheme, Channel server, ControllerSettings settings, StaticFiles ui) {
    log.info(
        "controller: listening on {}://{}{}{}",
        scheme,
        hostPort((InetSocketAddress) server.localAddress()),
        settings.secret().isEmpty() ? " (no secret)" : " (secret required)",
        ui == null ? "" : ", dashboard at /ui/ from " + settings.ui());
  }

  /** The plain HTTP address, else the HTTPS one (the port chosen when the settings named 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) (plain != null ? plain : secure).localAddress();
  }

  /** The HTTPS address, or null when HTTPS is not served. */
  public InetSocketAddress tlsAddress() {
    return secure == null ? null : (InetSocketAddress) secure.localAddress();
  }

  private static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Stops listening and closes every connection and stream. */
  @Override
  public void close() {
    if (plain != null) {
      plain.close().awaitUninterruptibly();
    }
    if (secure != null) {
      secure.close().awaitUninterruptibly();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
