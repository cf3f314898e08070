package dev.turnout.controller;

import dev.turnout.controller.spi.Control;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
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
  private final Channel plain; // null when plain HTTP is not served
  private final Channel secure; // null when HTTPS is not
  private final Channel local; // the Unix socket; null when there is none
  private final Path socketFile;

  private Controller(
      EventLoopGroup group, Channel plain, Channel secure, Channel local, Path socketFile) {
    this.group = group;
    this.plain = plain;
    this.secure = secure;
    this.local = local;
    this.socketFile = socketFile;
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
    Channel secure = null;
    Object binding = settings.listen();
    try {
      if (binding != null) {
        plain = bind(group, NioServerSocketChannel.class, binding, handler, null);
        announce("http", plain, settings, ui);
      }
      binding = settings.tlsListen();
      if (binding != null) {
        secure = bind(group, NioServerSocketChannel.class, binding, handler, settings.tls());
        announce("https", secure, settings, ui);
      }
      Channel local = null;
      binding = settings.unixSocket();
      if (binding != null) {
        RequestHandler trusted =
            new RequestHandler(
                routes,
                new Auth(""),
                new Cors(settings.allowOrigins(), settings.allowPrivateNetwork()),
                ui);
        local = bindUnix(group, settings.unixSocket(), trusted);
        log.info(
            "controller: listening on unix:{} (mode 0600, no secret){}",
            settings.unixSocket(),
            ui == null ? "" : ", dashboard at /ui/ from " + settings.ui());
      }
      return new Controller(group, plain, secure, local, settings.unixSocket());
    } catch (RuntimeException | IOException e) {
      for (Channel c : new Channel[] {plain, secure}) {
        if (c != null) {
          c.close();
        }
      }
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot listen on " + binding + ": " + e.getMessage(), e);
    }
  }

  /**
   * The Unix socket at {@code path}: a socket left there by an earlier run is replaced (anything
   * else there is an error), and the new one is made readable and writable by its owner only.
   */
  private static Channel bindUnix(EventLoopGroup group, Path path, RequestHandler handler)
      throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isOther()) {
        throw new IOException(path + " exists and is no socket");
      }
      Files.delete(path);
    }
    Channel server =
        bind(
            group,
            NioServerDomainSocketChannel.class,
            UnixDomainSocketAddress.of(path),
            handler,
            null);
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /**
   * A server socket of {@code type} on {@code address}; each connection starts with TLS when {@code
   * tls} is set.
   */
  private static Channel bind(
      EventLoopGroup group,
      Class<? extends ServerChannel> type,
      Object address,
      RequestHandler handler,
      SslContext tls) {
    ServerBootstrap b = new ServerBootstrap().group(group).channel(type);
    if (type == NioServerSocketChannel.class) {
      b.option(ChannelOption.SO_REUSEADDR, true);
    }
    return b.childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
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
        .bind((java.net.SocketAddress) address)
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

  /**
   * The plain HTTP address, else the HTTPS one (the port chosen when the settings named 0); null
   * when only the Unix socket is served.
   */
  public InetSocketAddress localAddress() {
    Channel tcp = plain != null ? plain : secure;
    return tcp == null ? null : (InetSocketAddress) tcp.localAddress();
  }

  /** The HTTPS address, or null when HTTPS is not served. */
  public InetSocketAddress tlsAddress() {
    return secure == null ? null : (InetSocketAddress) secure.localAddress();
  }

  private static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Stops listening, closes every connection and stream, and removes the Unix socket. */
  @Override
  public void close() {
    for (Channel c : new Channel[] {plain, secure, local}) {
      if (c != null) {
        c.close().awaitUninterruptibly();
      }
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    if (local != null) {
      try {
        Files.deleteIfExists(socketFile);
      } catch (IOException e) {
        log.debug("controller: cannot remove {}: {}", socketFile, e.toString());
      }
    }
  }
}
